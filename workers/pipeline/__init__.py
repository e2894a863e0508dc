"""The speech pipeline: plain functions, no Django. Media file in, timed segments out.

    decode_audio → find_silences → plan_cuts → Recognizer.transcribe → segments

Options arrive as arguments; progress leaves through callbacks. See run.py for
the whole chain as one call.
"""

from .audio import MediaInfo, decode_audio, probe_media
from .cuts import chunk_spans, plan_cuts
from .errors import PipelineError
from .recognizer import Recognizer, load_recognizer
from .run import transcribe_file
from .silence import find_silences
from .types import SAMPLE_RATE, Span, SplitOptions, TimedSegment, TranscribeOptions, Transcript, Word

__all__ = [
    "SAMPLE_RATE",
    "MediaInfo",
    "PipelineError",
    "Recognizer",
    "Span",
    "SplitOptions",
    "TimedSegment",
    "TranscribeOptions",
    "Transcript",
    "Word",
    "chunk_spans",
    "decode_audio",
    "find_silences",
    "load_recognizer",
    "plan_cuts",
    "probe_media",
    "transcribe_file",
]
