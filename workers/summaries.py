"""RQ entry point for summaries: a finished transcript's readable text in, a
summary out (workers/pipeline/stages/summary.py), written beside the
transcript. A summary that fails says why on the job page and in the API; the
transcript is never touched.

The web process enqueues `summarise` by its dotted path (transcripts/queueing.py)
on the workers' queue, once transcripts.services.request_summary has marked
the summary queued. Writes are conditional on the summary's status, so that a
re-run of the transcription (which resets it) discards a summary of the old text.
"""

import logging

from django.conf import settings
from django.db import close_old_connections
from django.db.models import F
from rq.timeouts import JobTimeoutException

from transcripts.models import Transcription

from . import pipeline

log = logging.getLogger(__name__)

Summary = Transcription.SummaryStatus

MODEL_UNAVAILABLE = "The summary model is not available on the server right now. Please try again later."
TOO_SLOW = "The summary took longer than allowed and was stopped."
UNEXPECTED_ERROR = "The summary failed because of an error on our side; the administrators can see the details."


def summarise(transcription_id):
    """RQ job: summarise one finished transcription."""
    close_old_connections()
    claimed = Transcription.objects.filter(
        pk=transcription_id, status=Transcription.Status.DONE, summary_status=Summary.QUEUED
    ).update(summary_status=Summary.RUNNING)
    if not claimed:
        log.info("summary of transcription %s: no longer queued; skipped", transcription_id)
        return "skipped"
    transcription = Transcription.objects.get(pk=transcription_id)
    try:
        summarizer = pipeline.load_summarizer(settings.SUMMARY_MODEL)
        summary = pipeline.summarise(transcription.transcript().text, summarizer, pipeline.SummaryOptions())
    except pipeline.ModelLoadError as exc:
        log.error(
            "summary of transcription %s: %s Set SUMMARY_MODEL to a local folder that holds the model, or download "
            "it first with `python manage.py download_model --kind summary`.",
            transcription_id,
            exc,
        )
        fail(transcription_id, MODEL_UNAVAILABLE)
        return "failed"
    except pipeline.SummaryError as exc:
        fail(transcription_id, str(exc))
        return "failed"
    except JobTimeoutException:
        fail(transcription_id, TOO_SLOW)
        raise
    except Exception:
        log.exception("summary of transcription %s failed", transcription_id)
        fail(transcription_id, UNEXPECTED_ERROR)
        raise
    # The json download includes the summary: its cached renderings go with the revision.
    Transcription.objects.filter(pk=transcription_id, summary_status=Summary.RUNNING).update(
        summary=summary, summary_status=Summary.DONE, summary_error="", text_revision=F("text_revision") + 1
    )
    return "done"


def fail(transcription_id, message):
    return bool(
        Transcription.objects.filter(pk=transcription_id, summary_status__in=(Summary.QUEUED, Summary.RUNNING)).update(
            summary_status=Summary.FAILED, summary_error=message
        )
    )


def record_rq_failure(job, connection, exc_type, exc_value, tb):
    """RQ on_failure callback: a summary job that died outside its own handling
    (a timeout between checks, a lost worker) is marked failed. Never raises."""
    try:
        (transcription_id,) = job.args
        is_timeout = exc_type is not None and issubclass(exc_type, JobTimeoutException)
        fail(transcription_id, TOO_SLOW if is_timeout else UNEXPECTED_ERROR)
    except Exception:
        log.exception("could not record the failure of RQ job %s", getattr(job, "id", "?"))
