"""RQ entry points: load the rows, run the pipeline, save the results.

`transcribe` is what the web process enqueues (by its dotted path, see
transcripts/queueing.py). The pipeline reads no settings: this module turns the
site's settings and the job's options into its arguments, and words its errors
for the people who read them (users on the job page, admins in the traceback).
Every write goes through the attempt's lease (attempt.py).
"""

import logging
import shutil
import tempfile
import traceback
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone
from rq.timeouts import JobTimeoutException

from guards.media import MediaError
from transcripts import services
from transcripts.models import Transcription
from transcripts.vocabulary import words_for_job

from . import pipeline
from .attempt import Attempt, LeaseLost, heartbeat
from .downloads import download_media
from .fetch import DownloadError
from .pipeline.errors import ModelLoadError, PipelineError, PrecisionError

log = logging.getLogger(__name__)

Stage = Transcription.Stage

UNEXPECTED_ERROR = (
    "Something went wrong on our side while transcribing this file. "
    "The administrators can see the details; you can retry."
)
TOO_SLOW = (
    "The transcription took longer than allowed and was stopped. "
    "You can retry; if it happens again the file may be too long for this server."
)
MODEL_UNAVAILABLE = (
    "The speech model is not available on the server right now, so nothing was transcribed. "
    "The administrators can see why; please retry later."
)
# Errors whose message is for the person who asked for the job, shown as it is.
USER_ERRORS = (PipelineError, MediaError, DownloadError)


def model_load_advice(exc):
    """What an operator reads about a model that failed to load (ModelLoadError,
    PrecisionError): the reason, and the setting that fixes it."""
    if isinstance(exc, PrecisionError):
        return f"{exc} Set STT_PRECISION to one that runs on this worker."
    return (
        f"{exc} Set STT_MODEL to a local folder that holds the model, or download it first with "
        "`python manage.py download_model` on a machine that can reach the Hugging Face hub."
    )


def load_engine():
    """The speech engine the site's settings name, loaded once per worker process."""
    return pipeline.load_ctc_engine(
        settings.STT_MODEL, settings.STT_PRECISION, settings.STT_THREADS, settings.STT_CPU_BATCH_MB
    )


# What an administrator can do about a text stage's model (see stage_note_detail).
STAGE_ADVICE = {
    "punctuation": "Set PUNCTUATION_MODEL to a local folder that holds the model (or empty, to switch punctuation "
    "off), or download it first with `python manage.py download_model --kind punctuation`.",
    "language model": "Set STT_LM_PATH to an ARPA language model file, or empty for none.",
}


def decoding_options(transcription=None):
    """How the engine decodes, from the site's settings and the words `transcription` asks for."""
    return pipeline.DecodingOptions(
        beam_search=settings.STT_DECODER == "beam",
        words=tuple(words_for_job(transcription)) if transcription is not None else (),
        lm_path=settings.STT_LM_PATH or None,
        beam_size=settings.STT_BEAM_SIZE,
        hotword_weight=settings.STT_HOTWORD_WEIGHT,
        lm_weight=settings.STT_LM_WEIGHT,
        word_score=settings.STT_WORD_SCORE,
    )


def text_options(punctuation=True, numbers=True):
    """The text stages the site offers, of those asked for."""
    return pipeline.TextOptions(
        numbers=settings.NUMBERS_AS_DIGITS and numbers,
        punctuation_model=(settings.PUNCTUATION_MODEL or None) if punctuation else None,
    )


def transcribe_options(transcription):
    return pipeline.TranscribeOptions(
        start_s=transcription.trim_start_s,
        end_s=transcription.trim_end_s,
        split=pipeline.SplitOptions(min_space_s=settings.SPLIT_MIN_SPACE_S, max_space_s=settings.SPLIT_MAX_SPACE_S),
        decoding=decoding_options(transcription),
        text=text_options(transcription.punctuation, transcription.numbers),
    )


def stage_note_detail(note):
    """What admins read about a stage note: the reason, and what fixes it."""
    advice = STAGE_ADVICE.get(note.stage, "")
    return f"{note.stage}: {note.detail} {advice}".strip()


@contextmanager
def local_path(field_file):
    """A local path for a stored file: the file itself on local storage, a
    temporary copy when the storage is remote (object storage, another machine)."""
    try:
        yield Path(field_file.path)
        return
    except NotImplementedError:
        pass
    with tempfile.TemporaryDirectory(prefix="speechsite-") as folder:
        copy = Path(folder) / Path(field_file.name).name
        with field_file.open("rb") as source, open(copy, "wb") as target:
            shutil.copyfileobj(source, target, 1024 * 1024)
        yield copy


def transcribe(transcription_id, lease):
    """RQ job: transcribe one Transcription for the attempt that holds `lease`."""
    close_old_connections()
    attempt = Attempt(transcription_id, lease)
    if not attempt.claim():
        log.info("transcription %s: attempt %s is no longer current; skipped", transcription_id, lease)
        return "skipped"
    transcription = Transcription.objects.select_related("media").get(pk=transcription_id)
    try:
        with heartbeat(attempt):
            run(transcription, attempt)
    except LeaseLost:
        log.info("transcription %s: lease lost (canceled or requeued); stopped", transcription_id)
        return "lease lost"
    except JobTimeoutException:
        attempt.fail(TOO_SLOW, traceback.format_exc())
        raise
    except (ModelLoadError, PrecisionError) as exc:
        # The reason names server paths and settings: for admins, not users.
        advice = model_load_advice(exc)
        log.error("transcription %s: %s", transcription_id, advice)
        attempt.fail(MODEL_UNAVAILABLE, advice)
        raise
    except USER_ERRORS as exc:
        attempt.fail(str(exc))
        raise
    except Exception:
        attempt.fail(UNEXPECTED_ERROR, traceback.format_exc())
        raise
    return "done"


def run(transcription, attempt):
    media = transcription.media
    if not media.file:
        attempt.update(stage=Stage.DOWNLOADING, progress=0.0)
        download_media(media, on_progress=lambda percent: attempt.update(progress=percent))
        # The link was the title while nothing better was known (cut to the field's length).
        if transcription.title == media.source_url[: Transcription._meta.get_field("title").max_length]:
            attempt.update(title=media.original_name[:255] or transcription.title)

    attempt.update(stage=Stage.DECODING, progress=0.0)
    engine = load_engine()

    def on_plan(chunk_spans):
        attempt.update(
            stage=Stage.TRANSCRIBING,
            chunks_total=len(chunk_spans),
            chunks_done=0,
            progress=0.0,
            transcribing_started_at=timezone.now(),
        )

    def on_progress(done, total, finished_segments):
        attempt.save_partial_segments(finished_segments)
        attempt.update(chunks_done=done, progress=100.0 * done / max(total, 1))

    notes = []

    def on_note(note):
        if note.detail:  # a model that did not load, a stage that raised: for the operator
            log.warning("transcription %s: %s", transcription.pk, stage_note_detail(note))
        notes.append(note)

    with local_path(media.file) as path:
        transcript = pipeline.transcribe_file(
            path,
            engine,
            transcribe_options(transcription),
            on_plan=on_plan,
            on_progress=on_progress,
            on_text_stages=lambda: attempt.update(stage=Stage.POLISHING, progress=0.0),
            on_note=on_note,
        )
    attempt.update(stage=Stage.SAVING)
    attempt.finish(
        transcript,
        notes=[note.message for note in notes],
        detail="\n\n".join(stage_note_detail(note) for note in notes if note.detail),
    )
    if transcription.summarize:
        queue_summary(transcription)


def queue_summary(transcription):
    """The summary the job asked for; a refusal (summaries switched off, Redis
    down) is the summary's failure, not the transcript's."""
    try:
        services.request_summary(transcription)
    except services.SummaryRefused as refusal:
        Transcription.objects.filter(pk=transcription.pk, status=Transcription.Status.DONE).update(
            summary_status=Transcription.SummaryStatus.FAILED, summary_error=refusal.message
        )


def record_rq_failure(job, connection, exc_type, exc_value, tb):
    """RQ on_failure callback: record what RQ saw (a timeout, an abandoned job)
    when the job itself could not. Never raises: RQ must go on."""
    try:
        transcription_id, lease = job.args
        # The job records its own failures first; this only lands when it could
        # not (a timeout outside it, a worker lost before the job claimed the row).
        if exc_type is not None and issubclass(exc_type, JobTimeoutException):
            message = TOO_SLOW
        else:
            message = UNEXPECTED_ERROR
        detail = "".join(traceback.format_exception(exc_type, exc_value, tb)) if exc_type else ""
        Attempt(transcription_id, lease).fail(message, detail)
    except Exception:
        log.exception("could not record the failure of RQ job %s", getattr(job, "id", "?"))
