"""A transcript's segments: their words for the player, and corrections."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from timedtext.formats import segment_dict
from transcripts.forms import SegmentTextForm
from transcripts.models import Segment, Transcription
from transcripts.ownership import get_own_segment, get_own_transcription


def segment_json(segment, with_words, speaker_names=None):
    if speaker_names is None:
        speaker_names = tuple(speaker.name for speaker in segment.transcription.speakers.all())
    return segment_dict(segment.timed(with_words), segment.index, with_words, speakers=tuple(speaker_names))


def wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


def refuse_edit_while_running(request, segment):
    """A running job replaces its segments when it finishes: an edit made now would be lost."""
    if segment.transcription.status == Transcription.Status.DONE:
        return None
    message = "Segments can be edited once the transcription has finished."
    if wants_json(request):
        return JsonResponse({"errors": {"text": [message]}}, status=409)
    messages.error(request, message)
    return redirect(segment.transcription)


@login_required
@require_GET
def segments_json(request, pk):
    """All segments with their word times, and the words as the model heard them
    (the raw view), fetched once when the page needs them."""
    transcription = get_own_transcription(request, pk)
    names = [speaker.name for speaker in transcription.speakers.all()]
    return JsonResponse(
        {
            "segments": [
                {**segment_json(segment, with_words=True, speaker_names=names), "heard_words": segment.heard_words}
                for segment in transcription.segments.all()
            ]
        }
    )


@login_required
def edit_segment(request, pk, index):
    """GET: a small page with the form (the job page edits in place with JavaScript)."""
    segment = get_own_segment(request, pk, index)
    if refused := refuse_edit_while_running(request, segment):
        return refused
    form = SegmentTextForm(request.POST or None, instance=segment)
    if request.method == "POST" and form.is_valid():
        # An UPDATE of the one column: a worker replacing the segments meanwhile
        # must not see a stale row re-inserted.
        Segment.objects.filter(pk=segment.pk).update(text=form.cleaned_data["text"])
        segment.transcription.bump_text_revision()
        segment.refresh_from_db()
        return segment_saved(request, segment)
    if request.method == "POST" and wants_json(request):
        return JsonResponse({"errors": form.errors}, status=400)
    speakers = list(segment.transcription.speakers.all())
    return render(request, "transcripts/edit_segment.html", {"segment": segment, "form": form, "speakers": speakers})


@login_required
@require_POST
def revert_segment(request, pk, index):
    segment = get_own_segment(request, pk, index)
    if refused := refuse_edit_while_running(request, segment):
        return refused
    Segment.objects.filter(pk=segment.pk).update(text=segment.original_text)
    segment.transcription.bump_text_revision()
    segment.refresh_from_db()
    return segment_saved(request, segment)


def segment_saved(request, segment):
    if wants_json(request):
        return JsonResponse(segment_json(segment, with_words=True))
    return redirect(reverse("transcripts:detail", args=[segment.transcription_id]) + f"#segment-{segment.index}")
