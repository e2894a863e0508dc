"""The speech pipeline: plain functions, no Django, no environment. Media file
in, timed segments out.

    decode_audio → find_silences → plan_cuts → engine.transcribe → segments

Options arrive as arguments; progress leaves through callbacks; errors a person
can act on are PipelineError (or guards.media.MediaError for the file itself).
See run.py for the whole chain as one call, engines/ for the speech engines.
"""

from .audio import decode_audio
from .cuts import chunk_spans, plan_cuts
from .engines import CtcEngine, WhisperEngine, WhisperOptions, load_ctc_engine, load_whisper_engine
from .errors import ModelLoadError, PipelineError, PrecisionError, UnsupportedLanguageError
from .run import transcribe_file
from .silence import find_silences
from .types import SAMPLE_RATE, Span, SplitOptions, TranscribeOptions

__all__ = [
    "SAMPLE_RATE",
    "CtcEngine",
    "ModelLoadError",
    "PipelineError",
    "PrecisionError",
    "Span",
    "SplitOptions",
    "TranscribeOptions",
    "UnsupportedLanguageError",
    "WhisperEngine",
    "WhisperOptions",
    "chunk_spans",
    "decode_audio",
    "find_silences",
    "load_ctc_engine",
    "load_whisper_engine",
    "plan_cuts",
    "transcribe_file",
]
