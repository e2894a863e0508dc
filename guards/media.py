"""What ffprobe and ffmpeg may open, and what a media file holds.

Uploaded and downloaded files are hostile until proven otherwise. ffmpeg's
playlist and list demuxers (hls, concat, dash, ...) open the files and URLs
named inside the media, so a .m3u8 renamed .mp3 could make the server read
/etc/passwd or another user's upload. Every ffprobe and ffmpeg call therefore
passes `input_arguments`:

- `-protocol_whitelist file`, so only the local file is opened, and
- `-format_whitelist` with the ordinary single-file demuxers below, so a
  playlist is refused while it is being probed, before any entry is opened.

The protocol whitelist alone is not enough: an HLS playlist whose segments are
`file:` paths passes it (tests/guards/test_hostile_media.py shows it).

`probe_media` is the one ffprobe reading of a file: the upload check in the web
process and the pipeline's decoder both use it, so a file is judged the same way
on both sides. Its errors carry a message for the person who gave us the file.
"""

import json
import math
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

# Demuxers that read one self-contained file. ffmpeg matches a demuxer by any of
# the comma-separated names it carries ("mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm").
SAFE_DEMUXERS = (
    "aac", "ac3", "aiff", "amr", "amrnb", "amrwb", "ape", "asf", "au", "avi", "caf",
    "dts", "eac3", "flac", "flv", "gsm", "matroska", "mov", "mp3", "mpc", "mpc8",
    "mpeg", "mpegts", "mxf", "nut", "ogg", "rm", "tak", "truehd", "tta", "voc",
    "w64", "wav", "wv", "xwma",
)
# Demuxers that follow references to other files or URLs: refused with their own message.
REFERENCE_DEMUXERS = ("hls", "applehttp", "concat", "dash", "ffmetadata", "image2", "tee", "imf")

PROBE_TIMEOUT_S = 60
PLAYLIST_MESSAGE = "This file is a playlist or a list of other files; upload the audio or video file itself."
STDERR_LINES_KEPT = 3


class MediaError(ValueError):
    """The file cannot be used; the message is for the person who gave it to us."""


class UnsafeMediaError(MediaError):
    """A playlist or list of other files, which we refuse to follow."""


class DecodeError(MediaError):
    """ffprobe or ffmpeg could not read the file."""


class NoAudioError(MediaError):
    """The file has no audio stream."""


class EmptyAudioError(MediaError):
    """The file (or the part of it asked for) holds no audio."""


@dataclass(frozen=True)
class MediaInfo:
    duration_s: float | None  # of the audio stream (else the container); None when undeclared
    has_audio: bool
    has_video: bool
    format_name: str
    sample_rate: int | None  # of the first audio stream
    channels: int | None
    duration_is_estimate: bool = False  # ffmpeg guessed it from the bitrate (VBR mp3 with no header)


def input_arguments(path):
    """The options that keep ffprobe/ffmpeg on this one local file, then the file."""
    return [
        "-protocol_whitelist", "file",
        "-format_whitelist", ",".join(SAFE_DEMUXERS),
        # "file:" so that a name with a colon is never taken for a protocol.
        "-i", "file:" + str(Path(path).resolve()),
    ]


def probe_media(path, timeout_s=PROBE_TIMEOUT_S) -> MediaInfo:
    """What the file holds, decided by its content, never its name."""
    path = Path(path)
    check_not_empty(path)
    command = [
        "ffprobe", "-hide_banner", "-v", "warning",
        *input_arguments(path),
        "-show_entries",
        "format=format_name,duration:stream=codec_type,sample_rate,channels,duration:stream_disposition=attached_pic",
        "-of", "json",
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        raise DecodeError("This file took too long to read; it may be damaged.") from exc
    if result.returncode != 0:
        raise reading_error(result.stderr, path)
    report = json.loads(result.stdout or "{}")
    streams = report.get("streams", [])
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    # Cover art in an mp3 or m4a is a "video" stream; it is not a video.
    video = [s for s in streams if s.get("codec_type") == "video" and not s.get("disposition", {}).get("attached_pic")]
    first_audio = audio[0] if audio else {}
    return MediaInfo(
        duration_s=declared_duration_s(first_audio, report.get("format", {})),
        has_audio=bool(audio),
        has_video=bool(video),
        format_name=report.get("format", {}).get("format_name", ""),
        sample_rate=int(first_audio["sample_rate"]) if first_audio.get("sample_rate") else None,
        channels=int(first_audio["channels"]) if first_audio.get("channels") else None,
        duration_is_estimate="Estimating duration from bitrate" in result.stderr,
    )


def probe_speech_media(path) -> MediaInfo:
    """probe_media, refusing files with nothing to transcribe."""
    info = probe_media(path)
    if not info.has_audio:
        raise NoAudioError("This file has no sound track: there is no audio to transcribe.")
    if info.duration_s == 0:
        raise EmptyAudioError("This file holds no audio (its length is zero).")
    return info


def declared_duration_s(audio_stream, format_report):
    """The audio stream's own duration where declared (a video track can run
    longer), else the container's."""
    for value in (audio_stream.get("duration"), format_report.get("duration")):
        try:
            duration_s = float(value)
        except (TypeError, ValueError):
            continue
        if math.isfinite(duration_s) and duration_s >= 0:
            return duration_s
    return None


def check_not_empty(path):
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise DecodeError("The file is missing; upload it again.") from None
    if size == 0:
        raise EmptyAudioError("This file is empty (zero bytes); upload the complete file.")


def reading_error(stderr_text, path) -> MediaError:
    """A user-readable exception from ffprobe's or ffmpeg's complaint."""
    if refused_reference_demuxer(stderr_text):
        return UnsafeMediaError(PLAYLIST_MESSAGE)
    if "Format not on whitelist" in stderr_text:
        return DecodeError("This file type is not supported; upload a common audio or video file (mp3, wav, m4a, mp4...).")
    reason = ffmpeg_reason(stderr_text, path)
    return DecodeError(f"ffmpeg could not read this file as audio or video: {reason}")


def refused_reference_demuxer(stderr_text):
    for match in re.finditer(r"\[(\w+) @ 0x[0-9a-f]+\] Format not on whitelist", stderr_text):
        if match.group(1) in REFERENCE_DEMUXERS:
            return True
    return False


def ffmpeg_reason(stderr_text, path):
    """ffmpeg's last few distinct lines, without component prefixes or our paths."""
    lines = []
    for line in stderr_text.splitlines():
        line = re.sub(r"^\[[^\]]+ @ 0x[0-9a-f]+\]\s*", "", line.strip())
        for shown in ("file:" + str(Path(path).resolve()), str(Path(path).resolve()), str(path)):
            line = line.replace(shown, "the file")
        if line and line not in lines:
            lines.append(line)
    reason = "; ".join(lines[-STDERR_LINES_KEPT:])
    return reason or "it is not a media file ffmpeg understands."
