"""Downloads of a finished transcript: .txt, .srt, .vtt and .json."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.views.decorators.http import require_GET

from timedtext.formats import DOWNLOADS
from transcripts.downloads import download_response, render_options
from transcripts.models import Transcription
from transcripts.ownership import get_own_transcription


@login_required
@require_GET
def download(request, pk, fmt):
    transcription = get_own_transcription(request, pk)
    if fmt not in DOWNLOADS:
        raise Http404("Unknown format.")
    if transcription.status != Transcription.Status.DONE:
        # As the API answers: partial segments must not pass for the transcript.
        return HttpResponse(
            f"The transcript is not ready: the job is {transcription.get_status_display().lower()}.",
            status=409,
            content_type="text/plain; charset=utf-8",
        )
    try:
        options = render_options(request.GET)
    except ValueError as exc:
        return HttpResponseBadRequest(f"Invalid subtitle options: {exc}")
    return download_response(transcription, fmt, options)
