"""Naming speakers and correcting who said a segment (plain form posts; the
page needs no JavaScript for either)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from transcripts import services
from transcripts.ownership import get_own_segment, get_own_transcription

from .segments import refuse_edit_while_running


@login_required
@require_POST
def rename_speaker(request, pk, index):
    transcription = get_own_transcription(request, pk)
    try:
        services.rename_speaker(transcription, index, request.POST.get("name", ""))
        messages.success(request, "Speaker renamed.")
    except services.RequestRefused as exc:
        messages.error(request, exc.message)
    return redirect(reverse("transcripts:detail", args=[pk]) + "#speakers")


@login_required
@require_POST
def segment_speaker(request, pk, index):
    segment = get_own_segment(request, pk, index)
    if refused := refuse_edit_while_running(request, segment):
        return refused
    chosen = request.POST.get("speaker", "")
    if chosen != "new" and not chosen.isdigit():
        messages.error(request, "Choose a speaker.")
    else:
        try:
            services.set_segment_speaker(segment, "new" if chosen == "new" else int(chosen))
            messages.success(request, "Speaker corrected.")
        except services.RequestRefused as exc:
            messages.error(request, exc.message)
    return redirect(reverse("transcripts:detail", args=[pk]) + f"#segment-{index}")
