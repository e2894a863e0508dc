"""Rendering a transcript for download, cached: a 2,000-segment SRT takes a
large fraction of a second to lay out, and finished transcripts change only
when edited (text_revision)."""

import hashlib

from django.core.cache import cache

from . import exports
from .models import Transcription

CACHE_SECONDS = 3600


def render_transcript(transcription, fmt, cue_options=None):
    """(content, content_type) of `transcription` in `fmt`, from exports.render."""

    def render():
        return exports.render(
            fmt,
            transcription.segments.all(),
            transcription.title,
            duration_s=transcription.duration_s,
            cue_options=cue_options,
        )

    if transcription.status != Transcription.Status.DONE:
        return render()  # partial segments change without a revision bump
    fingerprint = hashlib.sha256(f"{transcription.title}|{cue_options!r}".encode()).hexdigest()[:16]
    key = f"export:{transcription.pk}:{transcription.text_revision}:{fmt}:{fingerprint}"
    rendered = cache.get(key)
    if rendered is None:
        rendered = render()
        cache.set(key, rendered, CACHE_SECONDS)
    return rendered
