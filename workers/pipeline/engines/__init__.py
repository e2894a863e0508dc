"""Speech engines: decoded 16 kHz mono chunks in, timed words out.

An engine offers

    transcribe(chunks: list[np.ndarray], offsets_s: list[float], on_batch=None) -> list[timedtext.Segment]

one Segment per chunk, in input order, with word times offset by each chunk's
offset_s; on_batch(done, total, {input_index: Segment}) after each batch. The
rest of the pipeline does not know which engine ran.

- ctc.py: transformers wav2vec2/HuBERT-style CTC models, greedy decoding (ctc_greedy.py);
  English (or the one language the model was trained on), no punctuation.
- whisper.py: Whisper models through faster-whisper (CTranslate2): punctuation and
  capitals, language detection; per-job options (language, hotwords) are bound
  with `engine.with_options(WhisperOptions(...))`, which offers the same transcribe.
"""

from .ctc import CtcEngine, load_ctc_engine
from .whisper import WhisperEngine, WhisperOptions, load_whisper_engine

__all__ = ["CtcEngine", "WhisperEngine", "WhisperOptions", "load_ctc_engine", "load_whisper_engine"]
