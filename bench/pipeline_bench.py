"""Pipeline benchmark: our pipeline on each CTC runtime (torch and ONNX
Runtime) against the tutorial's, one run, same file, same randomly initialised
model of the real hubert-large architecture.

    .venv/bin/python -m bench.pipeline_bench [--minutes 10] [--file F] [--precision fp32]
        [--runtimes torch,onnxruntime] [--int8]
    .venv/bin/python -m bench.pipeline_bench --cuda   # on a machine with a GPU

Without --file it generates espeak-ng speech with pauses of varied length as a
44.1 kHz stereo mp3 (cached). Each pipeline runs in its own subprocess, so that
peak RSS is its own. Prints seconds per stage, real-time factor (processing
seconds per audio second, model loading and ONNX export excluded), peak RSS,
the ratios, and the equivalence of ONNX Runtime with torch (logits, argmax
frames, words and times); --int8 adds ONNX Runtime int8 and its agreement with
fp32. The last line is one JSON object for tracking runs.
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


def capture_engine_logits(engine, timings, captured):
    """Time the engine's model forward (torch module or ONNX Runtime session:
    the same work, excluding features and decoding) under "model", its CPU
    seconds (all threads) under "model_cpu", and keep each chunk's own frames
    of the logits in `captured`, in call order (both runtimes take the chunks
    longest first: torch in padded batches, ONNX Runtime one at a time)."""
    from workers.pipeline.engines.ctc_onnx import feature_frame_counts

    owner, name = (engine.network, "logits") if engine.network is not None else (engine.model, "forward")
    original = getattr(owner, name)

    def forward(input_values, attention_mask=None, **kwargs):
        started, started_cpu = time.perf_counter(), time.process_time()
        if engine.network is not None:
            output = logits = original(input_values)
        else:
            output = original(input_values, attention_mask=attention_mask, **kwargs)
            logits = output.logits.float().numpy()
        timings["model"] = timings.get("model", 0.0) + time.perf_counter() - started
        timings["model_cpu"] = timings.get("model_cpu", 0.0) + time.process_time() - started_cpu
        rows, samples = input_values.shape
        sample_counts = [samples] * rows if attention_mask is None else attention_mask.sum(-1).tolist()
        for row, frames in enumerate(feature_frame_counts(engine.config, sample_counts)):
            captured.append(logits[row, :frames].copy())
        return output

    setattr(owner, name, forward)


def run_ours(path, model_dir, precision, backend="torch", logits_path=None):
    import numpy as np

    from workers.pipeline import SAMPLE_RATE, SplitOptions, decode_audio, find_silences, load_ctc_engine
    from workers.pipeline.cuts import chunk_spans, plan_cuts

    started = time.perf_counter()
    engine = load_ctc_engine(str(model_dir), precision, backend=backend)  # exports the graph on the first run
    load_s = time.perf_counter() - started
    model_rss_mb = rss_mb()
    engine.transcribe([warm_up_audio()], [0.0])  # first-call costs belong to the worker's start, not a file
    timings, captured = {}, []
    capture_engine_logits(engine, timings, captured)
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
    if logits_path:
        np.save(logits_path, np.concatenate(captured))
    return {
        "audio_s": duration_s,
        "chunks": len(segments),
        "runtime": f"{engine.runtime.device} {engine.runtime.precision} {engine.runtime.backend}",
        "precision": engine.runtime.precision,
        "backend": engine.runtime.backend,
        "load_s": load_s,
        "model_rss_mb": model_rss_mb,
        "timings": timings,
        "total_s": sum(v for k, v in timings.items() if k not in ("model", "model_cpu")),
        "words": [[w.text, w.start_s, w.end_s] for segment in segments for w in segment.words],
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
        "runtime": "cpu fp32 torch (batch 1)",
        "precision": "fp32",
        "backend": "torch",
        "load_s": load_s,
        "model_rss_mb": model_rss_mb,
        "timings": timings,
        "total_s": total_s,
    }


def child(arguments):
    import torch

    torch.set_num_threads(len(os.sched_getaffinity(0)))  # both sides use every core this process may use
    if arguments.child == "ours":
        result = run_ours(arguments.file, arguments.model_dir, arguments.precision, arguments.backend, arguments.logits)
    else:
        result = run_tutorial(arguments.file, arguments.model_dir)
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


def run_child(kind, path, model_dir, precision, backend="torch", logits=None):
    command = [sys.executable, "-m", "bench.pipeline_bench", "--child", kind, "--file", str(path),
               "--model-dir", str(model_dir), "--precision", precision, "--backend", backend]
    if logits:
        command += ["--logits", str(logits)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"the {kind} pipeline failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def report(name, result):
    audio_s = result["audio_s"]
    print(f"\n{name}: {result['runtime']}, {result['chunks']} chunks, model loaded in {result['load_s']:.1f} s")
    for stage, seconds in result["timings"].items():
        if stage == "model_cpu":
            print(f"  {'model forward, CPU seconds (all threads)':<38} {seconds:8.2f} s")
            continue
        print(f"  {stage:<38} {seconds:8.2f} s  {100 * seconds / audio_s:6.2f}% of audio")
    overhead_s = result["total_s"] - result["timings"].get("model", 0.0)
    print(f"  {'total (model loading excluded)':<38} {result['total_s']:8.2f} s  RTF {result['total_s'] / audio_s:.3f}")
    print(f"  {'outside the model forward':<38} {overhead_s:8.2f} s  {100 * overhead_s / audio_s:6.2f}% of audio")
    print(f"  peak RSS {result['peak_rss_mb']:.0f} MB (after loading the model: {result['model_rss_mb']:.0f} MB)")
    return overhead_s


def equivalence(reference, candidate, reference_logits, candidate_logits):
    """How close `candidate` came to `reference`: logits (max absolute
    difference over the logits' range), frames with the same argmax, and
    whether the words and their times are identical."""
    import difflib

    import numpy as np

    expected, actual = np.load(reference_logits), np.load(candidate_logits)
    same_shape = expected.shape == actual.shape
    words_a, words_b = [tuple(w) for w in reference["words"]], [tuple(w) for w in candidate["words"]]
    texts_a, texts_b = [w[0] for w in words_a], [w[0] for w in words_b]
    return {
        "frames": int(expected.shape[0]),
        "logits_max_diff_rel": round(float(np.abs(expected - actual).max() / (expected.max() - expected.min())), 7)
        if same_shape else None,
        "argmax_agreement": round(float((expected.argmax(-1) == actual.argmax(-1)).mean()), 6) if same_shape else None,
        "same_words_and_times": words_a == words_b,
        "word_agreement": round(difflib.SequenceMatcher(None, texts_a, texts_b, autojunk=False).ratio(), 4),
    }


def summary(result, seed_rtf):
    audio_s = result["audio_s"]
    rtf = result["total_s"] / audio_s
    return {
        "runtime": result["backend"],
        "precision": result["precision"],
        "rtf": round(rtf, 4),
        "speedup": round(seed_rtf / rtf, 3),
        "forward_s": round(result["timings"]["model"], 2),
        "forward_cpu_s": round(result["timings"]["model_cpu"], 2),
        "overhead_pct": round(100 * (result["total_s"] - result["timings"]["model"]) / audio_s, 3),
        "peak_rss_mb": round(result["peak_rss_mb"]),
        "load_s": round(result["load_s"], 1),
    }


def bench_cuda(model_dir, batch_sizes=(1, 2, 4, 8, 16, 32, 64), chunk_s=30.0):
    """Model forward throughput on CUDA (audio seconds per second) for torch
    fp16, torch bf16 and ONNX Runtime's CUDA provider (fp32 graph), batch 1–64
    of `chunk_s` chunks: what `auto` should pick on a GPU. Needs a GPU (and
    onnxruntime-gpu for the ORT column)."""
    import numpy as np
    import onnxruntime
    import torch
    from transformers import AutoModelForCTC

    from workers.pipeline.engines.ctc_onnx import ensure_graph

    if not torch.cuda.is_available():
        sys.exit("--cuda needs a GPU; none is visible to torch here")
    samples = int(chunk_s * 16000)
    rows = []
    for dtype in (torch.float16, torch.bfloat16):
        rows += torch_cuda_rows(AutoModelForCTC, model_dir, dtype, batch_sizes, samples, chunk_s)
        torch.cuda.empty_cache()
    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        session = onnxruntime.InferenceSession(str(ensure_graph(str(model_dir), "fp32")), providers=["CUDAExecutionProvider"])
        for batch in batch_sizes:
            feed = {"input_values": np.random.randn(batch, samples).astype(np.float32),
                    "attention_mask": np.ones((batch, samples), dtype=np.int64)}
            rows.append(("onnxruntime", "fp32", batch, time_calls(lambda: session.run(None, feed)) / (batch * chunk_s)))
    else:
        print("onnxruntime here has no CUDA provider (install onnxruntime-gpu): its column is left out")
    print(f"{'runtime':<12} {'precision':<9} {'batch':>5} {'forward s per audio s':>22}")
    for runtime, precision, batch, seconds in rows:
        print(f"{runtime:<12} {precision:<9} {batch:>5} {seconds:>22.5f}")
    print(json.dumps({"device": torch.cuda.get_device_name(), "chunk_s": chunk_s, "rows": [
        {"runtime": r, "precision": p, "batch": b, "forward_s_per_audio_s": round(s, 6)} for r, p, b, s in rows]}))


def torch_cuda_rows(model_class, model_dir, dtype, batch_sizes, samples, chunk_s):
    import torch

    model = model_class.from_pretrained(model_dir, attn_implementation="sdpa").eval().to("cuda", dtype=dtype)
    rows = []
    for batch in batch_sizes:
        audio = torch.randn(batch, samples, device="cuda", dtype=dtype)
        mask = torch.ones(batch, samples, device="cuda", dtype=torch.long)
        seconds = time_calls(lambda: model(audio, attention_mask=mask).logits, torch.cuda.synchronize)
        rows.append(("torch", str(dtype).split(".")[-1], batch, seconds / (batch * chunk_s)))
    return rows


def time_calls(call, synchronize=lambda: None, repeats=3):
    """Seconds of one call, the best of `repeats` after one warm-up."""
    import torch

    best = float("inf")
    with torch.inference_mode():
        for attempt in range(repeats + 1):
            synchronize()
            started = time.perf_counter()
            call()
            synchronize()
            if attempt:
                best = min(best, time.perf_counter() - started)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the generated speech (default 10)")
    parser.add_argument("--file", help="benchmark this media file instead of generated speech")
    parser.add_argument("--precision", default="fp32", help="our pipeline's precision (auto, fp32, bf16, fp16, int8)")
    parser.add_argument("--runtimes", default="torch,onnxruntime", help="our runtimes to run, comma-separated")
    parser.add_argument("--int8", action="store_true", help="also ONNX Runtime int8, with its agreement with fp32")
    parser.add_argument("--cuda", action="store_true", help="measure the CUDA runtimes instead (needs a GPU)")
    parser.add_argument("--child", choices=["ours", "tutorial"], help=argparse.SUPPRESS)
    parser.add_argument("--model-dir", help=argparse.SUPPRESS)
    parser.add_argument("--backend", default="torch", help=argparse.SUPPRESS)
    parser.add_argument("--logits", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        return child(arguments)
    model_dir = large_random_model()
    if arguments.cuda:
        return bench_cuda(model_dir)

    path = Path(arguments.file) if arguments.file else generated_speech(arguments.minutes)
    print(f"file: {path}\nmodel: random hubert-large architecture in {model_dir}")
    load_before = os.getloadavg()
    tutorial_result = run_child("tutorial", path, model_dir, "fp32")
    runs = [(backend, arguments.precision) for backend in arguments.runtimes.split(",")]
    if arguments.int8:
        runs.append(("onnxruntime", "int8"))
    results, logits = {}, {}
    with tempfile.TemporaryDirectory(prefix="bench-logits-") as folder:
        for backend, precision in runs:
            name = f"{backend} {precision}"
            logits[name] = Path(folder) / f"{backend}-{precision}.npy"
            results[name] = run_child("ours", path, model_dir, precision, backend, logits[name])
        comparisons = {
            f"{name} vs {reference}": equivalence(results[reference], results[name], logits[reference], logits[name])
            for name, reference in comparison_pairs(list(results))
        }
    load_after = os.getloadavg()

    audio_s = tutorial_result["audio_s"]
    report("tutorial pipeline", tutorial_result)
    for name, result in results.items():
        report(f"our pipeline, {name}", result)
    seed_rtf = tutorial_result["total_s"] / audio_s
    summaries = {name: summary(result, seed_rtf) for name, result in results.items()}
    print()
    for name, line in summaries.items():
        print(f"{name}: {line['speedup']:.2f}x the tutorial end to end, forward {line['forward_s']:.1f} s "
              f"({line['forward_cpu_s']:.1f} CPU s), peak RSS {line['peak_rss_mb']} MB "
              f"(tutorial {tutorial_result['peak_rss_mb']:.0f} MB)")
    for pair, figures in comparisons.items():
        print(f"{pair}: {figures}")
    figures = {
        "audio_s": round(audio_s, 2),
        "load_avg_before_after": [round(load_before[0], 2), round(load_after[0], 2)],
        "cores": len(os.sched_getaffinity(0)),
        "seed_rtf": round(seed_rtf, 4),
        "seed_overhead_pct": round(100 * (tutorial_result["total_s"] - tutorial_result["timings"]["model"]) / audio_s, 3),
        "seed_peak_rss_mb": round(tutorial_result["peak_rss_mb"]),
        "runs": summaries,
        "equivalence": comparisons,
    }
    torch_run, onnx_run = summaries.get(f"torch {arguments.precision}"), summaries.get(f"onnxruntime {arguments.precision}")
    if torch_run and onnx_run:
        figures["onnx_forward_speedup"] = round(torch_run["forward_s"] / onnx_run["forward_s"], 3)
        figures["onnx_forward_cpu_speedup"] = round(torch_run["forward_cpu_s"] / onnx_run["forward_cpu_s"], 3)
        figures["onnx_rss_vs_torch"] = round(onnx_run["peak_rss_mb"] / torch_run["peak_rss_mb"], 3)
        print(f"\nONNX Runtime forward {figures['onnx_forward_speedup']:.2f}x torch's "
              f"({figures['onnx_forward_cpu_speedup']:.2f}x in CPU seconds); peak RSS {figures['onnx_rss_vs_torch']:.2f}x")
    print(f"load average (1 min) before/after: {figures['load_avg_before_after']} on {figures['cores']} cores")
    print(json.dumps(figures))


def comparison_pairs(names):
    """Each run against the first torch run, and int8 against fp32 ONNX Runtime."""
    reference = next((name for name in names if name.startswith("torch")), names[0])
    pairs = [(name, reference) for name in names if name != reference]
    if "onnxruntime int8" in names and "onnxruntime fp32" in names:
        pairs.append(("onnxruntime int8", "onnxruntime fp32"))
    return pairs


if __name__ == "__main__":
    main()
