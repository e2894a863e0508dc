"""Webhooks, the part both processes share: what a delivery says and how it is
signed. The worker sends them (workers/webhooks.py); the target URL is checked
in the web process when the job is created (serializers.check_webhook_url).

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
import json

from django.conf import settings
from django.urls import reverse

from transcripts.exports import FORMATS

SIGNATURE_HEADER = "X-Speechsite-Signature"
TIMESTAMP_HEADER = "X-Speechsite-Timestamp"
EVENT_HEADER = "X-Speechsite-Event"
DELIVERY_HEADER = "X-Speechsite-Delivery"


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
        "downloads": {fmt: absolute(reverse("api:transcription-download", args=[pk, fmt])) for fmt in FORMATS},
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
