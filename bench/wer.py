"""Accuracy and speed of the speech engines on real speech (../shared/testdata/speech).

    .venv/bin/python -m bench.wer [--models tiny.en,base] [--model NAME=ENGINE:SOURCE[:LANGUAGES]]
                                  [--speed-repeats 2] [--threads 2] [--json results.json]

Per model, three word error rates (corpus WER, testkit/wer.py's stated English
normalisation):
  (a) the engine on each utterance alone: faster-whisper's own `transcribe`
      (its defaults: beam 5, temperature fallback, no VAD; numpy in) for
      Whisper models, the engine on the utterance as one chunk for CTC models;
  (b) our pipeline (guarded decode, silence split, batched engine) on each
      recording's file;
  (c) our pipeline on one long file: the utterances three times, each round in
      a new order, with 0.6-2 s pauses of -60 dBFS noise (297 s, 663 words).
Goals: (b) <= (a) + 0.5 and (c) <= (a) + 1 points.

Speed (Whisper models): our pipeline on the long file against faster-whisper's
`transcribe` of the same audio (default, and with word_timestamps=True, which
gives what our pipeline gives), runs interleaved in this process; process CPU
seconds (CTranslate2's threads included) and wall seconds. Ours includes
decoding and the silence split.

--models picks the packaged test fixtures (tiny.en, base); --model adds any
model in STT_MODELS' syntax (e.g. hubert=ctc:facebook/hubert-large-ls960-ft on a
machine that has it). The last line is one JSON object with every figure.
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

from testkit import packaged_models
from testkit.real_speech import join_with_pauses, load_utterances, write_wav
from testkit.wer import word_error_rate
from transcripts.offered_models import parse_offered_models
from workers import pipeline

GOAL_B_POINTS = 0.5
GOAL_C_POINTS = 1.0


def packaged(name, scratch):
    """The packaged test weights as offered models."""
    if name == "tiny.en":
        return parse_offered_models(f"tiny.en=whisper:{packaged_models.tiny_en_dir()}:en", "")[0]
    if name == "base":
        return parse_offered_models(f"base=whisper:{packaged_models.base_dir(Path(scratch) / 'base')}", "")[0]
    raise SystemExit(f"unknown packaged model {name!r}: tiny.en or base")


def load(model, threads):
    if model.engine == "whisper":
        return pipeline.load_whisper_engine(model.source, "auto", threads)
    return pipeline.load_ctc_engine(model.source, "auto", threads)


def bound(engine, model, **options):
    """The engine as a job runs it: English-only models in English, others detect."""
    if model.engine != "whisper":
        return engine
    language = "en" if model.english_only else None
    return engine.with_options(pipeline.WhisperOptions(language=language, **options))


def engine_alone(engine, model, audio):
    if model.engine == "whisper":
        segments, _ = engine.model.transcribe(audio, language="en" if model.english_only else None)
        return " ".join(segment.text.strip() for segment in segments)
    return engine.transcribe([audio], [0.0])[0].text


def timed(function):
    wall_s, cpu_s = time.perf_counter(), time.process_time()
    result = function()
    return result, time.perf_counter() - wall_s, time.process_time() - cpu_s


def accuracy(model, engine, utterances, long_path, long_reference):
    references = [utterance.reference for utterance in utterances]
    job = bound(engine, model)
    alone = word_error_rate(references, [engine_alone(engine, model, u.audio) for u in utterances])
    ours = word_error_rate(references, [pipeline.transcribe_file(u.path, job).text for u in utterances])
    long_transcript = pipeline.transcribe_file(long_path, job)
    joined = word_error_rate([long_reference], [long_transcript.text])
    return {
        "a_engine_alone": alone.__dict__,
        "b_pipeline_per_file": ours.__dict__,
        "c_pipeline_long_file": joined.__dict__,
        "long_file_chunks": len(long_transcript.segments),
        "goal_b_met": ours.percent <= alone.percent + GOAL_B_POINTS,
        "goal_c_met": joined.percent <= alone.percent + GOAL_C_POINTS,
    }


def speed(model, engine, long_path, long_audio, long_reference, repeats):
    language = "en" if model.english_only else None

    def faster_whisper(**options):
        segments, _ = engine.model.transcribe(long_audio, language=language, **options)
        return " ".join(segment.text.strip() for segment in segments)

    runs = {
        "ours": lambda: pipeline.transcribe_file(long_path, bound(engine, model)).text,
        "faster_whisper": faster_whisper,
        "faster_whisper_word_timestamps": lambda: faster_whisper(word_timestamps=True),
        "ours_beam_2": lambda: pipeline.transcribe_file(long_path, bound(engine, model, beam_size=2)).text,
    }
    times = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            text, wall_s, cpu_s = timed(run)
            wer = word_error_rate([long_reference], [text]).percent
            times[name].append({"wall_s": round(wall_s, 1), "cpu_s": round(cpu_s, 1), "wer_percent": round(wer, 2)})
            print(f"    {name:32s} cpu {cpu_s:6.1f} s  wall {wall_s:6.1f} s  WER {wer:5.2f} %", flush=True)
    total = {name: sum(run["cpu_s"] for run in runs_) for name, runs_ in times.items()}
    ratios = {
        "cpu_ratio_vs_transcribe": round(total["faster_whisper"] / total["ours"], 3),
        "cpu_ratio_vs_transcribe_word_timestamps": round(total["faster_whisper_word_timestamps"] / total["ours"], 3),
        "cpu_ratio_beam_2_vs_transcribe": round(total["faster_whisper"] / total["ours_beam_2"], 3),
    }
    return {"runs": times, **ratios}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="tiny.en,base", help="packaged fixtures to measure (tiny.en, base)")
    parser.add_argument("--model", action="append", default=[], help="another model, NAME=ENGINE:SOURCE[:LANGUAGES]")
    parser.add_argument("--speed-repeats", type=int, default=2, help="interleaved speed runs per Whisper model (0: none)")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: the cores available)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    arguments = parser.parse_args()

    utterances = load_utterances()
    long = join_with_pauses(utterances)
    report = {"long_file_s": round(long.duration_s, 1), "long_file_words": len(long.reference.split()), "models": {}}
    print(f"{len(utterances)} recordings; long file {long.duration_s:.1f} s, {report['long_file_words']} words")
    with tempfile.TemporaryDirectory(prefix="speechsite-wer-") as scratch:
        long_path = write_wav(long.audio, Path(scratch) / "long.wav")
        models = [packaged(name.strip(), scratch) for name in arguments.models.split(",") if name.strip()]
        models += [parse_offered_models(spec, "")[0] for spec in arguments.model]
        for model in models:
            engine = load(model, arguments.threads)
            print(f"== {model.name} ({model.engine})", flush=True)
            entry = accuracy(model, engine, utterances, long_path, long.reference)
            for key in ("a_engine_alone", "b_pipeline_per_file", "c_pipeline_long_file"):
                print(f"  {key:22s} WER {100 * entry[key]['wer']:5.2f} %", flush=True)
            print(f"  goals: (b) <= (a)+{GOAL_B_POINTS} {'met' if entry['goal_b_met'] else 'NOT met'}; "
                  f"(c) <= (a)+{GOAL_C_POINTS} {'met' if entry['goal_c_met'] else 'NOT met'}", flush=True)
            if model.engine == "whisper" and arguments.speed_repeats:
                print("  speed, long file:", flush=True)
                entry["speed"] = speed(model, engine, long_path, long.audio, long.reference, arguments.speed_repeats)
                print(f"  CPU ratio vs faster-whisper transcribe: {entry['speed']['cpu_ratio_vs_transcribe']}x; "
                      f"vs transcribe with word timestamps: {entry['speed']['cpu_ratio_vs_transcribe_word_timestamps']}x",
                      flush=True)
            report["models"][model.name] = entry
    if arguments.json:
        arguments.json.write_text(json.dumps(report, indent=1))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
