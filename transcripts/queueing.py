"""Putting transcriptions on the RQ queue, from the web process.

The web process never imports the pipeline (torch): jobs are enqueued by their
dotted path. When Redis cannot be reached the row stays queued and the job is
put on the queue later by `manage.py reap_jobs` (see transcripts/reaper.py).
"""

import logging

import django_rq
from django.conf import settings
from django.db import transaction
from redis.exceptions import RedisError
from rq import Callback

from .models import Transcription

log = logging.getLogger(__name__)

JOB_FUNCTION = "workers.jobs.transcribe"
FAILURE_CALLBACK = "workers.jobs.record_rq_failure"


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


def submit(transcription):
    """Queue the current attempt of a committed transcription.

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


def start_attempt(transcription):
    """Give a new or retried transcription a new attempt (new lease, new RQ job
    id) and queue it. A person's retry: the count of worker deaths starts again.

    Raises QueueUnavailable when Redis is down; the attempt stays queued in the
    database and the reaper submits it when Redis is back.
    """
    with transaction.atomic():
        locked = Transcription.objects.select_for_update().get(pk=transcription.pk)
        if locked.attempt and locked.status in Transcription.UNFINISHED:
            # Already queued or running again (a double click, two tabs): taking
            # the lease now would throw the current attempt's work away.
            transcription.refresh_from_db()
            return
        locked.start_new_attempt()
        locked.worker_deaths = 0
        locked.save()
    transcription.refresh_from_db()
    submit(transcription)


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
