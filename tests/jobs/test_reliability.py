"""Jobs survive faults: dead workers, lost queue entries, stale attempts, cancels."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry

import timedtext
from tests.support.jobs_factory import queued_transcription
from transcripts import queueing, services
from transcripts.models import Segment, Transcription
from workers.attempt import Attempt, LeaseLost
from workers.reaper import reap

# Committed rows: django-rq enqueues on commit, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

Status = Transcription.Status
CLOSED_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def transcription(owner, speech_wav):
    return queued_transcription(owner, speech_wav, duration_s=12.0)


def simulate_dead_worker(transcription, seconds_ago=600):
    """What a worker leaves behind when it is SIGKILLed mid-job: a running row
    whose heartbeat stopped."""
    assert Attempt(transcription.pk, transcription.lease).claim()
    Transcription.objects.filter(pk=transcription.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=seconds_ago)
    )
    transcription.refresh_from_db()


def rq_job(job_id):
    return Job.fetch(job_id, connection=queueing.get_transcribe_queue().connection)


def test_dead_worker_job_is_requeued_as_a_new_attempt(transcription):
    first_job_id, first_lease = transcription.rq_job_id, transcription.lease
    simulate_dead_worker(transcription)

    report = reap()

    transcription.refresh_from_db()
    assert report.new_attempts == [transcription.pk]
    assert transcription.status == Status.QUEUED
    assert transcription.attempt == 2
    assert transcription.lease != first_lease
    assert transcription.rq_job_id in queueing.get_transcribe_queue().get_job_ids()
    # RQ agrees: the dead attempt's job is failed, not left started or queued.
    assert rq_job(first_job_id).get_status() == JobStatus.FAILED
    assert first_job_id in FailedJobRegistry(queue=queueing.get_transcribe_queue()).get_job_ids()


def test_job_fails_with_a_clear_message_after_max_attempts(settings, transcription):
    settings.JOB_MAX_ATTEMPTS = 1
    simulate_dead_worker(transcription)

    report = reap()

    transcription.refresh_from_db()
    assert report.failed == [transcription.pk]
    assert transcription.status == Status.FAILED
    assert "stopped responding" in transcription.error
    assert transcription.can_retry


def test_live_worker_is_left_alone(transcription):
    simulate_dead_worker(transcription, seconds_ago=1)
    assert reap().new_attempts == []
    transcription.refresh_from_db()
    assert transcription.status == Status.RUNNING


def test_canceled_job_is_not_resurrected(transcription):
    simulate_dead_worker(transcription)
    transcription.cancel()

    reap()

    transcription.refresh_from_db()
    assert transcription.status == Status.CANCELED
    assert transcription.attempt == 1


def test_stale_attempt_writes_nothing(transcription):
    stale = Attempt(transcription.pk, transcription.lease)
    simulate_dead_worker(transcription)
    reap()  # hands the job to a new attempt
    segment = timedtext.Segment(0.0, 1.0, "stale words", (timedtext.Word("stale", 0.0, 0.5),))

    with pytest.raises(LeaseLost):
        stale.update(progress=50.0)
    with pytest.raises(LeaseLost):
        stale.save_partial_segments({0: segment})
    with pytest.raises(LeaseLost):
        stale.finish(timedtext.Transcript(duration_s=1.0, segments=(segment,)))
    assert not stale.fail("should not be recorded")

    transcription.refresh_from_db()
    assert transcription.status == Status.QUEUED
    assert transcription.error == ""
    assert not Segment.objects.filter(transcription=transcription).exists()


def test_rerun_replaces_segments_instead_of_duplicating(transcription):
    def run_attempt(texts):
        transcription.refresh_from_db()
        attempt = Attempt(transcription.pk, transcription.lease)
        assert attempt.claim()
        segments = tuple(timedtext.Segment(float(i), float(i + 1), text) for i, text in enumerate(texts))
        attempt.save_partial_segments({0: segments[0]})
        attempt.finish(timedtext.Transcript(duration_s=len(texts), segments=segments))

    run_attempt(["one", "two", "three"])
    services.queue_new_attempt(transcription)
    run_attempt(["uno", "dos"])

    texts = list(Segment.objects.filter(transcription=transcription).values_list("text", flat=True))
    assert texts == ["uno", "dos"]


def test_job_timeout_scales_with_media_duration(settings, owner, speech_wav):
    settings.JOB_TIMEOUT_FACTOR = 2.0
    settings.JOB_TIMEOUT_BASE_S = 600
    three_hours = queued_transcription(owner, speech_wav, duration_s=3 * 3600.0)

    timeout_s = rq_job(three_hours.rq_job_id).timeout

    assert timeout_s == 600 + 2 * 3 * 3600
    trimmed = queued_transcription(owner, speech_wav, duration_s=3 * 3600.0, trim_start_s=60.0, trim_end_s=120.0)
    assert rq_job(trimmed.rq_job_id).timeout == 600 + 2 * 60


def test_upload_kept_when_redis_is_down_and_queued_when_it_is_back(monkeypatch, owner, speech_wav):
    import django_rq.settings

    queue_config = django_rq.settings.QUEUES["transcribe"]
    monkeypatch.setitem(django_rq.settings.QUEUES, "transcribe", {**queue_config, "URL": CLOSED_REDIS})
    queued_transcription(owner, speech_wav, duration_s=12.0)
    transcription = Transcription.objects.get()
    assert transcription.status == Status.QUEUED
    assert transcription.media.file.storage.exists(transcription.media.file.name)

    # Redis is still down: the reaper says so and changes nothing.
    assert reap().enqueued == []

    monkeypatch.setitem(django_rq.settings.QUEUES, "transcribe", queue_config)
    Transcription.objects.filter(pk=transcription.pk).update(queued_at=timezone.now() - timedelta(minutes=1))
    assert reap().enqueued == [transcription.pk]
    assert transcription.rq_job_id in django_rq.get_queue("transcribe").get_job_ids()
    # Once on the queue it is not enqueued twice.
    assert reap().enqueued == []


def test_failed_job_before_claim_is_recorded_on_the_row(transcription):
    from workers.jobs import record_rq_failure

    job = rq_job(transcription.rq_job_id)
    record_rq_failure(job, job.connection, RuntimeError, RuntimeError("boom"), None)

    transcription.refresh_from_db()
    assert transcription.status == Status.FAILED
    assert "Something went wrong on our side" in transcription.error
    assert "RuntimeError: boom" in transcription.error_detail


def webhook_jobs():
    queue = queueing.get_transcribe_queue()
    return [job for job in queue.get_jobs() if job.func_name == "workers.webhooks.deliver"]


def test_a_persons_retries_do_not_count_as_worker_deaths(transcription):
    for _ in range(2):
        transcription.cancel()
        services.queue_new_attempt(transcription)
    simulate_dead_worker(transcription)

    assert reap().new_attempts == [transcription.pk]
    transcription.refresh_from_db()
    assert transcription.status == Status.QUEUED
    assert transcription.worker_deaths == 1


def test_a_double_retry_starts_one_attempt(transcription):
    transcription.cancel()
    services.queue_new_attempt(transcription)
    attempt, lease = transcription.attempt, transcription.lease

    services.queue_new_attempt(transcription)  # the second click of a double click

    transcription.refresh_from_db()
    assert (transcription.attempt, transcription.lease) == (attempt, lease)


def test_a_job_failed_by_the_reaper_sends_its_webhook(settings, transcription):
    settings.JOB_MAX_ATTEMPTS = 1
    Transcription.objects.filter(pk=transcription.pk).update(webhook_url="https://hooks.example.com/speech")
    simulate_dead_worker(transcription)

    reap()

    [delivery] = webhook_jobs()
    assert delivery.args[0] == "https://hooks.example.com/speech"
    assert delivery.args[2]["status"] == Status.FAILED


def test_a_queued_job_that_rq_ended_without_starting_is_failed_not_resubmitted(transcription):
    job = rq_job(transcription.rq_job_id)
    job.set_status(JobStatus.STOPPED)
    queueing.get_transcribe_queue().remove(job)

    assert reap().failed == [transcription.pk]
    transcription.refresh_from_db()
    assert transcription.status == Status.FAILED and transcription.can_retry
    assert reap().enqueued == []


def test_a_job_that_runs_too_long_says_so(settings, monkeypatch, owner, speech_wav, burst_worker):
    import time

    from workers import jobs

    settings.JOB_TIMEOUT_BASE_S, settings.JOB_TIMEOUT_FACTOR = 1, 0.0
    monkeypatch.setattr(jobs, "run", lambda transcription, attempt: time.sleep(10))
    transcription = queued_transcription(owner, speech_wav, duration_s=12.0)

    burst_worker()

    transcription.refresh_from_db()
    assert transcription.status == Status.FAILED
    assert transcription.error == jobs.TOO_SLOW
    assert rq_job(transcription.rq_job_id).get_status() == JobStatus.FAILED


def test_a_model_that_cannot_be_loaded_fails_the_job_without_showing_server_details(
    settings, tmp_path, owner, speech_wav, burst_worker
):
    from workers import jobs

    settings.STT_MODEL = str(tmp_path / "no-model-here")
    transcription = queued_transcription(owner, speech_wav, duration_s=12.0)

    burst_worker()

    transcription.refresh_from_db()
    assert transcription.status == Status.FAILED
    assert transcription.error == jobs.MODEL_UNAVAILABLE
    assert "STT_MODEL" in transcription.error_detail and str(tmp_path) in transcription.error_detail
    assert "download_model" in transcription.error_detail
    assert str(tmp_path) not in transcription.error


def test_heartbeats_go_on_after_a_database_error(settings, monkeypatch, transcription):
    import time

    from django.db import OperationalError

    from workers.jobs import heartbeat

    settings.JOB_HEARTBEAT_S = 0.05
    attempt = Attempt(transcription.pk, transcription.lease)
    assert attempt.claim()
    beat_once = Attempt.heartbeat
    calls = []

    def heartbeat_failing_first(self):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        beat_once(self)

    monkeypatch.setattr(Attempt, "heartbeat", heartbeat_failing_first)
    Transcription.objects.filter(pk=transcription.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    with heartbeat(attempt):
        time.sleep(0.5)

    transcription.refresh_from_db()
    assert len(calls) > 2
    assert timezone.now() - transcription.heartbeat_at < timedelta(seconds=5)
