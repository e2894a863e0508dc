"""Serving a transcript as a file, for the pages and the API alike: the rendered
content (through the render cache), the subtitle options a query may set, and
the file name."""

from django.http import HttpResponse
from django.utils.text import slugify

from timedtext.cues import CueOptions
from timedtext.formats import FORMATS, RenderOptions

from .render_cache import render_transcript

# Query parameters that shape subtitle cues, and their types.
CUE_PARAMETERS = (("max_chars", int), ("max_lines", int), ("max_cue_s", float))


def render_options(query):
    """RenderOptions from the optional max_chars, max_lines and max_cue_s
    parameters; ValueError with the reason when one is out of range."""
    values = {name: kind(query[name]) for name, kind in CUE_PARAMETERS if query.get(name)}
    return RenderOptions(cues=CueOptions(**values))


def download_name(title, fmt):
    return f"{slugify(title)[:80] or 'transcript'}.{FORMATS[fmt].suffix}"


def download_response(transcription, fmt, options):
    content, content_type = render_transcript(transcription, fmt, options)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{download_name(transcription.title, fmt)}"'
    return response
