"""A throwaway site for the benchmarks that run real processes: a temporary
DATA_DIR (SQLite, media) and a Redis server of its own on a free port, so that a
benchmark touches no database anyone else uses. Django is set up in this
process with the same environment the child processes get."""

import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def private_site(**settings):
    """Yields the environment of a site on a fresh SQLite file and its own Redis;
    `settings` are more environment variables (STT_MODEL, S3_*, ...)."""
    with tempfile.TemporaryDirectory(prefix="speechsite-bench-site-") as folder:
        port = free_port()
        redis = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
             "--dir", folder],
            stdout=subprocess.DEVNULL,
        )
        try:
            environment = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "speechsite.settings",
                "DEBUG": "true",
                "DATA_DIR": folder,
                "REDIS_URL": f"redis://127.0.0.1:{port}/0",
                **{name: str(value) for name, value in settings.items()},
            }
            environment.pop("DATABASE_URL", None)
            os.environ.clear()
            os.environ.update(environment)
            wait_for_redis(port)
            import django

            django.setup()
            from django.core.management import call_command

            call_command("migrate", "--noinput", verbosity=0)
            yield environment
        finally:
            redis.terminate()
            redis.wait()


def wait_for_redis(port):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the benchmark's Redis on port {port} did not start")


def queued_transcription(owner, path, title):
    """A transcription of the file at `path`, stored and queued as an upload is."""
    from django.core.files import File

    from transcripts import services
    from transcripts.models import Media, Transcription
    from workers.media_copy import file_sha256

    media = Media(owner=owner, source=Media.Source.UPLOAD, original_name=Path(path).name, sha256=file_sha256(path))
    with open(path, "rb") as handle:
        media.file.save(Path(path).name, File(handle), save=False)
    media.size_bytes = media.file.size
    media.save()
    transcription = Transcription.objects.create(owner=owner, media=media, title=title, model_name="bench")
    services.queue_new_attempt(transcription)
    transcription.refresh_from_db()
    return transcription


def start_worker(environment, *arguments):
    return subprocess.Popen(
        [PYTHON, "manage.py", "rqworker", "transcribe", "--worker-class", "rq.worker.SimpleWorker", *arguments],
        cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
