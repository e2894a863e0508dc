"""A real worker process SIGKILLed in the middle of a job: the job is requeued by
the reaper and finished by a second worker from the chunks the first one saved,
with exactly one set of segments."""

import os
import signal

import pytest
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, StartedJobRegistry

from tests.support.jobs_factory import queued_transcription
from tests.support.worker_process import start_stalling_worker, wait_until
from transcripts import queueing
from transcripts.models import Segment, Transcription
from workers.pipeline.engines import ctc
from workers.reaper import reap

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

Status = Transcription.Status


def test_sigkilled_worker_job_is_finished_by_another_worker_from_its_saved_chunks(
    settings, owner, speech_wav, tiny_model, burst_worker, monkeypatch
):
    settings.SPLIT_MIN_SPACE_S, settings.SPLIT_MAX_SPACE_S = 3.0, 6.0
    settings.JOB_STALE_AFTER_S = 2.0
    transcription = queued_transcription(owner, speech_wav, duration_s=12.0)
    first_job_id = transcription.rq_job_id

    worker = start_stalling_worker(
        tiny_model, stall_after_batch_s=600, SPLIT_MIN_SPACE_S=3, SPLIT_MAX_SPACE_S=6, JOB_HEARTBEAT_S=0.5,
        STT_CPU_BATCH_MB=0.001,  # one chunk a batch
    )
    try:
        # Killed only once it has written part of the transcript, so that the
        # second attempt has something to replace.
        wait_until(
            lambda: worker.poll() is not None or Segment.objects.filter(transcription=transcription).exists(),
            timeout_s=120,
            what="the first worker to transcribe part of the file",
        )
    finally:
        if worker.poll() is None:
            os.kill(worker.pid, signal.SIGKILL)
        output = worker.communicate()[0]
    assert worker.returncode == -signal.SIGKILL, f"the worker was not running when killed:\n{output}"
    transcription.refresh_from_db()
    assert transcription.status == Status.RUNNING  # what the dead worker left behind
    plan = transcription.chunk_plan
    saved = {row.index: (row.start_s, row.end_s, row.text) for row in transcription.segments.all()}
    assert 0 < len(saved) < len(plan)

    wait_until(lambda: reap().new_attempts == [transcription.pk], timeout_s=10, what="the reaper to requeue the job")

    transcription.refresh_from_db()
    assert transcription.status == Status.QUEUED and transcription.attempt == 2
    queue = queueing.get_transcribe_queue()
    assert Job.fetch(first_job_id, connection=queue.connection).get_status() == JobStatus.FAILED
    assert first_job_id in FailedJobRegistry(queue=queue).get_job_ids()
    assert first_job_id not in StartedJobRegistry(queue=queue).get_job_ids()

    chunks_given = []
    transcribe = ctc.CtcEngine.transcribe

    def counting_transcribe(self, chunks, offsets_s, *rest):
        chunks_given.extend(offsets_s)
        return transcribe(self, chunks, offsets_s, *rest)

    monkeypatch.setattr(ctc.CtcEngine, "transcribe", counting_transcribe)
    burst_worker()

    transcription.refresh_from_db()
    assert transcription.status == Status.DONE, transcription.error_detail
    # The same cuts, and only the chunks the dead worker had not saved went to the model.
    assert transcription.chunk_plan == plan
    assert sorted(chunks_given) == [start_s for index, (start_s, _) in enumerate(plan) if index not in saved]
    finished = {row.index: (row.start_s, row.end_s, row.text) for row in transcription.segments.all()}
    assert {index: finished[index] for index in saved} == saved
    segments = list(Segment.objects.filter(transcription=transcription).order_by("index"))
    assert [segment.index for segment in segments] == list(range(transcription.chunks_total))
    assert len(segments) >= 2
    starts = [segment.start_s for segment in segments]
    assert starts == sorted(set(starts))
    assert Job.fetch(transcription.rq_job_id, connection=queue.connection).get_status() == JobStatus.FINISHED
