"""The queue behind Redis Sentinel (REDIS_SENTINELS), against a real master,
replica and `redis-server --sentinel` on 127.0.0.1 started by the project's own
script (bin/sentinel-service, as bin/services --sentinel does)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import django_rq
import pytest
from redis.sentinel import Sentinel, SentinelManagedConnection
from rq import SimpleWorker

from speechsite.redis_settings import InterruptSafeSentinelConnection, redis_connection

pytestmark = pytest.mark.once  # no database: the same on every one

ROOT = Path(__file__).resolve().parents[2]
SENTINEL_ENV = {"REDIS_SENTINELS": "127.0.0.1:26379", "REDIS_SENTINEL_MASTER": "speechsite"}


def sentinel_service(action):
    environment = {name: value for name, value in os.environ.items() if name not in ("DATA_DIR", "SENTINEL_HOME")}
    finished = subprocess.run(
        [ROOT / "bin" / "sentinel-service", action], env=environment, capture_output=True, text=True, timeout=60
    )
    if finished.returncode != 0:
        pytest.fail(f"bin/sentinel-service {action} failed:\n{finished.stdout}{finished.stderr}")


@pytest.fixture
def queue(settings):
    sentinel_service("start")
    settings.RQ_QUEUES = {"transcribe": {**redis_connection(SENTINEL_ENV.get), "DEFAULT_TIMEOUT": 3600}}
    queue = django_rq.get_queue("transcribe")
    queue.empty()
    return queue


def wait_finished(job, timeout_s):
    deadline = time.monotonic() + timeout_s
    while job.get_status(refresh=True).value != "finished":
        assert time.monotonic() < deadline, f"job {job.description} not finished within {timeout_s:.0f} s"
        time.sleep(0.2)


def test_the_settings_name_the_sentinels_and_no_url():
    connection = redis_connection({"REDIS_SENTINELS": "a:26379, [fd00::1]:26380", "REDIS_URL": "redis://x"}.get)

    assert connection["SENTINELS"] == [("a", 26379), ("fd00::1", 26380)]
    assert "URL" not in connection  # django-rq would take it over SENTINELS


def test_a_worker_does_a_job_enqueued_through_sentinel(queue):
    job = queue.enqueue("os.getpid")

    django_rq.get_worker("transcribe", worker_class=SimpleWorker).work(burst=True)

    assert job.return_value(refresh=True) == os.getpid()
    assert queue.connection.connection_pool.get_master_address() == ("127.0.0.1", 6380)


def worker_command(*arguments):
    return [sys.executable, "manage.py", "rqworker", "transcribe", "--worker-class", "rq.worker.SimpleWorker", *arguments]


def worker_environment():
    return {**os.environ, **SENTINEL_ENV, "DJANGO_SETTINGS_MODULE": "tests.settings"}


def test_manage_py_rqworker_finds_the_master_through_sentinel(queue):
    job = queue.enqueue("os.getcwd")

    finished = subprocess.run(
        worker_command("--burst"), cwd=ROOT, env=worker_environment(), capture_output=True, text=True, timeout=120
    )

    assert finished.returncode == 0, finished.stderr
    assert job.return_value(refresh=True) == str(ROOT)


def interrupted_then_get(connection_class):
    """Interrupt a BLPOP mid-read (as RQ's SIGTERM handler does), then GET a key."""
    # One connection in the pool: the GET goes down the interrupted one.
    master = Sentinel([("127.0.0.1", 26379)], socket_timeout=10).master_for(
        "speechsite", connection_class=connection_class, max_connections=1
    )
    master.set("reply", "unread")

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    try:
        master.blpop(["never-filled"], timeout=1)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGALRM, previous)
    return master.get("reply")


def test_an_interrupted_read_leaves_the_stock_connection_out_of_step_and_ours_not(queue):
    # redis-py 8.1.0: the GET reads the BLPOP's late reply (None), not its own.
    assert interrupted_then_get(SentinelManagedConnection) is None
    assert interrupted_then_get(InterruptSafeSentinelConnection) == b"unread"


@pytest.mark.slow
def test_jobs_flow_again_after_the_master_is_killed(queue):
    worker = subprocess.Popen(
        worker_command(), cwd=ROOT, env=worker_environment(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_finished(queue.enqueue("os.getpid"), 60)
        master_pid = int((ROOT / "var/sentinel/run/master.pid").read_text())
        os.kill(master_pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while True:
            try:
                job = queue.enqueue("os.getpid")
                break
            except Exception:  # no master until Sentinel has promoted the replica
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        wait_finished(job, deadline - time.monotonic())

        assert queue.connection.connection_pool.get_master_address() == ("127.0.0.1", 6381)
    finally:
        worker.terminate()
        # With the stock Sentinel connection an idle worker hangs here for minutes.
        assert worker.wait(timeout=20) is not None
        sentinel_service("stop")
        sentinel_service("start")  # the master on 6380 again, for the next run
