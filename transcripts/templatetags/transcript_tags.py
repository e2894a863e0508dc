from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime

from transcripts.models import Media, Transcription

register = template.Library()


@register.filter
def clock(seconds):
    """12.3 → "0:12", 3723 → "1:02:03"; empty for unknown."""
    if seconds is None or seconds == "":
        return ""
    total_s = int(float(seconds))
    hours, rest_s = divmod(total_s, 3600)
    minutes, secs = divmod(rest_s, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


@register.filter
def seconds_attr(seconds):
    """Seconds for a data- attribute: a dot as decimal separator, whatever the locale."""
    return f"{float(seconds):.3f}"


# Speaker colours cycle through this many classes (static/css: .speaker-0 ...).
SPEAKER_COLOURS = 8


@register.filter
def speaker_colour(index):
    return f"speaker-{int(index) % SPEAKER_COLOURS}"


@register.simple_tag
def segment_rows(segments, edit_url_prefix, speaker_names=()):
    """The <li> of every segment (static/js/transcript.js builds the same markup).

    Built here rather than in a template loop: a 2,000-segment transcript then
    renders in tens of milliseconds instead of most of a second."""
    return mark_safe("".join(segment_row(segment, edit_url_prefix, speaker_names) for segment in segments))


def speaker_label(segment, speaker_names):
    """Who said it, as a label: the colour helps, the name says it."""
    if segment.speaker is None or segment.speaker >= len(speaker_names):
        return ""
    return (
        f'<span class="speaker {speaker_colour(segment.speaker)}" data-speaker="{segment.speaker}">'
        f"{escape(speaker_names[segment.speaker])}</span>"
    )


def segment_row(segment, edit_url_prefix, speaker_names=()):
    start, end = seconds_attr(segment.start_s), seconds_attr(segment.end_s)
    edited = " edited" if segment.is_edited else ""
    return (
        f'<li class="segment{edited}" id="segment-{segment.index}" data-index="{segment.index}" '
        f'data-start="{start}" data-end="{end}">'
        f"{speaker_label(segment, speaker_names)}"
        f'<button type="button" class="time" data-seek="{start}">{clock(segment.start_s)}–{clock(segment.end_s)}</button>'
        f'<p class="text">{escape(segment.text)}</p>'
        f'<a class="edit-link" href="{escape(edit_url_prefix)}{segment.index}/">Edit</a></li>\n'
    )


@register.simple_tag
def history_rows(transcriptions):
    """The <tr> of every row of the history page, built here for the same reason
    as segment_rows: the template loop was most of the page's time."""
    urls = RowUrls()
    return mark_safe("".join(history_row(transcription, urls) for transcription in transcriptions))


class RowUrls:
    """A row's links from one reverse() per kind and request, not two per row."""

    PLACEHOLDER = "2147483647"

    def __init__(self):
        self.detail = reverse("transcripts:detail", args=[self.PLACEHOLDER])
        self.txt = reverse("transcripts:download", args=[self.PLACEHOLDER, "txt"])
        self.srt = reverse("transcripts:download", args=[self.PLACEHOLDER, "srt"])

    def of(self, kind, pk):
        return getattr(self, kind).replace(self.PLACEHOLDER, str(pk))


STATUS_LABELS = dict(Transcription.Status.choices)
SOURCE_LABELS = dict(Media.Source.choices)


def history_row(transcription, urls):
    pk, media = transcription.pk, transcription.media
    created = localtime(transcription.created_at)
    length = clock(media.duration_s or transcription.duration_s) or "–"
    downloads = "–"
    if transcription.status == Transcription.Status.DONE:
        downloads = f'\n<a href="{urls.of("txt", pk)}">txt</a>\n<a href="{urls.of("srt", pk)}">srt</a>\n'
    status = transcription.status
    # The full time on hover, written without the locale machinery (a fifth of a
    # row's time with it): "2026-12-04 03:25 UTC".
    full_time = f"{created:%Y-%m-%d %H:%M} {created.tzname() or ''}".rstrip()
    return (
        f'<tr>\n<td class="title"><a href="{urls.of("detail", pk)}">{escape(transcription.title)}</a></td>\n'
        f'<td data-label="Source">{escape(SOURCE_LABELS.get(media.source, media.source))}</td>\n'
        f'<td data-label="Length">{length}</td>\n'
        f'<td data-label="Status"><span class="status status-{escape(status)}">'
        f"{escape(STATUS_LABELS.get(status, status))}</span></td>\n"
        f'<td data-label="Created"><time datetime="{created.isoformat()}" '
        f'title="{escape(full_time)}">{escape(naturaltime(transcription.created_at))}</time></td>\n'
        f'<td data-label="Downloads">{downloads}</td>\n</tr>\n'
    )
