"""The ffmpeg/ffprobe input options that keep them on one local file.

Shared by the pipeline (workers/pipeline/audio.py) and the upload check in the web
process (transcripts/probe.py), which must not import the pipeline (torch): so
this module imports neither Django nor torch. Why both options are needed is
explained in workers/pipeline/audio.py and shown by tests/test_hostile_media.py.
"""

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


def input_arguments(path):
    """The options that keep ffprobe/ffmpeg on this one local file, then the file."""
    return [
        "-protocol_whitelist", "file",
        "-format_whitelist", ",".join(SAFE_DEMUXERS),
        # "file:" so that a name with a colon is never taken for a protocol.
        "-i", "file:" + str(Path(path).resolve()),
    ]
