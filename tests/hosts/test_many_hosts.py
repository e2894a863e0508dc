"""The site across hosts that share nothing but a network (network namespaces on
this machine, see tests/support/hosts.py): a web host, two worker hosts without
a shared disk, and a services host with PostgreSQL, Redis and an S3 store.

One scenario, in order: jobs spread over both workers, each reading what was
uploaded (sha256); a worker host dies (SIGKILL of everything on it) mid-job and
the other one finishes the job from the chunks the dead one saved; Redis
restarts empty while jobs wait, and nothing is lost."""

import hashlib
import re
import shutil
import time

import pytest

from testkit.speech import SENTENCES, make_speech
from tests.conftest import require_tools
from tests.support.hosts import REDIS_PASSWORD, ROOT, make_hosts, python

pytestmark = [pytest.mark.slow, pytest.mark.once]

STALE_AFTER_S = 6
REAPER_INTERVAL_S = 2


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    require_tools()
    folder = tmp_path_factory.mktemp("hosts-speech")
    short, _, _ = make_speech(folder / "short", SENTENCES[:2], pause_s=1.0)
    long, _, _ = make_speech(folder / "long", SENTENCES[:8] * 2, pause_s=1.2)
    return short, long


@pytest.fixture(scope="module")
def site(tiny_model_dir):
    hosts = make_hosts()
    try:
        hosts.up("web", "w1", "w2")
        hosts.start_postgres()
        hosts.start_redis()
        hosts.start_swift()
        env = {**hosts.site_environment(tiny_model_dir), "JOB_HEARTBEAT_S": "1",
               "JOB_STALE_AFTER_S": str(STALE_AFTER_S), "STALL_AFTER_BATCH_S": "1"}
        hosts.env = {name: value for name, value in hosts.env.items()
                     if not name.startswith(("TEST_", "PYTEST")) and name not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
        hosts.run("web", "unshare", "--mount", "bash", "-c",
                  'mount -t tmpfs web-data "$DATA_DIR" && mkdir -p "$TMPDIR" && exec "$@"', "migrate",
                  python(), "manage.py", "migrate", "--noinput", env={**hosts.env, **env}, timeout=300)
        hosts.start("web", "web", python(), "-m", "gunicorn", "speechsite.wsgi", "--bind", "127.0.0.1:8000",
                    "--workers", "1", "--threads", "4", env=env, private_data=True)
        hosts.start("reaper", "web", python(), "manage.py", "reap_jobs", "--loop", "--interval", REAPER_INTERVAL_S,
                    env=env, private_data=True)
        for name in ("w1", "w2"):
            hosts.start(name, name, python(), "-m", "tests.support.stalling_rqworker", f"{name}-worker",
                        env=env, private_data=True)
        hosts.site_env = env
        yield hosts
    finally:
        hosts.down()  # every process on every host, also when a step failed
        for pid_file in (ROOT / "var" / "hosts-swift" / "run").glob("*.pid"):
            pid_file.unlink()  # those servers died with their namespace
        shutil.rmtree(ROOT / "var" / "hosts-swift" / "srv", ignore_errors=True)  # the objects; the next start makes the bucket
        shutil.rmtree(hosts.base, ignore_errors=True)


def client(site, *args):
    finished = site.run("web", python(), "-m", "tests.support.site_client", *args,
                        env={**site.env, **site.site_env}, timeout=180)
    return finished.stdout.split()


def upload(site, token, *paths):
    deadline = time.monotonic() + 120
    while True:  # gunicorn may still be starting
        finished = site.run("web", python(), "-m", "tests.support.site_client", "upload", "http://127.0.0.1:8000",
                            token, *paths, env={**site.env, **site.site_env}, timeout=180, check=False)
        if finished.returncode == 0:
            return [int(job_id) for job_id in finished.stdout.split()]
        assert time.monotonic() < deadline, finished.stdout + finished.stderr + site.log("web")
        time.sleep(1)


def jobs(site, ids):
    rows = site.query(
        "SELECT id, status, worker, attempt, chunks_done, chunk_plan, queued_at, error_detail "
        "FROM transcripts_transcription WHERE id = ANY(%s) ORDER BY id", list(ids))
    keys = ("id", "status", "worker", "attempt", "chunks_done", "chunk_plan", "queued_at", "error_detail")
    return [dict(zip(keys, row)) for row in rows]


def wait_for(what, predicate, timeout_s, site):
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {name}\n{site.log(name)[-3000:]}" for name in site.processes)
            pytest.fail(f"timed out after {timeout_s} s waiting for {what}\n{logs}")
        time.sleep(0.2)


def all_done(site, ids):
    rows = jobs(site, ids)
    failed = [row for row in rows if row["status"] == "failed"]
    assert not failed, failed
    return rows if all(row["status"] == "done" for row in rows) else None


def assert_one_clean_segment_set(site, row):
    segments = site.query("SELECT index, start_s, end_s FROM transcripts_segment WHERE transcription_id = %s "
                          "ORDER BY index", row["id"])
    assert [index for index, _, _ in segments] == list(range(len(row["chunk_plan"])))
    assert [[start, end] for _, start, end in segments] == row["chunk_plan"]


def mount_type(pid, path):
    """The file system a process sees at `path` (the last mount there wins)."""
    found = None
    for line in open(f"/proc/{pid}/mountinfo"):
        fields = line.split()
        if fields[4] == str(path):
            found = fields[fields.index("-") + 1]
    return found


def host_of(row):
    return row["worker"].split(":")[0]


def test_the_site_across_hosts_that_share_only_a_network(site, speech):
    short, long = speech
    token = client(site, "token")[0]

    # Jobs spread over both workers, each reading what was uploaded.
    ids = upload(site, token, *[short] * 4)
    rows = wait_for("the first jobs to finish", lambda: all_done(site, ids), 240, site)
    assert {host_of(row) for row in rows} == {"w1", "w2"}
    expected = hashlib.sha256(short.read_bytes()).hexdigest()
    assert {sha for (sha,) in site.query("SELECT sha256 FROM transcripts_media")} == {expected}
    for name in ("w1", "w2"):
        assert f"sha256 {expected}" in site.log(name)
        assert mount_type(site.processes[name].pid, site.data) == "tmpfs"  # its own, empty at start
    for row in rows:
        assert_one_clean_segment_set(site, row)

    # A worker host dies mid-job; the other one finishes it from the saved chunks.
    [long_id] = upload(site, token, long)
    running = wait_for("the long job to save three chunks",
                       lambda: next((r for r in jobs(site, [long_id]) if r["chunks_done"] >= 3), None), 240, site)
    victim = host_of(running)
    survivor = {"w1": "w2", "w2": "w1"}[victim]
    killed_at = time.time()
    site.kill_host(victim)
    saved_at_kill = running["chunks_done"]

    requeued = wait_for("the job's new attempt", lambda: next(
        (r for r in jobs(site, [long_id]) if r["attempt"] == 2), None), STALE_AFTER_S + REAPER_INTERVAL_S + 30, site)
    requeue_s = requeued["queued_at"].timestamp() - killed_at
    # Stale STALE_AFTER_S after the last heartbeat (before the kill), found by the
    # next round: the allowance is for the round's own work on a busy machine.
    assert requeue_s <= STALE_AFTER_S + REAPER_INTERVAL_S + 3, f"requeued {requeue_s:.1f} s after the kill"
    [done] = wait_for("the long job to finish", lambda: all_done(site, [long_id]), 240, site)
    assert host_of(done) == survivor and done["attempt"] == 2
    resumed = re.findall(rf"transcription {long_id}: resuming with (\d+) of (\d+) chunks done", site.log(survivor))
    assert resumed and int(resumed[0][0]) >= saved_at_kill and int(resumed[0][1]) == len(done["chunk_plan"])
    assert_one_clean_segment_set(site, done)

    # Redis restarts empty while jobs wait: nothing is lost.
    ids = upload(site, token, short, short, short)
    site.restart_redis_empty()
    waiting = [row["id"] for row in jobs(site, ids) if row["status"] == "queued"]
    queue_length = site.run("services", "redis-cli", "-h", site.services_address, "-a", REDIS_PASSWORD,
                            "--no-auth-warning", "llen", "rq:queue:transcribe").stdout.strip()
    assert waiting and queue_length == "0"  # queued in the database, gone from Redis
    rows = wait_for("the jobs queued before the Redis restart", lambda: all_done(site, ids), 240, site)
    for row in rows:
        assert host_of(row) == survivor
        assert_one_clean_segment_set(site, row)
