"""The tutorial's pipeline, re-implemented faithfully as the benchmark's baseline:
pydub loads the whole file, pydub's detect_silence scans it millisecond by
millisecond, each chunk is exported to mp3 and reloaded with librosa, and the
model sees one chunk per forward in fp32 with transformers' default attention.

Only the cut rule is shared with our pipeline (it is the tutorial's rule), so
that both transcribe the same chunks.
"""

import tempfile
import time
from pathlib import Path

from workers.pipeline.cuts import chunk_spans, plan_cuts
from workers.pipeline.types import Span, SplitOptions


def load_model(model_dir):
    from transformers import HubertForCTC, Wav2Vec2Processor

    processor = Wav2Vec2Processor.from_pretrained(model_dir)
    model = HubertForCTC.from_pretrained(model_dir)
    model.eval()
    return model, processor


def transcribe(path, model, processor, options=SplitOptions(), timings=None):
    """[(start_s, end_s, text)] with seconds per stage added to `timings`."""
    import librosa
    import torch
    from pydub import AudioSegment
    from pydub.silence import detect_silence

    timings = {} if timings is None else timings

    def timed(stage, started):
        timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - started

    started = time.perf_counter()
    sound = AudioSegment.from_file(path)
    timed("load", started)

    started = time.perf_counter()
    silences_ms = detect_silence(
        sound, min_silence_len=int(options.min_silence_s * 1000), silence_thresh=sound.dBFS - options.silence_below_average_db, seek_step=1
    )
    timed("silence", started)

    started = time.perf_counter()
    duration_s = len(sound) / 1000
    spans = chunk_spans(plan_cuts([Span(a / 1000, b / 1000) for a, b in silences_ms], duration_s, options), duration_s)
    timed("plan", started)

    segments = []
    with tempfile.TemporaryDirectory(prefix="tutorial-") as folder:
        chunk_file = Path(folder) / "chunk.mp3"
        for span in spans:
            started = time.perf_counter()
            sound[int(span.start_s * 1000) : int(span.end_s * 1000)].export(chunk_file, format="mp3")
            timed("export", started)

            started = time.perf_counter()
            speech, _ = librosa.load(chunk_file, sr=16000)
            timed("reload", started)

            started = time.perf_counter()
            input_values = processor(speech, return_tensors="pt", sampling_rate=16000).input_values
            timed("features", started)

            started = time.perf_counter()
            with torch.no_grad():
                logits = model(input_values).logits
            timed("model", started)

            started = time.perf_counter()
            ids = torch.argmax(logits, dim=-1)
            text = processor.decode(ids[0]).lower()
            timed("decode", started)
            segments.append((span.start_s, span.end_s, text))
    return segments
