"""Speech engines: decoded 16 kHz mono chunks in, timed words out.

An engine offers

    prepare(decoding: DecodingOptions) -> (DecodingOptions, list[StageNote])
    transcribe(chunks: list[np.ndarray], offsets_s: list[float], on_batch=None,
               decoding=DecodingOptions()) -> list[timedtext.Segment]

prepare: what the engine can do of the decoding asked for (a person's words it
cannot spell, a language model that does not load) and notes on the rest;
transcribe: one Segment per chunk, in input order, with word times offset by
each chunk's offset_s; on_batch(done, total, {input_index: Segment}) after each
batch. The rest of the pipeline does not know which engine ran.

- ctc.py: transformers wav2vec2/HuBERT-style CTC models; beam search with a
  person's words and a language model, or greedy decoding (ctc_beam.py), and
  the grouping of symbols into timed words (ctc_greedy.py).
- whisper.py: Whisper models through faster-whisper (CTranslate2): punctuation and
  capitals, language detection; per-job options (language) are bound with
  `engine.with_options(WhisperOptions(...))`, which offers the same prepare and transcribe.
"""

from .ctc import CtcEngine, load_ctc_engine
from .whisper import WhisperEngine, WhisperOptions, load_whisper_engine

__all__ = ["CtcEngine", "WhisperEngine", "WhisperOptions", "load_ctc_engine", "load_whisper_engine"]
