"""The stored audio or video of a transcription, for the page's player: ranged,
so that it can seek, and never served as anything but media. From a bucket with
a public endpoint (S3_PUBLIC_ENDPOINT_URL) the player is sent to a presigned URL
instead; without one the bytes stream through here, one ranged GET a request."""

from pathlib import PurePath

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.views.decorators.http import require_GET

from transcripts.models import Transcription
from transcripts.ownership import get_own_transcription
from transcripts.ranges import ranged_file_response

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


@login_required
@require_GET
def media(request, pk):
    transcription = get_own_transcription(request, pk, Transcription.objects.select_related("media"))
    stored = transcription.media.file
    if not stored:
        raise Http404("This media has not been downloaded yet.")
    content_type = MEDIA_TYPES.get(PurePath(stored.name).suffix.lower(), "application/octet-stream")
    if getattr(stored.storage, "serves_browsers", False):
        # A bucket with a public endpoint serves the bytes and the player's ranges
        # itself; this view still checks the owner on every request.
        response = HttpResponseRedirect(stored.storage.public_url(stored.name, content_type))
        response["Cache-Control"] = "no-store"
        return response
    response = ranged_file_response(request, stored.storage, stored.name, content_type)
    # Opened as a page anyway (a browser that sniffs despite nosniff), it runs nothing.
    response["Content-Security-Policy"] = "sandbox"
    return response
