"""The Dockerfile cannot be built here (no Docker engine); it is linted instead."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.once  # nothing here depends on the database

ROOT = Path(__file__).resolve().parents[2]


def test_dockerfile_passes_hadolint():
    hadolint = Path(sys.executable).parent / "hadolint"
    result = subprocess.run([str(hadolint), str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_container_entrypoint_runs_the_documented_processes():
    entrypoint = (ROOT / "bin" / "container-entrypoint").read_text()
    for process in (
        "gunicorn speechsite.wsgi",
        "manage.py worker_queues",
        "rqworker $queues --worker-class rq.worker.SimpleWorker",
        "reap_jobs --loop",
    ):
        assert process in entrypoint
