"""Webhooks: a signed POST to the job's webhook_url when the job ends (done or
failed), sent by the workers. The target URL is checked in the web process when
the job is created (transcripts/api/serializers.py) and again here, at connect
time.

The transcription job (or the reaper) only queues the delivery (`job_ended`),
as a small RQ job of its own at the front of the same queue, so that a slow or
dead receiver never holds up transcriptions or changes a job's outcome. A
delivery that fails is retried by RQ after 10, 30 and 90 s (workers need
--with-scheduler for that). Every connection is checked by guards.netguard: no
private, loopback or link-local targets (unless in URL_ALLOWED_HOSTS), and
redirects are not followed, so a redirect cannot lead there either.

A delivery is a POST of a small JSON body:

    {"event": "transcription.done", "delivery": "<uuid>", "timestamp": 1732500000,
     "transcription": {"id": 12, "status": "done", "error": "", "url": ..., "downloads": {...}}}

with the headers

    X-Speechsite-Signature: sha256=<hex HMAC-SHA256 of the raw body under the owner's webhook secret>
    X-Speechsite-Timestamp: <the body's timestamp, Unix seconds>
    X-Speechsite-Event: transcription.done | transcription.failed
    X-Speechsite-Delivery: <uuid, the same for every retry of one delivery>
"""

import hashlib
import hmac
import http.client
import json
import logging
import time
import uuid

from django.conf import settings
from django.urls import reverse
from rq import Retry

from guards import netguard
from timedtext.formats import DOWNLOADS
from transcripts import queueing
from transcripts.models import Transcription, WebhookSecret

log = logging.getLogger(__name__)

DELIVER = "workers.webhooks.deliver"
RETRY_INTERVALS_S = [10, 30, 90]
TIMEOUT_S = 10.0
SIGNATURE_HEADER = "X-Speechsite-Signature"
TIMESTAMP_HEADER = "X-Speechsite-Timestamp"
EVENT_HEADER = "X-Speechsite-Event"
DELIVERY_HEADER = "X-Speechsite-Delivery"


class DeliveryFailed(Exception):
    """The receiver did not answer 2xx; RQ retries the delivery."""


def signature(secret, body):
    """The value of X-Speechsite-Signature for `body` (bytes)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_matches(secret, body, header_value):
    """What a receiver does: compare in constant time."""
    return hmac.compare_digest(signature(secret, body), header_value or "")


def absolute(path):
    # The worker has no request to take the host from: SITE_URL gives it
    # (e.g. https://speech.example.org); without it the URLs are paths.
    return settings.SITE_URL.rstrip("/") + path


def transcription_summary(transcription):
    """What a delivery tells about the job, as it was when the job ended."""
    pk = transcription.pk
    return {
        "id": pk,
        "title": transcription.title,
        "status": transcription.status,
        "error": transcription.error,
        "duration_s": transcription.duration_s,
        "finished_at": transcription.finished_at.isoformat() if transcription.finished_at else None,
        "url": absolute(reverse("api:transcription-detail", args=[pk])),
        "page_url": absolute(transcription.get_absolute_url()),
        "segments_url": absolute(reverse("api:transcription-segments", args=[pk])),
        "downloads": {fmt: absolute(reverse("api:transcription-download", args=[pk, fmt])) for fmt in DOWNLOADS},
    }


def delivery(summary, delivery_id, timestamp_s, secret):
    """(body bytes, headers) of one delivery."""
    event = f"transcription.{summary['status']}"
    body = json.dumps(
        {"event": event, "delivery": delivery_id, "timestamp": timestamp_s, "transcription": summary},
        separators=(",", ":"),
    ).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "speechsite-webhooks",
        SIGNATURE_HEADER: signature(secret, body),
        TIMESTAMP_HEADER: str(timestamp_s),
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery_id,
    }
    return body, headers


def job_ended(transcription_id):
    """Queue the webhook of a job that has just ended, if it has one. Never
    raises: a webhook must not change the job's outcome."""
    try:
        transcription = Transcription.objects.filter(pk=transcription_id).exclude(webhook_url="").first()
        if transcription is None:
            return None
        # The queue of the job's model: the worker that just ended it serves it.
        return queueing.queue_of(transcription).enqueue(
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
