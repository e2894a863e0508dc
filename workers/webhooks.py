"""Sending webhooks from the worker when a job ends (done or failed).

The transcription job only queues the delivery (`job_ended`), as a small RQ job
of its own at the front of the same queue, so that a slow or dead receiver never
holds up transcriptions or changes a job's outcome. A delivery that fails is
retried by RQ after 10, 30 and 90 s (workers need --with-scheduler for that).

Every connection is checked by workers.netguard: no private, loopback or
link-local targets (unless in URL_ALLOWED_HOSTS), and redirects are not
followed, so a redirect cannot lead there either.
"""

import http.client
import logging
import time
import uuid

from django.conf import settings
from rq import Retry

from transcripts import queueing
from transcripts.api.webhooks import delivery, transcription_summary
from transcripts.models import Transcription, WebhookSecret
from workers import netguard

log = logging.getLogger(__name__)

DELIVER = "workers.webhooks.deliver"
RETRY_INTERVALS_S = [10, 30, 90]
TIMEOUT_S = 10.0


class DeliveryFailed(Exception):
    """The receiver did not answer 2xx; RQ retries the delivery."""


def job_ended(transcription_id):
    """Queue the webhook of a job that has just ended, if it has one. Never
    raises: a webhook must not change the job's outcome."""
    try:
        transcription = Transcription.objects.filter(pk=transcription_id).exclude(webhook_url="").first()
        if transcription is None:
            return None
        return queueing.get_transcribe_queue().enqueue(
            DELIVER,
            transcription.webhook_url,
            transcription.owner_id,
            transcription_summary(transcription),
            str(uuid.uuid4()),
            at_front=True,
            retry=Retry(max=len(RETRY_INTERVALS_S), interval=RETRY_INTERVALS_S),
            job_timeout=int(TIMEOUT_S * 3),
            result_ttl=24 * 3600,
            failure_ttl=7 * 24 * 3600,
            description=f"webhook for transcription #{transcription_id}",
        )
    except Exception:
        log.exception("could not queue the webhook of transcription %s", transcription_id)
        return None


def deliver(webhook_url, owner_id, summary, delivery_id):
    """RQ job: POST one signed delivery. A refused address is final (logged,
    not retried); any other failure raises DeliveryFailed for a retry."""
    secret = WebhookSecret.objects.get_or_create(owner_id=owner_id)[0].secret
    body, headers = delivery(summary, delivery_id, int(time.time()), secret)
    try:
        status = netguard.guarded_post(webhook_url, body, headers, settings.URL_ALLOWED_HOSTS, TIMEOUT_S)
    except netguard.HostNotFound as exc:  # DNS may come back
        raise DeliveryFailed(f"webhook of transcription {summary['id']}: {exc}") from exc
    except netguard.BlockedURL as exc:
        log.warning("webhook of transcription %s not sent: %s", summary["id"], exc)
        return f"refused: {exc}"
    except (OSError, http.client.HTTPException) as exc:
        raise DeliveryFailed(f"webhook of transcription {summary['id']}: {exc!r}") from exc
    if not 200 <= status < 300:
        # A 3xx too: redirects are not followed.
        raise DeliveryFailed(f"webhook of transcription {summary['id']}: the receiver answered {status}")
    return f"delivered: {status}"
