"""A cache of rendered transcripts (downloads, API answers, the segment list of
the job page) for finished jobs, under their text_revision: a 2,000-segment
transcript takes a large fraction of a second to lay out, and finished text
changes only when it is edited, which bumps the revision."""

import hashlib

from django.core.cache import cache

from timedtext import formats

from .models import Transcription
from .templatetags.transcript_tags import segment_rows

CACHE_SECONDS = 3600


def cached_for_revision(transcription, part, build):
    if transcription.status != Transcription.Status.DONE:
        return build()  # partial segments change without a revision bump
    key = f"rendered:{transcription.pk}:{transcription.text_revision}:{part}"
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, CACHE_SECONDS)
    return value


def render_transcript(transcription, fmt, options=formats.RenderOptions()):
    """(content, content_type) of `transcription` in `fmt`, through timedtext's formats."""
    variant = hashlib.sha256(f"{transcription.title}|{options!r}".encode()).hexdigest()[:16]
    return cached_for_revision(
        transcription, f"{fmt}:{variant}", lambda: formats.render(fmt, transcription.transcript(), options)
    )


def segment_list(transcription, edit_url_prefix, speaker_names=()):
    """(rows_html, full_text) for the job page. Word times are left out: the page
    fetches them (segments.json) only when needed, they are most of the data."""

    def build():
        segments = list(transcription.segments.defer("words"))
        return segment_rows(segments, edit_url_prefix, speaker_names), " ".join(s.text for s in segments if s.text)

    return cached_for_revision(transcription, "page", build)
