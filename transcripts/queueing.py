"""Putting transcriptions on the RQ queue, from the web process.

The words: an *attempt* is one try at a job, with its own lease and RQ job id
(`Transcription.new_attempt`); `enqueue` puts the current attempt on the queue.
transcripts.services decides when a job gets a new attempt (a new job, a
person's retry); the reaper (workers/reaper.py) when a worker died.

The web process never imports the worker side (torch): jobs are enqueued by
their dotted path. When Redis cannot be reached the row stays queued and the
reaper enqueues it later.
"""

import logging

import django_rq
from django.conf import settings
from redis.exceptions import RedisError
from rq import Callback
from rq.job import Job

from .models import Transcription

log = logging.getLogger(__name__)

JOB_FUNCTION = "workers.jobs.transcribe"
FAILURE_CALLBACK = "workers.jobs.record_rq_failure"
SUMMARY_FUNCTION = "workers.summaries.summarise"
SUMMARY_FAILURE_CALLBACK = "workers.summaries.record_rq_failure"


class QueueUnavailable(Exception):
    """Redis could not be reached; the transcription is saved and will be queued later."""


def get_transcribe_queue():
    return django_rq.get_queue(settings.TRANSCRIBE_QUEUE)


def job_timeout_s(transcription):
    """Long media get long timeouts: a fixed default would kill a 3-hour file."""
    duration_s = transcription.media.duration_s
    if duration_s is None:  # a URL not yet downloaded
        duration_s = settings.URL_MAX_DURATION_S
    if transcription.trim_start_s or transcription.trim_end_s:
        end_s = transcription.trim_end_s or duration_s
        duration_s = max(0.0, end_s - (transcription.trim_start_s or 0.0))
    return int(settings.JOB_TIMEOUT_BASE_S + settings.JOB_TIMEOUT_FACTOR * duration_s)


def enqueue(transcription):
    """Put the current attempt of a committed transcription on the queue.

    Raises QueueUnavailable when Redis is down; the row is kept as queued.
    """
    try:
        get_transcribe_queue().enqueue(
            JOB_FUNCTION,
            transcription.pk,
            str(transcription.lease),
            job_id=transcription.rq_job_id,
            job_timeout=job_timeout_s(transcription),
            on_failure=Callback(FAILURE_CALLBACK),
            result_ttl=24 * 3600,
            failure_ttl=7 * 24 * 3600,
            description=f"transcribe {transcription.title!r} (#{transcription.pk}, attempt {transcription.attempt})",
        )
    except RedisError as exc:
        log.warning("queue unavailable for transcription %s: %s", transcription.pk, exc)
        raise QueueUnavailable("The job queue is unavailable right now.") from exc


def enqueue_summary(transcription):
    """Put a summary of `transcription` on the queue (the workers' transcribe
    queue: one kind of worker runs both). Raises QueueUnavailable."""
    try:
        get_transcribe_queue().enqueue(
            SUMMARY_FUNCTION,
            transcription.pk,
            job_id=f"summary-{transcription.pk}-{int(transcription.summary_requested_at.timestamp() * 1e6)}",
            job_timeout=settings.SUMMARY_TIMEOUT_S,
            on_failure=Callback(SUMMARY_FAILURE_CALLBACK),
            result_ttl=24 * 3600,
            failure_ttl=7 * 24 * 3600,
            description=f"summarise {transcription.title!r} (#{transcription.pk})",
        )
    except RedisError as exc:
        log.warning("queue unavailable for the summary of transcription %s: %s", transcription.pk, exc)
        raise QueueUnavailable("The job queue is unavailable right now.") from exc


def position_in_queue(transcription):
    """1-based place of a queued job in the RQ queue, or None when unknown."""
    if transcription.status != Transcription.Status.QUEUED or not transcription.rq_job_id:
        return None
    try:
        job_ids = get_transcribe_queue().get_job_ids()
    except RedisError:
        return None
    try:
        return job_ids.index(transcription.rq_job_id) + 1
    except ValueError:
        return None


def lost_by_queue(transcription, position=None):
    """Queued in the database but not on the RQ queue: Redis was down when it was
    enqueued (or lost its data). `position`: position_in_queue, when known."""
    if transcription.status != Transcription.Status.QUEUED or position is not None:
        return False
    try:
        return not Job.exists(transcription.rq_job_id, connection=get_transcribe_queue().connection)
    except RedisError:
        return True
