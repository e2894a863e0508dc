"""Pipeline benchmark: our pipeline against the tutorial's, one run, same file,
same randomly initialised model of the real hubert-large architecture.

    .venv/bin/python -m bench.pipeline_bench [--minutes 10] [--file F] [--precision auto]

Without --file it generates espeak-ng speech with pauses of varied length as a
44.1 kHz stereo mp3 (cached). Each pipeline runs in its own subprocess, so that
peak RSS is its own. Prints seconds per stage, real-time factor (processing
seconds per audio second, model loading excluded), peak RSS and the ratios; the
last line is one JSON object for tracking runs.
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = Path(tempfile.gettempdir()) / "speechsite-bench"
# hubert-large-ls960-ft's shape: the same compute as the real weights (~315 M parameters).
LARGE_CONFIG = dict(
    hidden_size=1024,
    num_hidden_layers=24,
    num_attention_heads=16,
    intermediate_size=4096,
    feat_extract_norm="layer",
    do_stable_layer_norm=True,
    conv_bias=True,
    vocab_size=32,
    pad_token_id=0,
)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


# Inputs: generated speech and the random large model, both cached.


def generated_speech(minutes):
    """A `minutes`-long 44.1 kHz stereo mp3 of sentences with 0.2–2.5 s pauses."""
    from testkit.speech import SENTENCES, convert, make_speech

    target = CACHE_DIR / f"speech-{minutes:g}min.mp3"
    if target.exists():
        return target
    rng = random.Random(minutes)
    sentences = [SENTENCES[rng.randrange(len(SENTENCES))] for _ in range(int(minutes * 60 / 2.4) + 1)]
    pauses = [rng.choice([0.2, 0.3, 0.5, 0.9, 1.2, 1.6, 2.5]) for _ in sentences[1:]]
    with tempfile.TemporaryDirectory(prefix="bench-speech-") as folder:
        wav, _, _ = make_speech(folder, sentences, pause_s=pauses)
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial.mp3")
        convert(wav, partial, "-t", str(minutes * 60), "-ac", "2", "-ar", "44100", "-b:a", "128k")
        partial.rename(target)
    return target


def large_random_model():
    """hubert-large's architecture with random weights and the real vocabulary,
    saved like a hub checkpoint (loaded through from_pretrained by both sides)."""
    import torch
    from transformers import HubertConfig, HubertForCTC

    from testkit.tiny_models import character_processor

    folder = CACHE_DIR / "hubert-large-random"
    if (folder / "config.json").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    HubertForCTC(HubertConfig(**LARGE_CONFIG)).save_pretrained(folder)
    character_processor(folder).save_pretrained(folder)
    return folder


# The two pipelines, each run in a child process.


def time_model_forward(model, timings):
    """Accumulate the seconds spent in the model's forward under "model"."""
    original_forward = model.forward

    def forward(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original_forward(*args, **kwargs)
        finally:
            timings["model"] = timings.get("model", 0.0) + time.perf_counter() - started

    model.forward = forward


def warm_up_audio():
    import numpy as np

    return (np.random.default_rng(0).normal(0, 0.1, 16000)).astype("float32")


def write_warm_up_wav(path):
    import wave

    import numpy as np

    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes((warm_up_audio() * 32767).astype(np.int16).tobytes())
    return path


def run_ours(path, model_dir, precision):
    from workers.pipeline import SAMPLE_RATE, SplitOptions, decode_audio, find_silences, load_ctc_engine
    from workers.pipeline.cuts import chunk_spans, plan_cuts

    started = time.perf_counter()
    engine = load_ctc_engine(str(model_dir), precision)
    load_s = time.perf_counter() - started
    model_rss_mb = rss_mb()
    engine.transcribe([warm_up_audio()], [0.0])  # first-call costs belong to the worker's start, not a file
    timings = {}
    time_model_forward(engine.model, timings)
    options = SplitOptions()

    # The stages of workers.pipeline.run.transcribe_file, timed one by one.
    started = time.perf_counter()
    audio = decode_audio(path)
    timings["decode"] = time.perf_counter() - started
    started = time.perf_counter()
    silences = find_silences(audio, SAMPLE_RATE, options)
    timings["silence"] = time.perf_counter() - started
    started = time.perf_counter()
    duration_s = audio.size / SAMPLE_RATE
    spans = chunk_spans(plan_cuts(silences, duration_s, options), duration_s)
    chunks = [audio[round(s.start_s * SAMPLE_RATE) : round(s.end_s * SAMPLE_RATE)] for s in spans]
    timings["plan"] = time.perf_counter() - started
    started = time.perf_counter()
    segments = engine.transcribe(chunks, [s.start_s for s in spans])
    timings["recognise (model + features + CTC)"] = time.perf_counter() - started
    return {
        "audio_s": duration_s,
        "chunks": len(segments),
        "runtime": f"{engine.runtime.device} {engine.runtime.precision}",
        "load_s": load_s,
        "model_rss_mb": model_rss_mb,
        "timings": timings,
        "total_s": sum(v for k, v in timings.items() if k != "model"),
    }


def run_tutorial(path, model_dir):
    from bench import tutorial

    started = time.perf_counter()
    model, processor = tutorial.load_model(model_dir)
    load_s = time.perf_counter() - started
    model_rss_mb = rss_mb()
    with tempfile.TemporaryDirectory(prefix="bench-warm-up-") as folder:
        # librosa's first load takes seconds (lazy imports); a worker pays it once.
        tutorial.transcribe(write_warm_up_wav(Path(folder) / "warm-up.wav"), model, processor)
    timings = {}  # tutorial.transcribe times its own forward under "model"
    started = time.perf_counter()
    segments = tutorial.transcribe(path, model, processor, timings=timings)
    total_s = time.perf_counter() - started
    return {
        "audio_s": segments[-1][1] if segments else 0.0,
        "chunks": len(segments),
        "runtime": "cpu fp32 (batch 1)",
        "load_s": load_s,
        "model_rss_mb": model_rss_mb,
        "timings": timings,
        "total_s": total_s,
    }


def child(arguments):
    import torch

    torch.set_num_threads(len(os.sched_getaffinity(0)))  # both sides use every core this process may use
    if arguments.child == "ours":
        result = run_ours(arguments.file, arguments.model_dir, arguments.precision)
    else:
        result = run_tutorial(arguments.file, arguments.model_dir)
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


def run_child(kind, path, model_dir, precision):
    command = [sys.executable, "-m", "bench.pipeline_bench", "--child", kind, "--file", str(path),
               "--model-dir", str(model_dir), "--precision", precision]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"the {kind} pipeline failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def report(name, result):
    audio_s = result["audio_s"]
    print(f"\n{name}: {result['runtime']}, {result['chunks']} chunks, model loaded in {result['load_s']:.1f} s")
    for stage, seconds in result["timings"].items():
        print(f"  {stage:<38} {seconds:8.2f} s  {100 * seconds / audio_s:6.2f}% of audio")
    overhead_s = result["total_s"] - result["timings"].get("model", 0.0)
    print(f"  {'total (model loading excluded)':<38} {result['total_s']:8.2f} s  RTF {result['total_s'] / audio_s:.3f}")
    print(f"  {'outside the model forward':<38} {overhead_s:8.2f} s  {100 * overhead_s / audio_s:6.2f}% of audio")
    print(f"  peak RSS {result['peak_rss_mb']:.0f} MB (after loading the model: {result['model_rss_mb']:.0f} MB)")
    return overhead_s


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the generated speech (default 10)")
    parser.add_argument("--file", help="benchmark this media file instead of generated speech")
    parser.add_argument("--precision", default="auto", help="our pipeline's precision (auto, fp32, bf16, fp16, int8)")
    parser.add_argument("--child", choices=["ours", "tutorial"], help=argparse.SUPPRESS)
    parser.add_argument("--model-dir", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        return child(arguments)

    path = Path(arguments.file) if arguments.file else generated_speech(arguments.minutes)
    model_dir = large_random_model()
    print(f"file: {path}\nmodel: random hubert-large architecture in {model_dir}")
    tutorial_result = run_child("tutorial", path, model_dir, "fp32")
    ours_result = run_child("ours", path, model_dir, arguments.precision)

    audio_s = ours_result["audio_s"]
    report("tutorial pipeline", tutorial_result)
    ours_overhead_s = report("our pipeline", ours_result)
    seed_rtf = tutorial_result["total_s"] / audio_s
    ours_rtf = ours_result["total_s"] / audio_s
    print(
        f"\nspeedup {seed_rtf / ours_rtf:.2f}x end to end; model forward {tutorial_result['timings']['model'] / ours_result['timings']['model']:.2f}x; "
        f"peak RSS {ours_result['peak_rss_mb']:.0f} MB vs {tutorial_result['peak_rss_mb']:.0f} MB"
    )
    print(json.dumps({
        "audio_s": round(audio_s, 2),
        "seed_rtf": round(seed_rtf, 4),
        "ours_rtf": round(ours_rtf, 4),
        "speedup": round(seed_rtf / ours_rtf, 3),
        "overhead_pct": round(100 * ours_overhead_s / audio_s, 3),
        "seed_overhead_pct": round(100 * (tutorial_result["total_s"] - tutorial_result["timings"]["model"]) / audio_s, 3),
        "model_speedup": round(tutorial_result["timings"]["model"] / ours_result["timings"]["model"], 3),
        "peak_rss_mb": round(ours_result["peak_rss_mb"]),
        "seed_peak_rss_mb": round(tutorial_result["peak_rss_mb"]),
        "ours_precision": ours_result["runtime"],
    }))


if __name__ == "__main__":
    main()
