"""Pages and actions for signed-in users. Every object view starts with the
owner-scoped lookup; state changes are POST only (CSRF-checked)."""

from pathlib import PurePath

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST
from redis.exceptions import RedisError
from rq.job import Job

from . import exports, progress, queueing, services
from .forms import NewTranscriptionForm, SegmentTextForm, TitleForm
from .models import Segment, Transcription
from .ranges import ranged_file_response
from .rendered import render_transcript, segment_list
from .subtitles import CueOptions
from .uploads import upload_errors

HISTORY_PAGE_SIZE = 25
# The media response's type comes from this list only: the stored suffix is the
# client's, and a valid MP3 named page.html must never be served as a page.
# Anything else is application/octet-stream, which Chromium's player reads too.
MEDIA_TYPES = {
    ".aac": "audio/aac",
    ".flac": "audio/flac",
    ".m4a": "audio/mp4",
    ".m4v": "video/mp4",
    ".mkv": "video/x-matroska",
    ".mov": "video/quicktime",
    ".mp3": "audio/mpeg",
    ".mp4": "video/mp4",
    ".oga": "audio/ogg",
    ".ogg": "audio/ogg",
    ".opus": "audio/ogg",
    ".wav": "audio/wav",
    ".weba": "audio/webm",
    ".webm": "video/webm",
}
QUEUE_UNAVAILABLE = (
    "The job queue is unavailable right now; your file is saved and will be queued "
    "automatically (or press Retry)."
)


def get_own_transcription(request, pk, queryset=None):
    # 404, not 403: a stranger learns nothing about what exists.
    queryset = Transcription.objects.all() if queryset is None else queryset
    return get_object_or_404(queryset.filter(owner=request.user), pk=pk)


def get_own_segment(request, pk, index):
    transcription = get_own_transcription(request, pk)
    return get_object_or_404(Segment.objects.select_related("transcription"), transcription=transcription, index=index)


def refuse_edit_while_running(request, segment):
    """A running job replaces its segments when it finishes: an edit made now would be lost."""
    if segment.transcription.status == Transcription.Status.DONE:
        return None
    message = "Segments can be edited once the transcription has finished."
    if wants_json(request):
        return JsonResponse({"errors": {"text": [message]}}, status=409)
    messages.error(request, message)
    return redirect(segment.transcription)


def wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


@login_required
@require_GET
def history(request):
    query = request.GET.get("q", "").strip()
    transcriptions = Transcription.objects.for_history(request.user).search(query)
    page = Paginator(transcriptions, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "transcripts/history.html", {"page": page, "query": query})


@login_required
def new(request):
    posted = request.method == "POST"
    form = NewTranscriptionForm(
        request.POST if posted else None, request.FILES if posted else None, upload_errors=upload_errors(request)
    )
    if posted and form.is_valid():
        try:
            created = form.save(owner=request.user)
        except services.RequestRefused as refusal:
            form.add_refusal(refusal)
        else:
            if created.queued:
                messages.success(request, "Your file is in the queue.")
            else:
                messages.warning(request, QUEUE_UNAVAILABLE)
            return redirect(created.transcription)
    return render(request, "transcripts/new.html", {"form": form}, status=400 if form.errors else 200)


def missing_from_queue(transcription, position):
    """Queued in the database but not on the RQ queue: Redis was down when it was
    submitted (or lost its data). Retry puts it back without waiting for the reaper."""
    if transcription.status != Transcription.Status.QUEUED or position is not None:
        return False
    try:
        return not Job.exists(transcription.rq_job_id, connection=queueing.get_transcribe_queue().connection)
    except RedisError:
        return True


def job_state(transcription):
    """The job's progress as the page shows it and status.json returns it."""
    position = queueing.position_in_queue(transcription)
    return {
        "status": transcription.status,
        "status_label": transcription.get_status_display(),
        "stage": transcription.stage,
        "stage_text": progress.stage_text(transcription, position),
        "percent": progress.overall_percent(transcription),
        "queue_position": position,
        "seconds_left": progress.seconds_left(transcription),
        "chunks_done": transcription.chunks_done,
        "chunks_total": transcription.chunks_total,
        "error": transcription.error,
        "unfinished": transcription.is_unfinished,
        "can_retry": transcription.can_retry or missing_from_queue(transcription, position),
    }


@login_required
@require_GET
def detail(request, pk):
    transcription = get_own_transcription(request, pk, Transcription.objects.select_related("media"))
    prefix = edit_url_prefix(transcription)
    segment_rows_html, full_text = segment_list(transcription, prefix)
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
        },
    )


def segment_json(segment, with_words):
    item = {
        "index": segment.index,
        "start": segment.start_s,
        "end": segment.end_s,
        "text": segment.text,
        "edited": segment.is_edited,
    }
    if with_words:
        item["words"] = [] if segment.is_edited else segment.words
    return item


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
        state["segments"] = [
            segment_json(segment, with_words=False) for segment in transcription.segments.defer("words")
        ]
    return JsonResponse(state)


def edit_url_prefix(transcription):
    """The edit URL of segment N is this prefix + "N/": one reverse() for a
    page of thousands of segments."""
    return reverse("transcripts:edit_segment", args=[transcription.pk, 0]).removesuffix("0/")


@login_required
@require_GET
def segments_json(request, pk):
    """All segments with their word times, fetched once when the player needs them."""
    transcription = get_own_transcription(request, pk)
    return JsonResponse({"segments": [segment_json(segment, with_words=True) for segment in transcription.segments.all()]})


@login_required
@require_GET
def media(request, pk):
    transcription = get_own_transcription(request, pk, Transcription.objects.select_related("media"))
    stored = transcription.media.file
    if not stored:
        raise Http404("This media has not been downloaded yet.")
    content_type = MEDIA_TYPES.get(PurePath(stored.name).suffix.lower(), "application/octet-stream")
    response = ranged_file_response(request, stored.storage, stored.name, content_type)
    # Opened as a page anyway (a browser that sniffs despite nosniff), it runs nothing.
    response["Content-Security-Policy"] = "sandbox"
    return response


def download_name(title, fmt):
    return f"{slugify(title)[:80] or 'transcript'}.{fmt}"


def cue_options(request):
    """CueOptions from the optional max_chars, max_lines and max_cue_s parameters."""
    values = {}
    for name, kind in (("max_chars", int), ("max_lines", int), ("max_cue_s", float)):
        if request.GET.get(name):
            values[name] = kind(request.GET[name])
    return CueOptions(**values)


@login_required
@require_GET
def download(request, pk, fmt):
    transcription = get_own_transcription(request, pk)
    if fmt not in exports.FORMATS:
        raise Http404("Unknown format.")
    if transcription.status != Transcription.Status.DONE:
        # As the API answers: partial segments must not pass for the transcript.
        return HttpResponse(
            f"The transcript is not ready: the job is {transcription.get_status_display().lower()}.",
            status=409,
            content_type="text/plain; charset=utf-8",
        )
    try:
        options = cue_options(request)
    except ValueError as exc:
        return HttpResponseBadRequest(f"Invalid subtitle options: {exc}")
    content, content_type = render_transcript(transcription, fmt, options)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{download_name(transcription.title, fmt)}"'
    return response


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
    transcription = get_own_transcription(request, pk, Transcription.objects.select_related("media"))
    if missing_from_queue(transcription, queueing.position_in_queue(transcription)):
        try:
            queueing.submit(transcription)
        except queueing.QueueUnavailable:
            messages.warning(request, QUEUE_UNAVAILABLE)
        else:
            messages.success(request, "Your file is in the queue.")
        return redirect(transcription)
    if not transcription.can_retry:
        messages.error(request, "Only a failed or canceled transcription can be retried.")
        return redirect(transcription)
    try:
        services.check_can_start_job(request.user)
    except services.RequestRefused as refusal:
        messages.error(request, refusal.message)
        return redirect(transcription)
    if services.queue(transcription):
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
def edit_title(request, pk):
    transcription = get_own_transcription(request, pk)
    form = TitleForm(request.POST, instance=transcription)
    if form.is_valid():
        form.save()
        messages.success(request, "Title saved.")
    else:
        messages.error(request, "The title must be between 1 and 255 characters.")
    return redirect(transcription)


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
    return render(request, "transcripts/edit_segment.html", {"segment": segment, "form": form})


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
