"""Probe and decode media with ffprobe/ffmpeg: any readable audio or video in,
16 kHz mono float32 out, decoded once by one ffmpeg process.

Uploaded files are hostile until proven otherwise. ffmpeg's playlist and list
demuxers (hls, concat, dash, ...) open the files and URLs named inside the
media, so a .m3u8 renamed .mp3 could make the worker read /etc/passwd or
another user's upload. Every call therefore passes

- `-protocol_whitelist file` for the input, so only the local file is opened, and
- `-format_whitelist` with the ordinary single-file demuxers below, so a
  playlist is refused while it is being probed, before any entry is opened.

The protocol whitelist alone is not enough: an HLS playlist whose segments are
`file:` paths passes it (tests/test_hostile_media.py shows it).
"""

import json
import math
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from workers.media_guard import REFERENCE_DEMUXERS, input_arguments

from .errors import DecodeError, EmptyAudioError, NoAudioError, TrimError, UnsafeMediaError
from .types import SAMPLE_RATE

PLAYLIST_MESSAGE = "This file is a playlist or a list of other files; upload the audio or video file itself."
STDERR_LINES_KEPT = 3
# A truncated download keeps its header's duration but decodes shorter. Below
# this share of the declared duration (and at least CUT_OFF_MIN_MISSING_S short)
# the file is reported as cut off instead of silently transcribing a part.
CUT_OFF_SHARE = 0.9
CUT_OFF_MIN_MISSING_S = 2.0
READ_BLOCK_BYTES = 1 << 20


@dataclass(frozen=True)
class MediaInfo:
    duration_s: float | None  # of the audio stream (else the container); None when undeclared
    has_audio: bool
    has_video: bool
    format_name: str
    sample_rate: int | None  # of the first audio stream
    channels: int | None
    duration_is_estimate: bool = False  # ffmpeg guessed it from the bitrate (VBR mp3 with no header)


def probe_media(path) -> MediaInfo:
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
    result = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
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


def decode_audio(path, start_s=None, end_s=None) -> np.ndarray:
    """The first audio stream as 16 kHz mono float32, optionally trimmed to
    [start_s, end_s) seconds of the file. One ffmpeg process streams raw samples
    into a preallocated array, so a long file never exists twice in memory."""
    path = Path(path)
    info = probe_media(path)
    if not info.has_audio:
        raise NoAudioError("This file has no sound track: there is no audio to transcribe.")
    start_s, end_s = checked_trim(info, start_s, end_s)

    expected_s = (end_s if end_s is not None else info.duration_s or 0.0) - (start_s or 0.0)
    command = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error"]
    if start_s:
        command += ["-ss", f"{start_s:.3f}"]
    if end_s is not None:
        command += ["-t", f"{end_s - (start_s or 0.0):.3f}"]
    command += [
        *input_arguments(path),
        "-map", "0:a:0", "-vn", "-sn", "-dn",
        "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", "-acodec", "pcm_f32le", "pipe:1",
    ]
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr, bufsize=0)
        try:
            audio = read_samples(process.stdout, expected_samples=int(max(expected_s, 1.0) * SAMPLE_RATE) + SAMPLE_RATE)
        finally:
            process.stdout.close()
            returncode = process.wait()
        stderr.seek(0)
        error_text = stderr.read().decode("utf-8", "replace")
    if returncode != 0:
        raise reading_error(error_text, path)
    if audio.size == 0:
        if start_s or end_s is not None:
            raise EmptyAudioError("The chosen part of the file holds no audio; choose a different start and end.")
        raise EmptyAudioError("This file holds no audio (its length is zero).")
    check_not_cut_off(info, audio, start_s, end_s)
    return audio


def read_samples(stream, expected_samples):
    """Read float32 samples from `stream` into one array sized from the expected
    length; grows (rarely: a wrong declared duration) instead of joining chunks."""
    audio = np.empty(expected_samples, dtype=np.float32)
    buffer = audio.view(np.uint8)
    filled_bytes = 0
    while True:
        if filled_bytes == buffer.size:
            audio = np.concatenate([audio, np.empty(max(audio.size // 2, SAMPLE_RATE), dtype=np.float32)])
            buffer = audio.view(np.uint8)
        count = stream.readinto(memoryview(buffer)[filled_bytes : filled_bytes + READ_BLOCK_BYTES])
        if not count:
            break
        filled_bytes += count
    samples = filled_bytes // 4
    # A copy only when the estimate was far off, so that the spare tail is freed.
    return audio[:samples].copy() if samples < audio.size // 2 else audio[:samples]


def check_not_empty(path):
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise DecodeError("The file is missing; upload it again.") from None
    if size == 0:
        raise EmptyAudioError("This file is empty (zero bytes); upload the complete file.")


def checked_trim(info, start_s, end_s):
    """Trim bounds within the file: a start beyond the end is an error, an end
    beyond the end means "to the end"."""
    if start_s is not None and start_s <= 0:
        start_s = None
    if info.duration_s is not None:
        if start_s is not None and start_s >= info.duration_s:
            raise TrimError(
                f"The start ({format_time(start_s)}) is after the end of the file "
                f"({format_time(info.duration_s)}); choose an earlier start."
            )
        if end_s is not None and end_s >= info.duration_s and not info.duration_is_estimate:
            end_s = None
    if start_s is not None and end_s is not None and end_s <= start_s:
        raise TrimError("The end must come after the start.")
    return start_s, end_s


def check_not_cut_off(info, audio, start_s, end_s):
    if info.duration_s is None or info.duration_is_estimate:
        return
    expected_s = (end_s if end_s is not None else info.duration_s) - (start_s or 0.0)
    decoded_s = audio.size / SAMPLE_RATE
    if decoded_s < CUT_OFF_SHARE * expected_s and expected_s - decoded_s >= CUT_OFF_MIN_MISSING_S:
        raise DecodeError(
            f"This file seems cut off: only {format_time(decoded_s)} of its {format_time(expected_s)} could be read. "
            "It may not have finished uploading or downloading; try the complete file."
        )


def reading_error(stderr_text, path):
    """A user-readable exception from ffmpeg's complaint."""
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


def format_time(seconds):
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
