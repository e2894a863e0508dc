"""Readable-text benchmark: what decoding and the text stages add, as a share
of the audio's duration and of the model's time, on the pipeline benchmark's
generated file (bench/pipeline_bench.py, cached).

    .venv/bin/python -m bench.readable_bench [--minutes 10] [--skip-model]

1. The speech model: the random hubert-large of pipeline_bench (the real
   model's compute) over every chunk of the file, keeping each chunk's
   log-probabilities; its forward time is the "model time".
2. Decoding every chunk: greedy (argmax), beam search without a language
   model (the default), beam search with a 1,000-word list, and with an ARPA
   bigram language model written here from the licence texts in
   /usr/share/common-licenses and /usr/share/doc/*/copyright. A random model's
   log-probabilities are flat, the worst case for a beam, so each decoder is
   also timed on speech-like synthetic frames (testkit/synthetic_ctc.py) of
   the same length. --skip-model uses only the synthetic frames.
3. The text stages as a worker runs them (stages/readable.py: numbers, then
   punctuation by a random BERT-base token classifier with the real label set,
   the compute of felflare/bert-restore-punctuation, then sentence segments) on
   the file's own words: the sentences it was generated from, timed across it.

Decoders are single-threaded; torch uses every core this process may use. Prints
a table; the last line is one JSON object.
"""

import argparse
import json
import os
import random
import string
import tempfile
import time
from pathlib import Path

from bench.pipeline_bench import CACHE_DIR, generated_speech, large_random_model, warm_up_audio

WORDS_PER_MINUTE = 160


def chunk_log_probs(path, model_dir):
    """(audio seconds, [log-probabilities of each chunk], model forward seconds)."""
    from workers.pipeline import SAMPLE_RATE, SplitOptions, decode_audio, find_silences, load_ctc_engine
    from workers.pipeline.cuts import chunk_spans, plan_cuts

    engine = load_ctc_engine(str(model_dir), "auto")
    engine.forward([warm_up_audio()])
    audio = decode_audio(path)
    options = SplitOptions()
    duration_s = audio.size / SAMPLE_RATE
    spans = chunk_spans(plan_cuts(find_silences(audio, SAMPLE_RATE, options), duration_s, options), duration_s)
    chunks = [audio[round(s.start_s * SAMPLE_RATE) : round(s.end_s * SAMPLE_RATE)] for s in spans]
    started = time.perf_counter()
    log_probs = [None] * len(chunks)
    for batch in engine.plan_batches([chunk.size for chunk in chunks]):
        for index, chunk_log_probs in zip(batch, engine.forward_fitting([chunks[i] for i in batch])):
            log_probs[index] = chunk_log_probs
    return duration_s, log_probs, time.perf_counter() - started


def synthetic_like(log_probs, seed=0):
    """Speech-like frames of the same lengths as `log_probs` (peaky, one frame in ten unsure)."""
    from testkit.speech import SENTENCES
    from testkit.synthetic_ctc import speech_like

    rng = random.Random(seed)
    frames = []
    for index, real in enumerate(log_probs):
        text = " ".join(rng.choice(SENTENCES) for _ in range(40))
        frames.append(speech_like(text, seed=index)[: real.shape[0]])
    return frames


def licence_text(max_words=400_000):
    words = []
    paths = sorted(Path("/usr/share/common-licenses").glob("*")) + sorted(Path("/usr/share/doc").glob("*/copyright"))
    for path in paths:
        try:
            text = path.read_text(errors="ignore").lower()
        except OSError:
            continue
        for line in text.splitlines():
            kept = "".join(c if c in string.ascii_lowercase + "' " else " " for c in line).split()
            if kept:
                words.append(" ".join(kept))
        if sum(len(line.split()) for line in words) > max_words:
            break
    return words


def language_model_file():
    from testkit.arpa import bigram_arpa
    from testkit.speech import SENTENCES

    path = CACHE_DIR / "licences-bigram.arpa"
    if not path.exists():
        path.write_text(bigram_arpa(licence_text() + SENTENCES * 20))
    return path


def thousand_words():
    rng = random.Random(0)
    words = {"".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 12))) for _ in range(1100)}
    return tuple(sorted(words)[:995]) + ("Kubernetes", "Zoë", "OAuth", "T-Mobile", "New York")


def time_decoders(log_probs):
    """{decoder: (seconds, words decoded)} over every chunk."""
    from testkit.tiny_models import VOCAB
    from workers.pipeline import DecodingOptions
    from workers.pipeline.engines.ctc_beam import make_decoder
    from workers.pipeline.engines.ctc_greedy import Vocabulary, decode_ids

    symbols = tuple(sorted(VOCAB, key=VOCAB.get))
    vocabulary = Vocabulary(symbols=symbols, blank_id=0, word_delimiter_id=4, dropped_ids=frozenset({1, 2, 3}))
    decoders = {
        "greedy": DecodingOptions(beam_search=False),
        "beam search (default)": DecodingOptions(),
        "beam + 1,000-word list": DecodingOptions(words=thousand_words()),
        "beam + language model": DecodingOptions(lm_path=str(language_model_file())),
        "beam + list + language model": DecodingOptions(words=thousand_words(), lm_path=str(language_model_file())),
    }
    results = {}
    for name, options in decoders.items():
        decoder = make_decoder(vocabulary, options)  # loads the language model once, as a worker does
        started = time.process_time()
        words = sum(len(decode_ids(decoder.best_path(chunk), vocabulary, 0.02)) for chunk in log_probs)
        results[name] = (time.process_time() - started, words)
    return results


def transcript_words(duration_s):
    """The generated file's sentences as timed words, WORDS_PER_MINUTE across it."""
    from testkit.speech import SENTENCES
    from timedtext import Segment, Word

    rng = random.Random(int(duration_s))
    count = int(duration_s / 60 * WORDS_PER_MINUTE)
    tokens = []
    while len(tokens) < count:
        tokens += rng.choice(SENTENCES).split()
    step_s = duration_s / count
    words = [Word(token, i * step_s, i * step_s + step_s * 0.8) for i, token in enumerate(tokens[:count])]
    chunk_words = int(35 * WORDS_PER_MINUTE / 60)  # 35 s chunks
    segments = []
    for first in range(0, count, chunk_words):
        own = tuple(words[first : first + chunk_words])
        segments.append(Segment(own[0].start_s, own[-1].end_s, " ".join(w.text for w in own), own, heard_words=own))
    return segments


def time_text_stages(duration_s):
    from testkit.speech import SENTENCES
    from testkit.tiny_models import save_token_classifier
    from workers.pipeline import TextOptions
    from workers.pipeline.stages.punctuation import load_punctuation_model
    from workers.pipeline.stages.readable import make_readable

    folder = CACHE_DIR / "bert-base-punctuation-random"
    if not (folder / "config.json").exists():
        save_token_classifier(folder, sorted({w for s in SENTENCES for w in s.split()}), size="base")
    model = load_punctuation_model(str(folder))
    segments = transcript_words(duration_s)
    words = [w.text for s in segments for w in s.words]
    tokens = len(model.tokenizer(words, is_split_into_words=True, add_special_tokens=False)["input_ids"])
    make_readable(segments[:1], TextOptions(numbers=True, punctuation_model=str(folder)))  # warm-up
    results = {}
    for name, options in {
        "numbers": TextOptions(numbers=True),
        "punctuation + sentence segments": TextOptions(punctuation_model=str(folder)),
        "numbers + punctuation + segments": TextOptions(numbers=True, punctuation_model=str(folder)),
    }.items():
        notes = []
        started, cpu_started = time.perf_counter(), time.process_time()
        make_readable(segments, options, notes.append)
        results[name] = (time.perf_counter() - started, time.process_time() - cpu_started)
        assert not notes, notes
    return results, len(words), tokens


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the generated speech (default 10)")
    parser.add_argument("--skip-model", action="store_true", help="synthetic frames only: no speech model forward")
    arguments = parser.parse_args()
    import torch

    torch.set_num_threads(len(os.sched_getaffinity(0)))
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path = generated_speech(arguments.minutes)
    print(f"file: {path}; cores: {len(os.sched_getaffinity(0))}; load average: {os.getloadavg()[0]:.1f}")
    if arguments.skip_model:
        import numpy as np

        duration_s = arguments.minutes * 60
        real, model_s = [np.zeros((1750, 32), dtype=np.float32)] * int(duration_s / 35), None
    else:
        duration_s, real, model_s = chunk_log_probs(path, large_random_model())
    frames = sum(chunk.shape[0] for chunk in real)
    print(f"audio {duration_s:.0f} s, {len(real)} chunks, {frames} frames" + (f"; model forward {model_s:.1f} s" if model_s else ""))
    reference_s = model_s or duration_s

    report = {"audio_s": round(duration_s, 1), "model_s": round(model_s, 1) if model_s else None}
    sources = {"synthetic speech-like frames": synthetic_like(real)}
    if model_s:
        sources["the random model's own (flat) log-probabilities"] = real
    for source, log_probs in sources.items():
        print(f"\ndecoding, on {source} (CPU seconds, single thread)")
        for name, (seconds, words) in time_decoders(log_probs).items():
            share_model = f"{100 * seconds / reference_s:6.2f}% of model time" if model_s else ""
            print(f"  {name:<32} {seconds:7.2f} s  {100 * seconds / duration_s:6.3f}% of audio  {share_model}  ({words} words)")
            report[f"{'synthetic' if 'synthetic' in source else 'model'}: {name}"] = round(100 * seconds / duration_s, 3)

    stages, word_count, tokens = time_text_stages(duration_s)
    print(f"\ntext stages on {word_count} words ({tokens} BERT tokens), BERT-base token classifier with random weights")
    for name, (wall_s, cpu_s) in stages.items():
        print(f"  {name:<32} {wall_s:7.2f} s wall  {100 * wall_s / duration_s:6.3f}% of audio  (CPU {cpu_s:.2f} s)")
        report[f"text: {name}"] = round(100 * wall_s / duration_s, 3)
    print(json.dumps(report))


if __name__ == "__main__":
    with tempfile.TemporaryDirectory():
        main()
