"""RQ entry points: load the rows, run the pipeline, save the results.

Each attempt holds a lease (a token on the Transcription row). Every write this
module makes is conditional on that lease, so a stale attempt (its worker taken
for dead and the job requeued, or the job canceled) changes nothing.
"""

import logging
import shutil
import tempfile
import threading
import traceback
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone
from rq.timeouts import JobTimeoutException

from transcripts.models import Segment, Transcription
from workers import pipeline, webhooks
from workers.pipeline.errors import ModelLoadError, PipelineError

log = logging.getLogger(__name__)

Status = Transcription.Status
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


class LeaseLost(Exception):
    """This attempt no longer owns the job: it was canceled or handed to another worker."""


class Attempt:
    """Writes made on behalf of one attempt, each conditional on its lease."""

    def __init__(self, transcription_id, lease):
        self.transcription_id = transcription_id
        self.lease = lease
        self.lost = threading.Event()

    def _rows(self):
        return Transcription.objects.filter(pk=self.transcription_id, lease=self.lease, status=Status.RUNNING)

    def claim(self):
        now = timezone.now()
        return bool(
            Transcription.objects.filter(pk=self.transcription_id, lease=self.lease, status=Status.QUEUED).update(
                status=Status.RUNNING, stage=Stage.DECODING, progress=0.0, started_at=now, heartbeat_at=now
            )
        )

    def update(self, **fields):
        if self.lost.is_set() or not self._rows().update(heartbeat_at=timezone.now(), **fields):
            self.lost.set()
            raise LeaseLost()

    def heartbeat(self):
        if not self._rows().update(heartbeat_at=timezone.now()):
            self.lost.set()

    def save_partial_segments(self, segments_by_index):
        """Show finished chunks while the rest is still being transcribed."""
        rows = [segment_row(self.transcription_id, index, segment) for index, segment in segments_by_index.items()]
        with transaction.atomic():
            if not self._rows().select_for_update().exists():
                self.lost.set()
                raise LeaseLost()
            Segment.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["transcription", "index"],
                update_fields=["start_s", "end_s", "text", "original_text", "words"],
            )

    def finish(self, transcript):
        rows = [segment_row(self.transcription_id, index, segment) for index, segment in enumerate(transcript.segments)]
        with transaction.atomic():
            if not self._rows().select_for_update().exists():
                raise LeaseLost()
            Segment.objects.filter(transcription_id=self.transcription_id).delete()  # a rerun replaces
            Segment.objects.bulk_create(rows)
            self._rows().update(
                status=Status.DONE,
                stage=Stage.FINISHED,
                progress=100.0,
                duration_s=transcript.duration_s,
                text_revision=F("text_revision") + 1,
                finished_at=timezone.now(),
                heartbeat_at=timezone.now(),
            )
        webhooks.job_ended(self.transcription_id)

    def fail(self, message, detail=""):
        # A queued row too: RQ may fail the job before it could claim the row.
        unfinished = Transcription.objects.filter(
            pk=self.transcription_id, lease=self.lease, status__in=Transcription.UNFINISHED
        )
        failed = bool(
            unfinished.update(
                status=Status.FAILED, error=message, error_detail=detail, finished_at=timezone.now()
            )
        )
        if failed:
            webhooks.job_ended(self.transcription_id)
        return failed


def segment_row(transcription_id, index, segment):
    return Segment(
        transcription_id=transcription_id,
        index=index,
        start_s=segment.start_s,
        end_s=segment.end_s,
        text=segment.text,
        original_text=segment.text,
        words=[{"word": w.word, "start": w.start_s, "end": w.end_s} for w in segment.words],
    )


@contextmanager
def heartbeat(attempt):
    """Write heartbeat_at every JOB_HEARTBEAT_S from a thread, so that the reaper
    can tell a live attempt (busy in a long native call) from a dead worker."""
    stop = threading.Event()

    def beat():
        try:
            while not stop.wait(settings.JOB_HEARTBEAT_S):
                try:
                    attempt.heartbeat()
                except DatabaseError:
                    # A locked SQLite file or a database restart: keep beating,
                    # or the reaper would take this live job for dead.
                    log.warning("heartbeat of transcription %s failed; retrying", attempt.transcription_id)
                    connection.close()
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name="job-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


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
    except ModelLoadError as exc:
        # The reason names server paths and commands: for admins, not users.
        log.error("transcription %s: %s", transcription_id, exc)
        attempt.fail(MODEL_UNAVAILABLE, str(exc))
        raise
    except PipelineError as exc:
        attempt.fail(str(exc))
        raise
    except Exception:
        attempt.fail(UNEXPECTED_ERROR, traceback.format_exc())
        raise
    return "done"


def run(transcription, attempt):
    media = transcription.media
    if not media.file:
        from workers.fetch import download_media  # only URL jobs need yt-dlp

        attempt.update(stage=Stage.DOWNLOADING, progress=0.0)
        download_media(media, on_progress=lambda percent: attempt.update(progress=percent))
        # The link was the title while nothing better was known (cut to the field's length).
        if transcription.title == media.source_url[: Transcription._meta.get_field("title").max_length]:
            attempt.update(title=media.original_name[:255] or transcription.title)

    attempt.update(stage=Stage.DECODING, progress=0.0)
    recognizer = pipeline.load_recognizer(settings.STT_MODEL, settings.STT_PRECISION)

    def on_plan(chunk_spans):
        attempt.update(stage=Stage.TRANSCRIBING, chunks_total=len(chunk_spans), chunks_done=0, progress=0.0)

    def on_progress(done, total, finished_segments):
        attempt.save_partial_segments(finished_segments)
        attempt.update(chunks_done=done, progress=100.0 * done / max(total, 1))

    with local_path(media.file) as path:
        transcript = pipeline.transcribe_file(
            path,
            recognizer,
            pipeline.TranscribeOptions(
                start_s=transcription.trim_start_s,
                end_s=transcription.trim_end_s,
                split=pipeline.SplitOptions(
                    min_space_s=settings.SPLIT_MIN_SPACE_S, max_space_s=settings.SPLIT_MAX_SPACE_S
                ),
            ),
            on_plan=on_plan,
            on_progress=on_progress,
        )
    attempt.update(stage=Stage.SAVING)
    attempt.finish(transcript)


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
