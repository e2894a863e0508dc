"""Speech engines: decoded 16 kHz mono chunks in, timed words out.

An engine offers

    transcribe(chunks: list[np.ndarray], offsets_s: list[float], on_batch=None) -> list[timedtext.Segment]

one Segment per chunk, in input order, with word times offset by each chunk's
offset_s; on_batch(done, total, {input_index: Segment}) after each batch. The
rest of the pipeline does not know which engine ran.

- ctc.py: transformers wav2vec2/HuBERT-style CTC models, greedy decoding (ctc_greedy.py).
"""

from .ctc import CtcEngine, load_ctc_engine

__all__ = ["CtcEngine", "load_ctc_engine"]
