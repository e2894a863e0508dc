"""Real worker processes for tests: they share the test database, the test
Redis, the test's media folder and the tiny model."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def worker_environment(model_dir, **extra):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "SPEECHSITE_TEST_DB_NAME": str(connection.settings_dict["NAME"]),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),  # the test's media folder (conftest's media_root)
        "STT_MODEL": str(model_dir),
        "STT_PRECISION": "fp32",
        **{name: str(value) for name, value in extra.items()},
    }


def start_stalling_worker(model_dir, stall_after_batch_s, **extra):
    """A burst worker (tests.support.slow_worker) that pauses after each batch, so that a
    test can watch progress move or kill it mid-job."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.slow_worker"],
        cwd=ROOT,
        env=worker_environment(model_dir, STALL_AFTER_BATCH_S=stall_after_batch_s, **extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def start_worker(model_dir, queues=("transcribe", "summaries"), **extra):
    """`manage.py rqworker` on `queues` (by default those bin/worker gives a worker of the
    default model), as operators run it (stop it with SIGTERM)."""
    return subprocess.Popen(
        [sys.executable, "manage.py", "rqworker", *queues, "--worker-class", "rq.worker.SimpleWorker"],
        cwd=ROOT,
        env=worker_environment(model_dir, **extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop_worker(process, timeout_s=5):
    """The worker's output, after it ends (or is killed)."""
    try:
        output, _ = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output


def wait_until(predicate, timeout_s, what):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout_s} s waiting for {what}")
