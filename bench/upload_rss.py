"""Memory of the web process while a 1 GB upload goes into the bucket.

    .venv/bin/python -m bench.upload_rss [--mib 1024]

Starts the S3-compatible store of the tests (bin/swift-service) and gunicorn
(one worker process) with the media storage in its bucket, warms the worker up
with a small upload, then sends a 1 GiB WAV through the API with curl (which
streams it from disk) while sampling the worker's RSS every 20 ms. Then deletes
the transcription through the API and checks that the object went with it.
The last line is one JSON object.
"""

import argparse
import json
import os
import subprocess
import tempfile
import threading
import time
import wave
from pathlib import Path

import psutil
import requests

from bench.private_site import PYTHON, ROOT, free_port, private_site

TARGET_ABOVE_IDLE_MB = 150
MiB = 1024 * 1024


def swift_settings():
    environment = {name: value for name, value in os.environ.items() if name != "DATA_DIR"}
    subprocess.run([ROOT / "bin" / "swift-service", "start"], env=environment, check=True, capture_output=True)
    lines = subprocess.run([ROOT / "bin" / "swift-service", "env"], env=environment, check=True,
                           capture_output=True, text=True).stdout.splitlines()
    return dict(line.split("=", 1) for line in lines)


def noise_wav(path, mib):
    """A 16 kHz mono WAV of `mib` MiB of random samples, written in blocks."""
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(16000)
        for _ in range(mib):
            writer.writeframes(os.urandom(MiB))
    return path


class PeakSampler(threading.Thread):
    def __init__(self, process):
        super().__init__(daemon=True)
        self.process = process
        self.peak = process.memory_info().rss
        self.running = True

    def run(self):
        while self.running:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.02)

    def stop(self):
        self.running = False
        self.join()
        return self.peak


def post(url, token, path):
    finished = subprocess.run(
        ["curl", "-sS", "-f", "-H", f"Authorization: Bearer {token}", "-F", f"file=@{path}", f"{url}/api/transcriptions"],
        capture_output=True, text=True, check=True,
    )
    return json.loads(finished.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=1024)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as folder, \
            private_site(**swift_settings(), MAX_UPLOAD_BYTES=2 * options.mib * MiB) as environment:
        from django.contrib.auth import get_user_model
        from django.core.files.storage import storages

        from transcripts.models import ApiToken, Media

        token = ApiToken.issue(get_user_model().objects.create_user("bench"), "bench")[1]
        big = noise_wav(Path(folder) / "big.wav", options.mib)
        small = noise_wav(Path(folder) / "small.wav", 1)
        port = free_port()
        gunicorn = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "speechsite.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1",
             "--threads", "2", "--timeout", "600"],
            cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_serving(url)
            [web] = psutil.Process(gunicorn.pid).children()  # the worker process that serves requests
            post(url, token, small)  # first-request costs: imports, S3 client, connection pool
            idle = web.memory_info().rss
            sampler = PeakSampler(web)
            sampler.start()
            started = time.monotonic()
            job = post(url, token, big)
            upload_s = time.monotonic() - started
            peak = sampler.stop()
            upload_bytes = big.stat().st_size
            media = Media.objects.get(transcriptions__pk=job["id"])
            stored_bytes = storages["default"].size(media.file.name)
            requests.delete(f"{url}/api/transcriptions/{job['id']}", headers={"Authorization": f"Bearer {token}"},
                            timeout=60).raise_for_status()
            deleted = not storages["default"].exists(media.file.name)
        finally:
            gunicorn.terminate()
            gunicorn.wait()
    figures = {
        "upload_bytes": upload_bytes,
        "stored_bytes": stored_bytes,
        "idle_rss_mb": round(idle / MiB, 1),
        "peak_above_idle_mb": round((peak - idle) / MiB, 1),
        "target_above_idle_mb": TARGET_ABOVE_IDLE_MB,
        "upload_s": round(upload_s, 1),
        "object_deleted_with_the_transcription": deleted,
    }
    print(f"{options.mib} MiB through the API into the bucket in {upload_s:.1f} s: web worker RSS "
          f"{figures['idle_rss_mb']} MB idle, peak {figures['peak_above_idle_mb']} MB above idle "
          f"(target < {TARGET_ABOVE_IDLE_MB}); object deleted with the transcription: {deleted}")
    print(json.dumps(figures))


def wait_until_serving(url):
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            requests.get(f"{url}/accounts/login/", timeout=10)
            return
        except requests.RequestException:  # not listening yet, or still starting
            time.sleep(0.5)
    raise SystemExit("gunicorn did not answer within 120 s")


if __name__ == "__main__":
    main()
