"""Which language is this file in? Asked of a worker that runs an offered
multilingual Whisper model (the web process never loads a model): the file is
stored where workers read media, a small RQ job on that model's queue answers,
and the file is deleted again. For /detect-language."""

import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from . import offered_models, queueing, services

STORAGE_FOLDER = "language-detection"


@dataclass(frozen=True)
class Detected:
    language: str  # a code
    probability: float | None  # None: not detected, the model knows only this language


class DetectionUnavailable(Exception):
    """No worker can answer now (none runs the model, or Redis is down); the
    message says which."""


class DetectionTimedOut(Exception):
    pass


def detecting_model():
    """The first offered model that detects languages, or None."""
    return next((model for model in offered_models.offered_models() if model.detects_language), None)


def detect_language(upload):
    """The language of an upload. Raises services.RequestRefused (not media,
    too little sound), DetectionUnavailable or DetectionTimedOut."""
    services.probe_upload(upload)
    model = detecting_model()
    if model is None:
        # Only single-language models here: their language is the answer.
        return Detected(offered_models.default_model().languages[0], None)
    if queueing.workers_serving(model.name) == 0:
        raise DetectionUnavailable(
            f"No worker runs the model {model.name}, which detects languages, right now; try again later."
        )
    suffix = Path(upload.name or "").suffix.lower()[:10]
    name = default_storage.save(f"{STORAGE_FOLDER}/{uuid.uuid4().hex}{suffix if suffix[1:].isalnum() else ''}", upload)
    try:
        result = wait_for_result(queueing.enqueue_language_detection(model, name))
    except queueing.QueueUnavailable as exc:
        raise DetectionUnavailable(str(exc)) from exc
    finally:
        default_storage.delete(name)
    if "error" in result:
        raise services.RequestRefused(result["error"], "audio_file")
    return Detected(result["language"], result["probability"])


def wait_for_result(job_id):
    """The RQ job's return value, polled until API_WAIT_LIMIT_S; a job still
    waiting then is canceled (its file is about to go)."""
    connection = queueing.get_transcribe_queue().connection
    deadline_s = time.monotonic() + settings.API_WAIT_LIMIT_S
    pause_s = 0.05
    try:
        while True:
            try:
                job = Job.fetch(job_id, connection=connection)
            except NoSuchJobError:
                job = None  # enqueued when the transaction commits
            status = job.get_status() if job else None
            if status == JobStatus.FINISHED:
                return job.return_value()
            if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
                return {"error": "The language could not be detected in this file."}
            if time.monotonic() >= deadline_s:
                if job:
                    job.cancel()
                raise DetectionTimedOut(f"No answer after {settings.API_WAIT_LIMIT_S:g} s; try again later.")
            time.sleep(pause_s)
            pause_s = min(pause_s * 1.5, 1.0)
    except RedisError as exc:
        raise DetectionUnavailable("The job queue is unavailable right now.") from exc
