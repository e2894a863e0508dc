"""Keeps the job table truthful when workers or Redis fail.

RQ alone cannot: a SimpleWorker never heartbeats mid-job, busy workers never
clean registries, and a Redis restart forgets every queued job (see
shared/QUEUE-NOTES.md). So `manage.py reap_jobs` runs beside the workers and,
every few seconds:

- takes a running job whose heartbeat stopped JOB_STALE_AFTER_S ago for dead:
  gives it a new attempt (new lease, so the old one can no longer write) and
  enqueues it, or fails it once JOB_MAX_ATTEMPTS attempts in a row have died;
  RQ's registries are made to agree (the dead attempt's RQ job moves to the
  failed registry);
- enqueues queued jobs that are not on the queue (Redis was down when they
  were created, or restarted empty), and fails queued jobs whose RQ job ended
  without ever starting them;
- now and then (`abort_stale_uploads`), aborts multipart uploads into the media
  bucket that died with their client a day ago or more.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.job_lifecycle import record_job_failure
from rq.registry import StartedJobRegistry

from transcripts.models import Transcription
from transcripts.queueing import QueueUnavailable, enqueue, get_queue, get_transcribe_queue, queue_of

from . import webhooks

log = logging.getLogger(__name__)

Status = Transcription.Status

WORKER_DIED = (
    "The worker transcribing this file stopped responding {deaths} times (it may have run out of memory "
    "or been restarted). You can retry; if it keeps happening, try a shorter file or trim it."
)
NEVER_STARTED = "The job queue dropped this transcription before it started. You can retry."
# How long a freshly queued job may be missing from Redis before it is enqueued
# again: covers the moment between saving the row and enqueueing it.
SUBMIT_GRACE_S = 10
# An upload still unfinished after this long was abandoned (no upload of
# MAX_UPLOAD_BYTES takes a day).
STALE_UPLOAD_AGE = timedelta(days=1)
# The fields a new attempt or a reaper's failure writes.
ATTEMPT_FIELDS = [
    "status", "stage", "progress", "chunks_done", "chunks_total", "attempt", "worker_deaths", "lease",
    "rq_job_id", "queued_at", "heartbeat_at", "started_at", "finished_at", "error", "error_detail", "language",
    "language_probability",
]


@dataclass
class ReapReport:
    new_attempts: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    enqueued: list[int] = field(default_factory=list)

    def __str__(self):
        return (
            f"gave {len(self.new_attempts)} dead job(s) a new attempt, failed {len(self.failed)}, "
            f"enqueued {len(self.enqueued)} job(s) missing from the queue"
        )


def reap(dry_run=False):
    report = ReapReport()
    now = timezone.now()
    stale = Transcription.objects.filter(
        status=Status.RUNNING, heartbeat_at__lt=now - timedelta(seconds=settings.JOB_STALE_AFTER_S)
    )
    for transcription in stale:
        handle_dead_attempt(transcription, report, dry_run)
    try:
        enqueue_lost_jobs(now, report, dry_run)
    except RedisError as exc:
        log.warning("queue unavailable, queued jobs not checked: %s", exc)
    return report


def handle_dead_attempt(transcription, report, dry_run):
    gives_up = transcription.worker_deaths + 1 >= settings.JOB_MAX_ATTEMPTS
    if dry_run:
        (report.failed if gives_up else report.new_attempts).append(transcription.pk)
        return
    with transaction.atomic():
        # Still the same stale attempt? A heartbeat or a cancel may have come in.
        row = (
            Transcription.objects.select_for_update()
            .filter(pk=transcription.pk, status=Status.RUNNING, lease=transcription.lease)
            .first()
        )
        if row is None or row.heartbeat_at != transcription.heartbeat_at:
            return
        dead_job_id = row.rq_job_id
        row.worker_deaths += 1
        if gives_up:
            row.status = Status.FAILED
            row.error = WORKER_DIED.format(deaths=row.worker_deaths)
            row.finished_at = timezone.now()
            row.lease = None
            report.failed.append(row.pk)
        else:
            row.new_attempt()
            report.new_attempts.append(row.pk)
        # Only what the reaper decides: a title edited meanwhile stays.
        row.save(update_fields=ATTEMPT_FIELDS)
    log.warning("transcription %s: worker of RQ job %s died", row.pk, dead_job_id)
    if row.status == Status.FAILED:
        webhooks.job_ended(row.pk)
    try:
        fail_rq_job(dead_job_id, "The worker died: no heartbeat from the job (found by reap_jobs).")
        if row.status == Status.QUEUED:
            enqueue(row)
    except (RedisError, QueueUnavailable) as exc:
        # The row is queued in the database; the next round enqueues it.
        log.warning("transcription %s: queue unavailable for its new attempt: %s", row.pk, exc)


def fail_rq_job(job_id, reason):
    """Move a dead attempt's RQ job to the failed registry, as RQ itself would
    much later (or never, if no worker goes idle)."""
    connection = get_transcribe_queue().connection
    try:
        job = Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        return
    if job.get_status() in (JobStatus.FINISHED, JobStatus.FAILED):
        return
    with connection.pipeline() as pipeline:
        # The registry of the queue the job ran from: each model has its own.
        StartedJobRegistry(queue=get_queue(job.origin)).remove_executions(job, pipeline=pipeline)
        record_job_failure(job, reason, pipeline)
        pipeline.execute()


def enqueue_lost_jobs(now, report, dry_run):
    queued_job_ids = {}  # queue name -> the job ids on it, read once per round
    for transcription in Transcription.objects.filter(status=Status.QUEUED).select_related("media"):
        queue = queue_of(transcription)
        if queue.name not in queued_job_ids:
            queued_job_ids[queue.name] = set(queue.get_job_ids())
        if transcription.rq_job_id in queued_job_ids[queue.name]:
            continue
        try:
            job_status = Job.fetch(transcription.rq_job_id, connection=queue.connection).get_status()
        except NoSuchJobError:
            job_status = None
        if job_status in (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED):
            continue
        if job_status is None:
            if (now - transcription.queued_at).total_seconds() < SUBMIT_GRACE_S:
                continue
            report.enqueued.append(transcription.pk)
            if not dry_run:
                enqueue(transcription)
        else:
            # RQ ended this attempt without the job ever claiming the row, and
            # its failure callback could not say so: enqueueing it again would loop.
            report.failed.append(transcription.pk)
            if not dry_run:
                fail_unstarted(transcription)


def fail_unstarted(transcription):
    failed = Transcription.objects.filter(
        pk=transcription.pk, lease=transcription.lease, status=Status.QUEUED
    ).update(status=Status.FAILED, error=NEVER_STARTED, finished_at=timezone.now())
    if failed:
        webhooks.job_ended(transcription.pk)


def abort_stale_uploads():
    """Abort the media bucket's abandoned multipart uploads (an object store only:
    the upload died with the store or the web process; readers never saw them)."""
    abort = getattr(storages["default"], "abort_stale_uploads", None)
    if abort is None:
        return 0
    aborted = abort(STALE_UPLOAD_AGE)
    if aborted:
        log.warning("aborted %d abandoned multipart uploads in the media bucket", aborted)
    return aborted
