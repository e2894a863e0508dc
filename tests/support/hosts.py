"""Several hosts on this machine for the multi-host test: each host a network
namespace (bin/netns-hosts), the services host the hub. What runs where:

- services: PostgreSQL (a cluster of its own, listening on the services address
  only), Redis (with a password: off loopback Redis refuses clients without one),
  Swift's S3 proxy;
- web: gunicorn with the site, and the reaper;
- w1, w2: one worker each, also in a mount namespace of its own with a private
  tmpfs over DATA_DIR (MEDIA_ROOT, TMPDIR and so the job folders) that also hides
  the sockets of the services' files: all a worker can reach is the network.

Root only; a machine that cannot make namespaces fails the test loudly.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REDIS_PASSWORD = "hosts-test"
PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1] if Path("/usr/lib/postgresql").exists() else None


class Hosts:
    def __init__(self, base):
        self.base = base  # readable by the postgres user
        self.data = base / "data"  # covered by each host's own tmpfs
        self.logs = base / "logs"
        self.prefix = f"sst{os.getpid() % 100000}"
        self.env = {**os.environ, "NETNS_PREFIX": self.prefix}
        self.services_address = None
        self.processes = {}

    def script(self, *args, check=True, timeout=120, env=None):
        finished = subprocess.run(
            [ROOT / "bin" / "netns-hosts", *args], env=env or self.env, capture_output=True, text=True, timeout=timeout
        )
        if check and finished.returncode != 0:
            pytest.fail(f"bin/netns-hosts {args[0]} failed ({finished.returncode}):\n{finished.stdout}{finished.stderr}")
        return finished

    def up(self, *names):
        self.script("up", *names)
        self.services_address = self.script("env").stdout.strip().split("=", 1)[1]

    def down(self):
        self.script("down", check=False)

    def run(self, host, *command, timeout=120, env=None, check=True):
        finished = self.script("exec", host, *map(str, command), timeout=timeout, env=env, check=False)
        if check and finished.returncode != 0:
            pytest.fail(f"{host}: {' '.join(map(str, command))} failed:\n{finished.stdout}{finished.stderr}")
        return finished

    def start(self, name, host, *command, env, private_data=False):
        """A long-running process on a host, its output in logs/NAME.log."""
        if private_data:
            command = (
                "unshare", "--mount", "--uts", "--propagation", "private", "bash", "-c",
                'set -e; hostname "$0"; mount -t tmpfs -o size=256m "$0-data" "$DATA_DIR"; '
                'mkdir -p "$TMPDIR"; mount -t tmpfs -o size=1m "$0-pg" /var/run/postgresql; exec "$@"',
                host, *command,
            )
        log = open(self.logs / f"{name}.log", "w")
        self.processes[name] = subprocess.Popen(
            [ROOT / "bin" / "netns-hosts", "exec", host, *map(str, command)],
            cwd=ROOT, env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT,
        )
        return self.processes[name]

    def log(self, name):
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def kill_host(self, host):
        self.script("kill", host)

    # The services --------------------------------------------------------

    def start_postgres(self):
        """A cluster of its own on the services host: the machine's listens on
        127.0.0.1 only, which no other host reaches."""
        if PG_BIN is None:
            pytest.fail("PostgreSQL's server programs are missing (/usr/lib/postgresql/*/bin)")
        cluster, self.pg_socket_dir = self.base / "pg", self.data / "pg-socket"
        for folder in (cluster, self.pg_socket_dir):
            folder.mkdir()
            shutil.chown(folder, "postgres", "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
        subprocess.run([*as_postgres, PG_BIN / "initdb", "-D", cluster, "-A", "trust", "-U", "postgres"],
                       check=True, capture_output=True)
        with open(cluster / "pg_hba.conf", "a") as hba:
            hba.write(f"host all all {self.services_address.rsplit('.', 1)[0]}.0/24 trust\n")
        options = (f"-c listen_addresses={self.services_address} -c unix_socket_directories={self.pg_socket_dir} "
                   "-c fsync=off -c synchronous_commit=off")
        self.run("services", *as_postgres, PG_BIN / "pg_ctl", "-D", cluster, "-l", cluster / "postgres.log",
                 "-o", options, "-w", "start")
        subprocess.run([*as_postgres, PG_BIN / "createdb", "-h", self.pg_socket_dir, "speechsite"], check=True)

    def start_redis(self):
        self.run("services", "redis-server", "--daemonize", "yes", "--bind", self.services_address,
                 "--port", "6379", "--requirepass", REDIS_PASSWORD, "--save", "", "--appendonly", "no",
                 "--dir", self.base, "--pidfile", self.base / "redis.pid", "--logfile", self.logs / "redis.log")

    def restart_redis_empty(self):
        self.run("services", "redis-cli", "-h", self.services_address, "-a", REDIS_PASSWORD, "--no-auth-warning",
                 "shutdown", "nosave", check=False)
        deadline = time.monotonic() + 10
        while (self.base / "redis.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.start_redis()

    def start_swift(self):
        # Its own SWIFT_HOME (configs for the services address), Swift's venv shared.
        env = {**self.env, "SWIFT_HOME": str(ROOT / "var" / "hosts-swift"), "SWIFT_VENV": str(ROOT / "var/swift/venv"),
               "SWIFT_BIND": self.services_address}
        env.pop("DATA_DIR", None)
        self.run("services", ROOT / "bin" / "swift-service", "start", env=env, timeout=300)

    def query(self, sql, *params):
        import psycopg

        with psycopg.connect(host=str(self.pg_socket_dir), user="postgres", dbname="speechsite") as connection:
            return connection.execute(sql, params).fetchall()

    def site_environment(self, model_dir):
        """What every host of the site is told: a worker host needs no more."""
        address = self.services_address
        return {
            "DJANGO_SETTINGS_MODULE": "speechsite.settings",
            "DEBUG": "true",
            "DATA_DIR": str(self.data),
            "TMPDIR": str(self.data / "tmp"),
            "DATABASE_URL": f"postgres://postgres@{address}:5432/speechsite",
            "REDIS_URL": f"redis://:{REDIS_PASSWORD}@{address}:6379/0",
            "S3_BUCKET": "speechsite",
            "S3_ENDPOINT_URL": f"http://{address}:8080",
            "S3_ACCESS_KEY": "test:tester",
            "S3_SECRET_KEY": "testing",
            "STT_MODEL": str(model_dir),
            "STT_PRECISION": "fp32",
            "STT_CPU_BATCH_MB": "0.001",  # one chunk a batch
            "SPLIT_MIN_SPACE_S": "3",
            "SPLIT_MAX_SPACE_S": "6",
            "PYTHONPATH": str(ROOT),
        }


def make_hosts():
    base = Path(tempfile.mkdtemp(prefix="speechsite-hosts-"))
    base.chmod(0o755)  # the postgres user reaches its cluster below it
    for folder in ("data", "logs"):
        (base / folder).mkdir()
    return Hosts(base)


def python():
    return Path(sys.executable)
