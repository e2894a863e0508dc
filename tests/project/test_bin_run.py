"""bin/run, as a person runs it in a terminal: it starts everything, and Ctrl-C
stops everything, the script included, with a clean status."""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings

pytestmark = pytest.mark.once  # nothing here depends on the database

ROOT = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def processes_in_group(group_id):
    """Live (not zombie) processes of a process group."""
    found = []
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, process_group = fields[0], int(fields[2])
        if process_group == group_id and state != "Z":
            found.append(int(status.parent.name))
    return found


def wait_for_site(url, process, timeout_s=120):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, f"bin/run ended early with status {process.returncode}"
        try:
            if requests.get(url, timeout=2).status_code in (200, 302):
                return
        except requests.RequestException:  # not listening yet, or still starting
            pass
        time.sleep(0.5)
    pytest.fail(f"bin/run did not serve {url} within {timeout_s} s")


@pytest.mark.slow
def test_ctrl_c_stops_everything_and_the_script_ends_cleanly(tmp_path):
    port = free_port()
    environment = {
        **os.environ,
        "DATA_DIR": str(tmp_path),
        "REDIS_URL": settings.REDIS_URL,  # the test Redis database
        "PORT": str(port),
        "WEB_WORKERS": "1",
        "DJANGO_SETTINGS_MODULE": "speechsite.settings",
    }
    environment.pop("DATABASE_URL", None)
    # Its own session, as a terminal gives a job its own process group.
    process = subprocess.Popen(
        ["bin/run"], cwd=ROOT, env=environment, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        wait_for_site(f"http://127.0.0.1:{port}/accounts/login/", process)
        assert len(processes_in_group(process.pid)) >= 4  # script, worker, reaper, gunicorn

        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does: the whole foreground group
        status = process.wait(timeout=60)
        output = process.stdout.read()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert status in (0, 130), output[-2000:]
    assert -signal.SIGSEGV != status
    deadline = time.monotonic() + 10
    while processes_in_group(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_in_group(process.pid) == []
