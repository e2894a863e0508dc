"""Streaming a stored file with HTTP Range support.

Browsers seek in <audio>/<video> with Range requests; a server that answers
200 to them leaves the player unable to seek (Chromium reads currentTime back
as 0). The file is read from the storage in blocks, never whole into memory.
"""

import logging
import re

from django.http import HttpResponse, StreamingHttpResponse

log = logging.getLogger(__name__)

BLOCK_BYTES = 256 * 1024
RANGE_PATTERN = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse_range(header, size_bytes):
    """(first, last) byte positions, inclusive, for a single-range header;
    None when there is no usable header (serve it all); ValueError when the
    range cannot be satisfied."""
    match = RANGE_PATTERN.match(header.strip()) if header else None
    if not match:
        return None  # no header, or several ranges: the whole file is a valid answer
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None
    if not first_text:  # "bytes=-500": the last 500 bytes
        length = int(last_text)
        if length == 0:
            raise ValueError("empty suffix range")
        return max(0, size_bytes - length), size_bytes - 1
    first = int(first_text)
    last = min(int(last_text), size_bytes - 1) if last_text else size_bytes - 1
    if first >= size_bytes or last < first:
        raise ValueError("range outside the file")
    return first, last


def stream_range(storage, name, first, length):
    read_range = getattr(storage, "read_range", None)
    if read_range is not None:
        # An object store (transcripts.storage): one ranged GET, not the whole object.
        if length > 0:
            yield from read_range(name, first, first + length - 1)
        return
    # Opened lazily, inside the generator: Django closes the generator when the
    # response ends, which closes the file, even if the client went away.
    with storage.open(name, "rb") as stored:
        stored.seek(first)
        remaining = length
        while remaining > 0:
            block = stored.read(min(BLOCK_BYTES, remaining))
            if not block:
                break
            remaining -= len(block)
            yield block


def ranged_file_response(request, storage, name, content_type):
    try:
        size_bytes = storage.size(name)
    except FileNotFoundError:
        return HttpResponse("The media file is missing.", status=404, content_type="text/plain")
    except OSError:  # transcripts.storage.StorageUnavailable, a disk error
        log.exception("media storage unavailable for %s", name)
        return HttpResponse("The media storage is unavailable right now.", status=503, content_type="text/plain")
    try:
        requested = parse_range(request.headers.get("Range"), size_bytes)
    except ValueError:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size_bytes}"
        return response
    first, last = requested if requested else (0, size_bytes - 1)
    length = max(0, last - first + 1)
    response = StreamingHttpResponse(
        stream_range(storage, name, first, length),
        status=206 if requested else 200,
        content_type=content_type,
    )
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=3600"
    if requested:
        response["Content-Range"] = f"bytes {first}-{last}/{size_bytes}"
    return response
