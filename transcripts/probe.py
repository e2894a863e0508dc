"""A quick look at an uploaded file with ffprobe, in the web process: is it
media with an audio track, how long, is there a picture to show?

The type is decided by the content, never by the name or the browser's content
type. ffprobe may read only the file itself: no network or other protocols, and
only container formats that hold media, so a playlist (HLS) or a concat list
that points at other files or URLs is refused instead of followed. The web
process cannot import the pipeline (torch); both share workers/media_guard.py.
"""

import json
import subprocess
from dataclasses import dataclass

from workers.media_guard import input_arguments

PROBE_TIMEOUT_S = 60


class ProbeError(ValueError):
    """The file is not media we can transcribe; the message is shown to the user."""


@dataclass(frozen=True)
class ProbeResult:
    duration_s: float | None
    has_video: bool
    format_name: str


def probe_file(path):
    """ProbeResult for a local file, or ProbeError with a message for the user."""
    command = [
        "ffprobe", "-v", "error", "-hide_banner",
        *input_arguments(path),
        "-show_entries", "format=format_name,duration:stream=codec_type,duration:stream_disposition=attached_pic",
        "-of", "json",
    ]
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        raise ProbeError("This file took too long to read; it may be damaged.") from exc
    if completed.returncode != 0:
        raise ProbeError("We could not read this file as audio or video. Is it a media file, and complete?")
    return _result(json.loads(completed.stdout or "{}"))


def _result(info):
    streams = info.get("streams", [])
    if not any(stream.get("codec_type") == "audio" for stream in streams):
        raise ProbeError("We could not find any audio in this file.")
    has_video = any(
        stream.get("codec_type") == "video" and not stream.get("disposition", {}).get("attached_pic")
        for stream in streams
    )
    durations = [info.get("format", {}).get("duration")] + [stream.get("duration") for stream in streams]
    known = [float(value) for value in durations if value not in (None, "N/A")]
    duration_s = max(known) if known else None
    if duration_s is not None and duration_s <= 0:
        raise ProbeError("This file holds no audio (its length is zero).")
    format_name = info.get("format", {}).get("format_name", "")
    return ProbeResult(duration_s=duration_s, has_video=has_video, format_name=format_name)
