"""The writes of one attempt at a job, each conditional on its lease.

Each attempt holds a lease (a token on the Transcription row). Every write made
here is conditional on that lease, so a stale attempt (its worker taken for
dead and the job requeued, or the job canceled) changes nothing.
"""

import logging
import os
import socket
import threading
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone

from timedtext import Segment as TimedSegment
from timedtext import Word
from transcripts.models import Segment, Speaker, Transcription

from . import webhooks
from .pipeline import Span

log = logging.getLogger(__name__)

Status = Transcription.Status
Stage = Transcription.Stage


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
                status=Status.RUNNING,
                stage=Stage.DECODING,
                progress=0.0,
                started_at=now,
                heartbeat_at=now,
                worker=f"{socket.gethostname()}:{os.getpid()}",
            )
        )

    def update(self, **fields):
        if self.lost.is_set() or not self._rows().update(heartbeat_at=timezone.now(), **fields):
            self.lost.set()
            raise LeaseLost()

    def heartbeat(self):
        if not self._rows().update(heartbeat_at=timezone.now()):
            self.lost.set()

    def saved_chunks(self, plan_key):
        """What an earlier attempt left for this one: the chunk spans it planned
        under the same `plan_key` (same file, options and model), and the chunks
        whose segments it saved, {index: timedtext.Segment}. ([], {}) when none."""
        row = Transcription.objects.values("chunk_plan", "chunk_plan_key").get(pk=self.transcription_id)
        if row["chunk_plan_key"] != plan_key or not row["chunk_plan"]:
            return [], {}
        spans = [Span(start_s, end_s) for start_s, end_s in row["chunk_plan"]]
        done = {}
        for saved in Segment.objects.filter(transcription_id=self.transcription_id, index__lt=len(spans)):
            span = spans[saved.index]
            if (saved.start_s, saved.end_s) == (span.start_s, span.end_s):
                # Saved while transcribing: the words as heard (the text stages run at the end).
                words = tuple(Word.from_dict(word) for word in saved.heard_words or saved.words)
                done[saved.index] = TimedSegment(saved.start_s, saved.end_s, saved.original_text, words, heard_words=words)
        return spans, done

    def save_plan(self, spans, plan_key, kept_indexes):
        """Keep the chunk plan with the job, and drop saved segments that are not
        among `kept_indexes` (chunks of another plan)."""
        with transaction.atomic():
            if not self._rows().select_for_update().exists():
                self.lost.set()
                raise LeaseLost()
            Segment.objects.filter(transcription_id=self.transcription_id).exclude(index__in=kept_indexes).delete()
            self.update(
                stage=Stage.TRANSCRIBING,
                chunk_plan=[[span.start_s, span.end_s] for span in spans],
                chunk_plan_key=plan_key,
                chunks_total=len(spans),
                chunks_done=len(kept_indexes),
                progress=100.0 * len(kept_indexes) / max(len(spans), 1),
            )

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
                update_fields=["start_s", "end_s", "text", "original_text", "words", "heard_words"],
            )

    def finish(self, transcript, notes=(), detail=""):
        """Save the segments and mark the job done; `notes` (for the owner) and
        `detail` (for admins) say what a text stage could not do."""
        rows = [segment_row(self.transcription_id, index, segment) for index, segment in enumerate(transcript.segments)]
        with transaction.atomic():
            if not self._rows().select_for_update().exists():
                raise LeaseLost()
            Segment.objects.filter(transcription_id=self.transcription_id).delete()  # a rerun replaces
            Segment.objects.bulk_create(rows)
            Speaker.objects.filter(transcription_id=self.transcription_id).delete()
            Speaker.objects.bulk_create(
                Speaker(transcription_id=self.transcription_id, index=index, name=name)
                for index, name in enumerate(transcript.speakers)
            )
            self._rows().update(
                status=Status.DONE,
                stage=Stage.FINISHED,
                progress=100.0,
                duration_s=transcript.duration_s,
                notes=list(notes),
                error_detail=detail,
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
    """A Segment row for a timedtext.Segment the pipeline made."""
    return Segment(
        transcription_id=transcription_id,
        index=index,
        start_s=segment.start_s,
        end_s=segment.end_s,
        text=segment.text,
        original_text=segment.text,
        words=[word.as_dict() for word in segment.words],
        heard_words=[word.as_dict() for word in segment.heard_words],
        speaker=segment.speaker,
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
