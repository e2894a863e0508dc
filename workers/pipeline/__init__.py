"""The speech pipeline: plain functions, no Django, no environment. Media file
in, timed segments out.

    decode_audio → find_silences → plan_cuts → engine.transcribe → text stages → segments

Options arrive as arguments; progress leaves through callbacks; errors a person
can act on are PipelineError (or guards.media.MediaError for the file itself);
a text stage that fails reports a StageNote and the transcript goes on without
it. See run.py for the whole chain as one call, engines/ for the speech
engines, stages/ for the text stages (numbers, punctuation, sentences) and the
summary.
"""

from .audio import decode_audio
from .cuts import chunk_spans, plan_cuts
from .engines import CtcEngine, WhisperEngine, WhisperOptions, load_ctc_engine, load_whisper_engine
from .errors import ModelLoadError, PipelineError, PrecisionError, UnsupportedLanguageError
from .run import transcribe_file
from .silence import find_silences
from .stages.summary import SummaryError, SummaryOptions, load_summarizer, summarise
from .types import (
    SAMPLE_RATE,
    DecodingOptions,
    Span,
    SpeakerOptions,
    SplitOptions,
    StageNote,
    TextOptions,
    TranscribeOptions,
)

__all__ = [
    "SAMPLE_RATE",
    "CtcEngine",
    "DecodingOptions",
    "ModelLoadError",
    "PipelineError",
    "PrecisionError",
    "Span",
    "SpeakerOptions",
    "SplitOptions",
    "StageNote",
    "SummaryError",
    "SummaryOptions",
    "TextOptions",
    "TranscribeOptions",
    "UnsupportedLanguageError",
    "WhisperEngine",
    "WhisperOptions",
    "chunk_spans",
    "decode_audio",
    "find_silences",
    "load_ctc_engine",
    "load_whisper_engine",
    "load_summarizer",
    "plan_cuts",
    "summarise",
    "transcribe_file",
]
