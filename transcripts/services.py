"""Creating and queueing transcriptions: the one place that does it, for the web
form and the API alike. No request objects here: arguments in, rows out."""

import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from workers import netguard

from . import queueing
from .models import Media, Transcription
from .probe import ProbeError, probe_file
from .uploads import too_large_message


class RequestRefused(ValueError):
    """What was asked cannot be done; the message is for the user. `field` names
    the form field it concerns, or None for the request as a whole."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Created:
    transcription: Transcription
    queued: bool  # False when Redis was unreachable: the row waits for the reaper


class TooManyUnfinishedJobs(RequestRefused):
    """The per-user limit on queued and running jobs (the API answers 429)."""


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
            return probe_file(path)
        except ProbeError as exc:
            raise RequestRefused(str(exc), "file") from exc


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
):
    """Check, store and queue a new transcription of an uploaded file or a URL.

    Raises RequestRefused with a message for the user. When Redis is down the
    rows are kept and Created.queued is False.
    """
    if (upload is None) == (not url):
        raise RequestRefused("Choose a file to upload or paste a link, not both.")
    check_can_start_job(owner)
    check_trim(trim_start_s, trim_end_s)
    if upload is not None:
        info = probe_upload(upload)
        check_trim(trim_start_s, trim_end_s, info.duration_s)
        original_name = Path(upload.name).name[:255]
        media = Media(
            owner=owner,
            source=Media.Source.UPLOAD,
            original_name=original_name,
            size_bytes=upload.size,
            duration_s=info.duration_s,
            has_video=info.has_video,
        )
        # The storage generates the stored name (media_upload_path).
        media.file.save(original_name or "upload", upload, save=False)
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
                model_name=settings.STT_MODEL,
                requested_model=requested_model,
                webhook_url=webhook_url,
            )
    except BaseException:
        media.delete_file()
        raise
    return Created(transcription, queued=queue(transcription))


def queue(transcription):
    """Start a new attempt; False when the queue is unreachable (the row is kept)."""
    try:
        queueing.start_attempt(transcription)
    except queueing.QueueUnavailable:
        return False
    return True


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
