"""A transcription job: its page and live status, and what a person can do to
it (retry, cancel, rename, delete, summarise)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from transcripts import progress, queueing, services
from transcripts.forms import TitleForm
from transcripts.models import Transcription
from transcripts.ownership import get_own_transcription
from transcripts.render_cache import segment_list

from .segments import segment_json

QUEUE_UNAVAILABLE = (
    "The job queue is unavailable right now; your file is saved and will be queued "
    "automatically (or press Retry)."
)


def job_state(transcription):
    """The job's progress as the page shows it and status.json returns it."""
    position = queueing.position_in_queue(transcription)
    queued = transcription.status == Transcription.Status.QUEUED
    serving = queueing.workers_serving(transcription.model_name) if queued else None
    return {
        "status": transcription.status,
        "status_label": transcription.get_status_display(),
        "stage": transcription.stage,
        "stage_text": progress.stage_text(transcription, position, serving),
        "waiting_for_worker": serving == 0,
        "language": transcription.language_label,
        "percent": progress.overall_percent(transcription),
        "queue_position": position,
        "seconds_left": progress.seconds_left(transcription),
        "chunks_done": transcription.chunks_done,
        "chunks_total": transcription.chunks_total,
        "error": transcription.error,
        "notes": transcription.notes,
        "summary_status": transcription.summary_status,
        "summary_pending": services.summary_in_progress(transcription),
        "unfinished": transcription.is_unfinished,
        "can_retry": transcription.can_retry or queueing.lost_by_queue(transcription, position),
    }


def edit_url_prefix(transcription):
    """The edit URL of segment N is this prefix + "N/": one reverse() for a
    page of thousands of segments."""
    return reverse("transcripts:edit_segment", args=[transcription.pk, 0]).removesuffix("0/")


@login_required
@require_GET
def detail(request, pk):
    transcription = get_own_transcription(request, pk, Transcription.objects.select_related("media"))
    prefix = edit_url_prefix(transcription)
    speakers = list(transcription.speakers.all())
    segment_rows_html, full_text = segment_list(transcription, prefix, [speaker.name for speaker in speakers])
    return render(
        request,
        "transcripts/detail.html",
        {
            "transcription": transcription,
            "media": transcription.media,
            "segment_rows_html": segment_rows_html,
            "full_text": full_text,
            "state": job_state(transcription),
            "edit_url_prefix": prefix,
            "summaries_on": bool(settings.SUMMARY_MODEL),
            "speakers": speakers,
        },
    )


@login_required
@require_GET
def status_json(request, pk):
    """Polled by the job page: the progress, and all segments (without word times)
    when their number differs from `known`, the number the page shows."""
    transcription = get_own_transcription(request, pk, Transcription.objects.select_related("media"))
    try:
        known = int(request.GET.get("known", "-1"))
    except ValueError:
        return HttpResponseBadRequest("known must be a whole number")
    state = {**job_state(transcription), "segment_count": transcription.segments.count()}
    if state["segment_count"] != known:
        names = [speaker.name for speaker in transcription.speakers.all()]
        state["segments"] = [
            segment_json(segment, with_words=False, speaker_names=names)
            for segment in transcription.segments.defer("words")
        ]
    return JsonResponse(state)


@login_required
def delete(request, pk):
    transcription = get_own_transcription(request, pk, Transcription.objects.select_related("media"))
    if request.method != "POST":
        return render(request, "transcripts/confirm_delete.html", {"transcription": transcription})
    services.delete_transcription(transcription)
    messages.success(request, f"“{transcription.title}” was deleted.")
    return redirect("transcripts:history")


@login_required
@require_POST
def retry(request, pk):
    transcription = get_own_transcription(request, pk, Transcription.objects.select_related("media", "owner"))
    try:
        retried = services.retry(transcription)
    except services.RequestRefused as refusal:
        messages.error(request, refusal.message)
    else:
        if retried.queued:
            messages.success(request, "Queued again.")
        else:
            messages.warning(request, QUEUE_UNAVAILABLE)
    return redirect(transcription)


@login_required
@require_POST
def cancel(request, pk):
    transcription = get_own_transcription(request, pk)
    if transcription.cancel():
        messages.success(request, "Canceled.")
    else:
        messages.info(request, "This transcription had already finished.")
    return redirect(transcription)


@login_required
@require_POST
def summarize(request, pk):
    transcription = get_own_transcription(request, pk)
    try:
        services.request_summary(transcription)
    except services.SummaryRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, "A summary is on its way.")
    return redirect(transcription)


@login_required
@require_POST
def edit_title(request, pk):
    transcription = get_own_transcription(request, pk)
    form = TitleForm(request.POST, instance=transcription)
    if form.is_valid():
        form.save()
        messages.success(request, "Title saved.")
    else:
        messages.error(request, "The title must be between 1 and 255 characters.")
    return redirect(transcription)
