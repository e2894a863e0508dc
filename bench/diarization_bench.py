"""Speaker diarization: error rate, time and memory on conversations of real
recordings of different people and espeak-ng voices (testkit/conversations.py).

    .venv/bin/python -m bench.diarization_bench [--long-minutes 60] [--threads 1]

Clean mixes: two and three speakers, turns of 2-5 s, pauses of 0.2-1 s, no
overlap. Hard mix: turns of 0.8-1.2 s, half the changes overlapping by 0.5 s,
the others a 0.1-0.5 s pause. DER uses a 0.25-s collar (testkit/der.py), with
the number of speakers found automatically, and (hard mix) also given. Time is
diarization seconds per audio second (models loaded and warmed first); peak
memory is the process's peak RSS growth while diarizing the long file. The
last line is one JSON object with every number.
"""

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from testkit.conversations import make_conversation
from testkit.der import diarization_error
from workers.pipeline.stages.speaker_models import load_vad, load_voice_encoder
from workers.pipeline.stages.speakers import diarize
from workers.pipeline.types import SpeakerOptions

CLEAN = [
    ["ls-1272", "ls-2412"],
    ["jfk", "ls-1995"],
    ["ls-2033", "espeak-us-m"],
    ["espeak-gb-f", "espeak-sc-m"],
    ["ls-1272", "ls-2412", "ls-1995"],
    ["ls-61", "espeak-gb-f", "ls-2033"],
    ["jfk", "ls-1089", "espeak-us-m"],
]
HARD = dict(turn_s=(0.8, 1.2), pause_s=(0.1, 0.5), overlap_share=0.5, overlap_s=0.5)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(conversation, models, options):
    started = time.perf_counter()
    turns = diarize(conversation.audio, *models, options)
    seconds = time.perf_counter() - started
    error = diarization_error(
        [(t.start_s, t.end_s, t.speaker) for t in conversation.turns], [(t.start_s, t.end_s, t.speaker) for t in turns]
    )
    return error.rate, seconds, len({turn.speaker for turn in turns})


def run_mix(name, folder, models, seeds, given, **mix):
    rates, seconds, audio_s = [], 0.0, 0.0
    for index, names in enumerate(CLEAN):
        for seed in range(seeds):
            conversation = make_conversation(names, folder, seconds=60.0, seed=seed * 100 + index, **mix)
            options = SpeakerOptions(speakers=len(names)) if given else SpeakerOptions()
            rate, spent, found = measure(conversation, models, options)
            rates.append(rate)
            seconds += spent
            audio_s += conversation.duration_s
            print(f"{name:12} {'+'.join(names):32} seed {seed}: DER {100 * rate:5.1f}%  speakers {found}/{len(names)}")
    return {"der_mean_pct": 100 * float(np.mean(rates)), "der_max_pct": 100 * float(np.max(rates)),
            "time_pct": 100 * seconds / audio_s}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2, help="conversations per set of speakers")
    parser.add_argument("--long-minutes", type=float, default=60.0, help="length of the memory/time file")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    folder = Path(tempfile.gettempdir()) / "speechsite-bench" / "voices"
    folder.mkdir(parents=True, exist_ok=True)
    models = (load_vad(), load_voice_encoder())
    warm = make_conversation(CLEAN[0], folder, seconds=10.0)
    diarize(warm.audio, *models)
    result = {
        "clean": run_mix("clean", folder, models, args.seeds, given=False),
        "hard": run_mix("hard", folder, models, args.seeds, given=False, **HARD),
        "hard_count_given": run_mix("hard+count", folder, models, args.seeds, given=True, **HARD),
    }
    long = make_conversation(CLEAN[4], folder, seconds=args.long_minutes * 60, turn_s=(2.0, 8.0), seed=7)
    before_mb = peak_rss_mb()
    rate, seconds, found = measure(long, models, SpeakerOptions())
    result["long"] = {"minutes": long.duration_s / 60, "der_pct": 100 * rate, "speakers": found,
                      "time_pct": 100 * seconds / long.duration_s, "audio_mb": long.audio.nbytes / 2**20,
                      "peak_rss_growth_mb": peak_rss_mb() - before_mb, "peak_rss_mb": peak_rss_mb()}
    result["threads"] = args.threads
    print(json.dumps(result))


if __name__ == "__main__":
    main()
