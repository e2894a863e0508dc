"""What a worker's death costs on a long file: the second attempt's model time
against a full run's, measured in one run.

    .venv/bin/python -m bench.resume_bench [--minutes 10] [--killed-at 0.8]

10 minutes of generated speech, the random hubert-large of pipeline_bench (the
real architecture). A real worker process (`manage.py rqworker`) transcribes it
and is SIGKILLed once --killed-at of its chunks are saved; the reaper gives the
job a new attempt, which runs in this process from the saved chunks. Then a
second transcription of the same file runs from scratch, in this process too.
The model's forward is timed in both. The last line is one JSON object.
"""

import argparse
import json
import math
import os
import signal
import time

from bench.pipeline_bench import generated_speech, large_random_model
from bench.private_site import private_site, queued_transcription, start_worker

TARGET_RATIO = 0.25


def timed_forward(engine, timings):
    forward = engine.model.forward

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return forward(*args, **kwargs)
        finally:
            timings["model_s"] += time.perf_counter() - started

    engine.model.forward = timed


def run_in_this_process(timings):
    """Run what is queued with a worker in this process; the model time it took."""
    import django_rq
    from rq.worker import SimpleWorker

    before = timings["model_s"]
    django_rq.get_worker("transcribe", worker_class=SimpleWorker).work(burst=True)
    return timings["model_s"] - before


def kill_after_share_of_chunks(environment, transcription, share):
    from transcripts.models import Transcription

    worker = start_worker(environment, "--burst")
    rows = Transcription.objects.filter(pk=transcription.pk)
    try:
        while True:
            row = rows.values("chunks_done", "chunks_total", "status").get()
            if row["chunks_total"] and row["chunks_done"] >= math.ceil(share * row["chunks_total"]):
                break
            assert row["status"] in ("queued", "running") and worker.poll() is None, row
            time.sleep(0.2)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
    finally:
        if worker.poll() is None:
            worker.kill()
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--killed-at", type=float, default=0.8, help="share of chunks saved before the kill")
    options = parser.parse_args()
    speech = generated_speech(options.minutes)
    model = large_random_model()
    with private_site(STT_MODEL=model, JOB_HEARTBEAT_S=1, JOB_STALE_AFTER_S=3) as environment:
        from django.contrib.auth import get_user_model

        from transcripts.models import Transcription
        from workers.jobs import load_engine
        from workers.reaper import reap

        owner = get_user_model().objects.create_user("bench")
        timings = {"model_s": 0.0}
        timed_forward(load_engine(), timings)  # the engine the jobs of this process use

        interrupted = queued_transcription(owner, speech, "killed")
        at_kill = kill_after_share_of_chunks(environment, interrupted, options.killed_at)
        time.sleep(4)  # the heartbeat is stale after 3 s
        assert reap().new_attempts == [interrupted.pk]
        second_attempt_s = run_in_this_process(timings)

        full = queued_transcription(owner, speech, "full")
        full_run_s = run_in_this_process(timings)

        for transcription in (interrupted, full):
            transcription.refresh_from_db()
            assert transcription.status == Transcription.Status.DONE, transcription.error_detail
        same_text = [s.text for s in interrupted.segments.all()] == [s.text for s in full.segments.all()]
    ratio = second_attempt_s / full_run_s
    figures = {
        "audio_s": round(options.minutes * 60, 1),
        "chunks": at_kill["chunks_total"],
        "chunks_saved_at_kill": at_kill["chunks_done"],
        "second_attempt_model_s": round(second_attempt_s, 1),
        "full_run_model_s": round(full_run_s, 1),
        "ratio": round(ratio, 3),
        "target_ratio": TARGET_RATIO,
        "same_transcript": same_text,
    }
    print(f"{figures['chunks']} chunks, worker killed with {figures['chunks_saved_at_kill']} saved")
    print(f"model time: second attempt {second_attempt_s:.1f} s, full run {full_run_s:.1f} s, ratio {ratio:.3f} "
          f"(target <= {TARGET_RATIO}); second attempt's transcript equals the full run's: {same_text}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
