"""Decode media with ffmpeg: any readable audio or video in, 16 kHz mono
float32 out, decoded once by one ffmpeg process.

The file is probed and opened under guards.media's input allow-lists (one local
file, ordinary single-file demuxers): see that module for why both are needed.
"""

import subprocess
import tempfile
from pathlib import Path

import numpy as np

from guards.media import DecodeError, EmptyAudioError, input_arguments, probe_speech_media, reading_error

from .errors import TrimError
from .types import SAMPLE_RATE

# A truncated download keeps its header's duration but decodes shorter. Below
# this share of the declared duration (and at least CUT_OFF_MIN_MISSING_S short)
# the file is reported as cut off instead of silently transcribing a part.
CUT_OFF_SHARE = 0.9
CUT_OFF_MIN_MISSING_S = 2.0
READ_BLOCK_BYTES = 1 << 20


def decode_audio(path, start_s=None, end_s=None) -> np.ndarray:
    """The first audio stream as 16 kHz mono float32, optionally trimmed to
    [start_s, end_s) seconds of the file. One ffmpeg process streams raw samples
    into a preallocated array, so a long file never exists twice in memory."""
    path = Path(path)
    info = probe_speech_media(path)
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


def format_time(seconds):
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
