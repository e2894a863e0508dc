"""How long a SIGKILLed worker's job waits before it is queued again, with the
default settings (JOB_HEARTBEAT_S, JOB_STALE_AFTER_S, the reaper's interval).

    .venv/bin/python -m bench.requeue_bench

A real worker (`manage.py rqworker`) takes a job on 10 minutes of generated
speech (tiny model: the job only has to be running) and is SIGKILLed the moment
it claims the job, right after its first heartbeat: the slowest case. A real
`manage.py reap_jobs --loop` runs beside it. Prints the seconds from the kill to
the new attempt; the last line is one JSON object.
"""

import json
import os
import signal
import subprocess
import tempfile
import time

from bench.pipeline_bench import generated_speech
from bench.private_site import PYTHON, ROOT, private_site, queued_transcription, start_worker
from testkit.tiny_models import save_tiny_model

TARGET_S = 120


def main():
    speech = generated_speech(10)
    with tempfile.TemporaryDirectory(prefix="bench-tiny-") as model_dir:
        save_tiny_model(model_dir)
        with private_site(STT_MODEL=model_dir, STT_PRECISION="fp32") as environment:
            from django.conf import settings
            from django.contrib.auth import get_user_model

            from transcripts.models import Transcription
            from workers.management.commands.reap_jobs import Command as ReapJobs

            reaper_interval_s = ReapJobs().create_parser("manage.py", "reap_jobs").get_default("interval")
            owner = get_user_model().objects.create_user("bench")
            reaper = subprocess.Popen([PYTHON, "manage.py", "reap_jobs", "--loop"], cwd=ROOT, env=environment,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
            worker = start_worker(environment)
            try:
                transcription = queued_transcription(owner, speech, "requeue")
                rows = Transcription.objects.filter(pk=transcription.pk)
                while not rows.filter(status=Transcription.Status.RUNNING).exists():
                    assert worker.poll() is None, "the worker ended before it took the job"
                    time.sleep(0.05)
                os.kill(worker.pid, signal.SIGKILL)
                killed_at = time.monotonic()
                while not rows.filter(attempt=2).exists():
                    assert time.monotonic() - killed_at < 600, "not requeued within 10 minutes"
                    time.sleep(0.2)
                requeue_s = time.monotonic() - killed_at
            finally:
                for process in (worker, reaper):
                    if process.poll() is None:
                        process.terminate()
                        process.wait()
            figures = {
                "heartbeat_s": settings.JOB_HEARTBEAT_S,
                "stale_after_s": settings.JOB_STALE_AFTER_S,
                "reaper_interval_s": reaper_interval_s,
                "requeue_s": round(requeue_s, 1),
                "target_s": TARGET_S,
                "within_target": requeue_s <= TARGET_S,
            }
    print(f"worker SIGKILLed right after it claimed the job: queued again after {requeue_s:.1f} s "
          f"(JOB_STALE_AFTER_S {figures['stale_after_s']:g} s + reaper interval {reaper_interval_s:g} s; "
          f"target {TARGET_S} s)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
