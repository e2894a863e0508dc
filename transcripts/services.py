"""Creating, retrying and deleting transcriptions: the one place that does it,
for the pages, the API and the admin alike. No request objects here: arguments
in, rows out; refusals are RequestRefused with a message for the person."""

import hashlib
import logging
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from guards import netguard
from guards.media import MediaError, probe_speech_media
from timedtext.languages import language_code

from . import offered_models, queueing, vocabulary
from .models import Media, Segment, Speaker, Transcription
from .speaker_count import BadSpeakerCount, parse_speaker_count
from .uploads import too_large_message

log = logging.getLogger(__name__)


class RequestRefused(ValueError):
    """What was asked cannot be done; the message is for the user. `field` names
    the form field it concerns, or None for the request as a whole."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Queued:
    transcription: Transcription
    queued: bool  # False when Redis was unreachable: the row waits for the reaper


class TooManyUnfinishedJobs(RequestRefused):
    """The per-user limit on queued and running jobs (the API answers 429)."""


class StorageDown(RequestRefused):
    """The media storage could not take the file (the API answers 503); nothing was kept."""


class NotRetryable(RequestRefused):
    """Only failed or canceled jobs (and queued ones the queue lost) can be retried (the API answers 409)."""


def check_can_start_job(owner):
    unfinished = Transcription.objects.owned_by(owner).unfinished().count()
    if unfinished >= settings.MAX_UNFINISHED_JOBS_PER_USER:
        raise TooManyUnfinishedJobs(
            f"You already have {unfinished} transcriptions waiting or running, the most allowed at once. "
            "Please wait for some of them to finish (or cancel one) and try again."
        )


def check_trim(trim_start_s, trim_end_s, duration_s=None):
    if trim_start_s is not None and trim_start_s < 0:
        raise RequestRefused("The start must not be negative.", "trim_start_s")
    if trim_end_s is not None and trim_end_s <= 0:
        raise RequestRefused("The end must be after the start of the file.", "trim_end_s")
    if trim_start_s is not None and trim_end_s is not None and trim_end_s <= trim_start_s:
        raise RequestRefused("The end must be after the start.", "trim_end_s")
    if duration_s is not None and trim_start_s is not None and trim_start_s >= duration_s:
        raise RequestRefused(f"The start is after the end of the file, which is {duration_s:.1f} s long.", "trim_start_s")


def chosen_model(name):
    """The offered model called `name` ('' or None: the site's default)."""
    if not name:
        return offered_models.default_model()
    model = offered_models.find_model(name)
    if model is None:
        offered = ", ".join(model.name for model in offered_models.offered_models())
        raise RequestRefused(f"There is no model called {name!r} here. The models offered: {offered}.", "model")
    return model


def chosen_language(model, language):
    """The job's language for `model`: '' to detect it, or a code. `language`
    is what a person or a client sent: a code, a regional form or a name."""
    code = language_code(language)
    if code is None:
        raise RequestRefused(f"{language!r} is not a language this site knows; use a code such as en or de.", "language")
    try:
        return model.language_for(code)
    except ValueError as exc:
        raise RequestRefused(str(exc), "language") from exc


def model_for_language(language):
    """For clients that cannot name a model (whisper-asr-webservice's, OpenAI's
    "whisper-1"): the site's default, unless a language is asked for that it
    cannot do and another offered model can."""
    default = offered_models.default_model()
    code = language_code(language)
    if not code or code in default.languages:
        return default
    able = [model for model in offered_models.offered_models() if code in model.languages]
    return able[0] if able else default


def check_url(url):
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as exc:
        raise RequestRefused("Enter a web address that starts with http:// or https://.", "url") from exc
    try:
        netguard.check_url(url, allowed_hosts=settings.URL_ALLOWED_HOSTS)
    except netguard.BlockedURL as exc:
        raise RequestRefused(str(exc), "url") from exc


@contextmanager
def local_copy(upload):
    """A path to the upload's bytes for ffprobe: the temporary file Django
    streamed it to, or a copy for uploads held some other way."""
    if hasattr(upload, "temporary_file_path"):
        yield Path(upload.temporary_file_path())
        return
    with tempfile.NamedTemporaryFile(prefix="speechsite-probe-", dir=settings.FILE_UPLOAD_TEMP_DIR) as copy:
        upload.seek(0)
        shutil.copyfileobj(upload, copy, 1024 * 1024)
        copy.flush()
        upload.seek(0)
        yield Path(copy.name)


def probe_upload(upload):
    if upload.size == 0:
        raise RequestRefused("The file is empty.", "file")
    if upload.size > settings.MAX_UPLOAD_BYTES:
        raise RequestRefused(too_large_message(), "file")
    with local_copy(upload) as path:
        try:
            return probe_speech_media(path)
        except MediaError as exc:
            raise RequestRefused(str(exc), "file") from exc


@dataclass(frozen=True)
class TextChoices:
    """The text stages a person asked for (each also needs the site's setting),
    and the words this job should listen for."""

    punctuation: bool = True
    numbers: bool = True
    use_word_list: bool = True
    words: tuple[str, ...] = ()
    summarize: bool = False
    speaker_count: str = "off"  # "off", "auto", "3" or "2-4" (speaker_count.py)


def create_transcription(
    owner,
    *,
    upload=None,
    url=None,
    title="",
    trim_start_s=None,
    trim_end_s=None,
    webhook_url="",
    requested_model="",
    model="",
    language="",
    text=TextChoices(),
):
    """Check, store and queue a new transcription of an uploaded file or a URL,
    with an offered model (`model`, a name: '' for the default) in `language`
    (a code or a name; '' to detect it, or the model's only language).

    Raises RequestRefused with a message for the user. When Redis is down the
    rows are kept and Queued.queued is False.
    """
    if (upload is None) == (not url):
        raise RequestRefused("Choose a file to upload or paste a link, not both.")
    offered = chosen_model(model)
    language = chosen_language(offered, language)
    check_can_start_job(owner)
    check_trim(trim_start_s, trim_end_s)
    try:
        words = vocabulary.check_words(list(text.words))
    except vocabulary.TooManyWords as exc:
        raise RequestRefused(str(exc), "words") from exc
    try:
        speakers_mode, speakers_min, speakers_max = parse_speaker_count(text.speaker_count)
    except BadSpeakerCount as exc:
        raise RequestRefused(str(exc), "speaker_count") from exc
    if upload is not None:
        info = probe_upload(upload)
        check_trim(trim_start_s, trim_end_s, info.duration_s)
        original_name = Path(upload.name).name[:255]
        media = Media(
            owner=owner,
            source=Media.Source.UPLOAD,
            original_name=original_name,
            size_bytes=upload.size,
            sha256=upload_sha256(upload),
            duration_s=info.duration_s,
            has_video=info.has_video,
        )
        store_upload(media, upload)
    else:
        check_url(url)
        original_name = url[:255]
        media = Media(owner=owner, source=Media.Source.URL, source_url=url, original_name=original_name)

    try:
        with transaction.atomic():
            media.save()
            transcription = Transcription.objects.create(
                owner=owner,
                media=media,
                title=(title.strip() or original_name)[:255],
                trim_start_s=trim_start_s,
                trim_end_s=trim_end_s,
                model_name=offered.name,
                requested_model=requested_model,
                requested_language=language,
                language=language,
                webhook_url=webhook_url,
                punctuation=text.punctuation,
                numbers=text.numbers,
                use_word_list=text.use_word_list,
                words="\n".join(words),
                summarize=text.summarize,
                speakers_mode=speakers_mode,
                speakers_min=speakers_min,
                speakers_max=speakers_max,
            )
    except BaseException:
        media.delete_file()
        raise
    return Queued(transcription, queued=queue_new_attempt(transcription))


def upload_sha256(upload):
    # Taken while the upload streamed in (uploads.LimitedTemporaryFileUploadHandler),
    # or read now from an upload made some other way.
    if getattr(upload, "sha256", None):
        return upload.sha256
    digest = hashlib.sha256()
    for block in upload.chunks():
        digest.update(block)
    upload.seek(0)
    return digest.hexdigest()


def store_upload(media, upload):
    # The storage generates the stored name (media_upload_path). An object
    # store shows the object only once the whole upload is in: a failure leaves
    # nothing behind that a reader could see.
    try:
        media.file.save(media.original_name or "upload", upload, save=False)
    except OSError as exc:  # transcripts.storage.StorageUnavailable, or the local disk
        log.error("upload %r of user %s not stored: %s", media.original_name, media.owner_id, exc)
        raise StorageDown(
            "The file could not be stored right now, so nothing was saved. Please try again in a few minutes."
        ) from exc


def queue_new_attempt(transcription):
    """Give a new or retried transcription a new attempt (new lease, new RQ job
    id) and enqueue it; a person's start or retry, so the count of worker deaths
    starts again. False when Redis is down: the attempt stays queued in the
    database and the reaper enqueues it when Redis is back."""
    with transaction.atomic():
        locked = Transcription.objects.select_for_update().get(pk=transcription.pk)
        if locked.attempt and locked.status in Transcription.UNFINISHED:
            # Already queued or running again (a double click, two tabs): taking
            # the lease now would throw the current attempt's work away.
            transcription.refresh_from_db()
            return True
        locked.new_attempt()
        locked.worker_deaths = 0
        locked.save()
    transcription.refresh_from_db()
    return enqueued(transcription)


def enqueued(transcription):
    try:
        queueing.enqueue(transcription)
    except queueing.QueueUnavailable:
        return False
    return True


def retry(transcription):
    """Queue a job again, by the same rules for the pages, the API and the admin:

    - a job still queued in the database that the queue lost (Redis was down or
      restarted empty) is put back on the queue as it is;
    - a failed or canceled job gets a new attempt, within its owner's limit on
      unfinished jobs (TooManyUnfinishedJobs);
    - anything else is refused (NotRetryable).
    """
    if queueing.lost_by_queue(transcription):
        return Queued(transcription, queued=enqueued(transcription))
    if not transcription.can_retry:
        raise NotRetryable(
            "Only a failed or canceled transcription can be retried. "
            f"This one is {transcription.get_status_display().lower()}."
        )
    if offered_models.model_of_job(transcription.model_name) is None:
        raise NotRetryable(
            f"The model {transcription.model_name} is no longer offered here; start a new transcription instead."
        )
    check_can_start_job(transcription.owner)
    return Queued(transcription, queued=queue_new_attempt(transcription))


def delete_transcription(transcription):
    """Delete a transcription, and its media when nothing else uses it."""
    media = transcription.media
    with transaction.atomic():
        transcription.cancel()  # a running attempt loses its lease and stops writing
        transcription.delete()
        if not media.transcriptions.exists():
            # A URL job may have stored its download since `media` was loaded.
            media.refresh_from_db(fields=["file"])
            media.delete()  # its file goes once this commits (models.delete_media_file)


class SummaryRefused(RequestRefused):
    """A summary cannot be made now (the API answers 409)."""


def summary_in_progress(transcription, now=None):
    """A summary is queued or running, and not so long ago that its worker must have died."""
    Summary = Transcription.SummaryStatus
    if transcription.summary_status not in (Summary.QUEUED, Summary.RUNNING) or not transcription.summary_requested_at:
        return False
    age_s = ((now or timezone.now()) - transcription.summary_requested_at).total_seconds()
    return age_s < settings.SUMMARY_TIMEOUT_S + settings.JOB_STALE_AFTER_S


def request_summary(transcription):
    """Queue a summary of a finished transcript, for the page's button, the API
    and a job that asked for one. Raises SummaryRefused with the reason."""
    Summary = Transcription.SummaryStatus
    if not settings.SUMMARY_MODEL:
        raise SummaryRefused("Summaries are switched off on this server.")
    with transaction.atomic():
        locked = Transcription.objects.select_for_update().get(pk=transcription.pk)
        if locked.status != Transcription.Status.DONE:
            raise SummaryRefused("A summary can be made once the transcript is done.")
        if summary_in_progress(locked):
            raise SummaryRefused("A summary of this transcript is already being made.")
        locked.summary_status = Summary.QUEUED
        locked.summary_error = ""
        locked.summary_requested_at = timezone.now()
        locked.save(update_fields=["summary_status", "summary_error", "summary_requested_at"])
    transcription.refresh_from_db()
    try:
        queueing.enqueue_summary(transcription)
    except queueing.QueueUnavailable as exc:
        message = "The job queue is unavailable right now; please ask for the summary again later."
        Transcription.objects.filter(pk=transcription.pk, summary_status=Summary.QUEUED).update(
            summary_status=Summary.FAILED, summary_error=message
        )
        transcription.refresh_from_db()
        raise SummaryRefused(message) from exc


def rename_speaker(transcription, index, name):
    """Name speaker `index` of a finished transcript; the name is then its name
    in the page, every download and the API. Raises RequestRefused."""
    name = " ".join((name or "").split())
    if not name:
        raise RequestRefused("A speaker needs a name.", "name")
    if len(name) > Speaker._meta.get_field("name").max_length:
        raise RequestRefused("That name is too long (100 characters at most).", "name")
    if not Speaker.objects.filter(transcription=transcription, index=index).update(name=name):
        raise RequestRefused("There is no such speaker in this transcript.")
    transcription.bump_text_revision()


def set_segment_speaker(segment, index):
    """Say who said `segment`: an existing speaker's index, or "new" for a
    speaker the pipeline missed ("Speaker N", to be named). Raises RequestRefused."""
    transcription = segment.transcription
    with transaction.atomic():
        speakers = list(Speaker.objects.select_for_update().filter(transcription=transcription))
        if index == "new":
            index = len(speakers)
            Speaker.objects.create(transcription=transcription, index=index, name=f"Speaker {index + 1}")
        elif not any(speaker.index == index for speaker in speakers):
            raise RequestRefused("There is no such speaker in this transcript.", "speaker")
        # One column: a worker replacing the segments meanwhile must not see a stale row re-inserted.
        Segment.objects.filter(pk=segment.pk).update(speaker=index)
    transcription.bump_text_revision()
