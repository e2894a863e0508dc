"""Putting transcriptions on the RQ queue, from the web process.

The words: an *attempt* is one try at a job, with its own lease and RQ job id
(`Transcription.new_attempt`); `enqueue` puts the current attempt on the queue.
transcripts.services decides when a job gets a new attempt (a new job, a
person's retry); the reaper (workers/reaper.py) when a worker died.

Each offered model has its own queue (offered_models.queue_name), so that a
worker takes only the jobs of the models it has; a job whose model no running
worker serves waits in its queue, and its page says so (`workers_serving`).

The web process never imports the worker side (torch): jobs are enqueued by
their dotted path. When Redis cannot be reached the row stays queued and the
reaper enqueues it later.
"""

import logging
import uuid

import django_rq
from django.conf import settings
from django_rq.queues import DjangoRQ
from redis.exceptions import RedisError
from rq import Callback, Queue, Worker
from rq.job import Job

from . import offered_models
from .models import Transcription

log = logging.getLogger(__name__)

JOB_FUNCTION = "workers.jobs.transcribe"
FAILURE_CALLBACK = "workers.jobs.record_rq_failure"
DETECT_LANGUAGE_FUNCTION = "workers.jobs.detect_language"
SUMMARY_FUNCTION = "workers.summaries.summarise"
SUMMARY_FAILURE_CALLBACK = "workers.summaries.record_rq_failure"


class QueueUnavailable(Exception):
    """Redis could not be reached; the transcription is saved and will be queued later."""


def get_transcribe_queue():
    """The default model's queue."""
    return django_rq.get_queue(settings.TRANSCRIBE_QUEUE)


class ModelQueue(DjangoRQ):
    """django_rq's queue (it enqueues once the database transaction commits)
    for a model's queue, which RQ_QUEUES need not list: the web process reads
    the offered models at run time, and their queues take TRANSCRIBE_QUEUE's
    settings. (django_rq would look the queue up in RQ_QUEUES for a default
    result_ttl; every enqueue here passes its own.)"""

    def original_enqueue_call(self, *args, **kwargs):
        return Queue.enqueue_call(self, *args, **kwargs)


def get_queue(name):
    """A queue by name. Every model's queue lives on the Redis of
    TRANSCRIBE_QUEUE's settings, so that one setting points them all at one Redis."""
    if name == settings.TRANSCRIBE_QUEUE:
        return get_transcribe_queue()
    config = settings.RQ_QUEUES[settings.TRANSCRIBE_QUEUE]
    return ModelQueue(
        name,
        connection=django_rq.get_connection(settings.TRANSCRIBE_QUEUE),
        default_timeout=config.get("DEFAULT_TIMEOUT"),
    )


def queue_of(transcription):
    """The queue of the transcription's model."""
    return get_queue(offered_models.queue_name(transcription.model_name))


def workers_serving(model_name):
    """How many live workers listen on the model's queue (RQ's worker
    registrations expire when a worker stops beating). None when Redis is down."""
    try:
        return len(Worker.all(queue=get_queue(offered_models.queue_name(model_name))))
    except RedisError:
        return None


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
        queue_of(transcription).enqueue(
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
    """Put a summary of `transcription` on the summaries queue, which every
    worker serves (bin/worker, worker_queues). Raises QueueUnavailable."""
    try:
        get_queue(settings.SUMMARY_QUEUE).enqueue(
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
        job_ids = queue_of(transcription).get_job_ids()
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


def enqueue_language_detection(model, storage_name):
    """Queue the detection of the language of a stored file by `model` (an
    offered Whisper model); the id of the RQ job, whose result is
    {"language", "probability"} or {"error"}. Raises QueueUnavailable."""
    job_id = f"detect-language-{uuid.uuid4().hex}"
    try:
        get_queue(model.queue).enqueue(
            DETECT_LANGUAGE_FUNCTION,
            storage_name,
            model.name,
            job_id=job_id,
            job_timeout=settings.JOB_TIMEOUT_BASE_S,
            result_ttl=600,
            failure_ttl=3600,
            at_front=True,  # a person is waiting for the answer
            description=f"detect the language of {storage_name} with {model.name}",
        )
    except RedisError as exc:
        raise QueueUnavailable("The job queue is unavailable right now.") from exc
    return job_id
