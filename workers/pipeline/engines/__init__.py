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
"""

from .ctc import CtcEngine, load_ctc_engine

__all__ = ["CtcEngine", "load_ctc_engine"]
