"""Load benchmark of the pages that grow with a user's data, against gunicorn.

    .venv/bin/python -m bench.load [--db sqlite|postgres|both] [--seconds 20] [--users 50] [--think 1]
                                   [--saturate-users 8] [--pages history,search,...]

Builds a fresh database with a user who has 10,000 transcripts: one with 2,000
segments, and 1,000 of them with 100 segments each (100,000 segments, about
1,000 hours at 36 s a segment) of generated text whose words follow Zipf's law
over a 20,000-word vocabulary, as words in speech do. Starts gunicorn with 2
workers in production mode (DEBUG off) and measures, for each page, in one run:

- saturated: --saturate-users clients that never pause, requests/s is what the
  server manages (clients, server and database share the machine's cores);
- with users: --users simulated people (each requests, reads for --think
  seconds, and again, like locust's users), p50 and p99 latency.

Pages: the history page (first page of 10,000 rows), the transcript page with
2,000 segments and its SRT download, search (queries cycled: a rare word, a
word with about 1,000 hits, two words, a phrase, a prefix), and search for a
word in a quarter of all segments (the worst case: every hit is ranked).
Prints a table, then as its last line one JSON object:
{"db:scenario": {"saturated_rps", "rps", "p50_ms", "p99_ms", "errors", "requests"}}.
"""

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ("history", "transcript", "srt", "search", "search-common")
POSTGRES_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
BENCH_PG_DB = "speechsite_bench"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(kind, folder):
    if kind == "sqlite":
        return f"sqlite:///{folder / 'bench.sqlite3'}"
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {BENCH_PG_DB}")
        connection.execute(f"CREATE DATABASE {BENCH_PG_DB}")
    return f"postgres://postgres@127.0.0.1:5432/{BENCH_PG_DB}"


def server_environment(url, folder):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "speechsite.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": url,
        "DATA_DIR": str(folder),
        "LOG_LEVEL": "WARNING",
    }


SEED = """
import django, itertools, json, random
from urllib.parse import urlencode
django.setup()
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.urls import reverse
from transcripts.models import Media, Segment, Transcription

TRANSCRIPTS, SEARCHABLE, SEGMENTS_EACH, WORDS = 10_000, 1_000, 100, 20_000
rng = random.Random(15)
syllables = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
vocabulary = {}
while len(vocabulary) < WORDS:
    vocabulary["".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))] = None
vocabulary = list(vocabulary)
cumulative = list(itertools.accumulate(1 / rank for rank in range(1, WORDS + 1)))

def sentence():
    return " ".join(rng.choices(vocabulary, cum_weights=cumulative, k=rng.randint(10, 20))).capitalize() + "."

user = get_user_model().objects.create_user("bench", "bench@example.com", "bench-password-123")
media = Media.objects.bulk_create(
    Media(owner=user, source="upload", original_name=f"talk-{i}.mp3", size_bytes=1_000_000, duration_s=600.0)
    for i in range(TRANSCRIPTS)
)
transcriptions = Transcription.objects.bulk_create(
    Transcription(owner=user, media=m, title=f"Talk number {i}", model_name="bench", status="done",
                  duration_s=600.0, attempt=1)
    for i, m in enumerate(media)
)
big = transcriptions[-1]
Segment.objects.bulk_create(
    Segment(transcription=big, index=i, start_s=i * 3.0, end_s=i * 3.0 + 3.0,
            text=f"segment {i} says a few words about the topic", original_text="")
    for i in range(2000)
)
for transcription in transcriptions[:SEARCHABLE]:
    texts = [sentence() for _ in range(SEGMENTS_EACH)]
    Segment.objects.bulk_create(
        Segment(transcription=transcription, index=i, start_s=i * 36.0, end_s=i * 36.0 + 35.0, text=text,
                original_text=text)
        for i, text in enumerate(texts)
    )
with connection.cursor() as cursor:
    # What autovacuum does on PostgreSQL within a minute of such a load.
    cursor.execute("ANALYZE")

def search(*queries):
    return [reverse("transcripts:history") + "?" + urlencode({"q": q}) for q in queries]
session = SessionStore()
session["_auth_user_id"] = str(user.pk)
session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
session["_auth_user_hash"] = user.get_session_auth_hash()
session.create()
print(json.dumps({
    "cookie": session.session_key,
    "history": reverse("transcripts:history"),
    "transcript": reverse("transcripts:detail", args=[big.pk]),
    "srt": reverse("transcripts:download", args=[big.pk, "srt"]),
    "search": search(vocabulary[1500], vocabulary[100], f"{vocabulary[40]} {vocabulary[150]}",
                     f'"{vocabulary[10]} {vocabulary[11]}"', vocabulary[300][:5] + "*"),
    "search-common": search(vocabulary[4]),
}))
"""


def prepare(environment):
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=environment, check=True,
                   capture_output=True)
    subprocess.run([python, "manage.py", "collectstatic", "--noinput"], cwd=ROOT, env=environment, check=True,
                   capture_output=True)
    seeded = subprocess.run([python, "-c", SEED], cwd=ROOT, env=environment, capture_output=True, text=True)
    if seeded.returncode:
        raise SystemExit(f"seeding failed:\n{seeded.stderr}")
    return json.loads(seeded.stdout.strip().splitlines()[-1])


def start_gunicorn(environment, port):
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "speechsite.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--no-control-socket", "--log-level", "warning"],
        cwd=ROOT, env=environment, start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def drive(urls, cookie, seconds, users, think_s):
    """`users` simulated people, each requesting a page (the `urls` in turn),
    reading it for `think_s` seconds, and again, as locust's users do; latencies
    of every request made in `seconds`."""
    import http.client
    import threading
    from urllib.parse import urlsplit

    parts = [urlsplit(url) for url in urls]
    latencies_ms, errors = [], []
    deadline = time.monotonic() + seconds

    def user(number):
        connection = http.client.HTTPConnection(parts[0].hostname, parts[0].port, timeout=30)
        while time.monotonic() < deadline:
            part = parts[number % len(parts)]
            number += 1
            started = time.perf_counter()
            try:
                connection.request("GET", f"{part.path}?{part.query}", headers={"Cookie": f"sessionid={cookie}"})
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    errors.append(response.status)
            except (OSError, http.client.HTTPException) as exc:
                errors.append(repr(exc))
                connection.close()
            latencies_ms.append((time.perf_counter() - started) * 1000)
            time.sleep(think_s)

    threads = [threading.Thread(target=user, args=(number,)) for number in range(users)]
    started = time.monotonic()
    for index, thread in enumerate(threads):
        thread.start()
        time.sleep(think_s / users)  # users arrive spread over one think time
    for thread in threads:
        thread.join()
    elapsed_s = time.monotonic() - started
    latencies_ms.sort()

    def percentile(p):
        return latencies_ms[min(len(latencies_ms) - 1, int(p / 100 * len(latencies_ms)))]

    return {
        "rps": round(len(latencies_ms) / elapsed_s, 1),
        "p50_ms": round(percentile(50), 1),
        "p99_ms": round(percentile(99), 1),
        "errors": len(errors),
        "requests": len(latencies_ms),
    }


def check_status(url, cookie):
    import urllib.request

    request = urllib.request.Request(url, headers={"Cookie": f"sessionid={cookie}"})
    with urllib.request.urlopen(request) as response:
        if response.status != 200:
            raise SystemExit(f"{url} answered {response.status}; the benchmark would measure an error page")


def bench_database(kind, seconds, users, think_s, saturate_users, pages=SCENARIOS):
    with tempfile.TemporaryDirectory(prefix="speechsite-load-") as folder:
        folder = Path(folder)
        environment = server_environment(database_url(kind, folder), folder)
        targets = prepare(environment)
        port = free_port()
        server = start_gunicorn(environment, port)
        try:
            results = {}
            for scenario in pages:
                paths = targets[scenario] if isinstance(targets[scenario], list) else [targets[scenario]]
                urls = [f"http://127.0.0.1:{port}{path}" for path in paths]
                for url in urls:
                    check_status(url, targets["cookie"])
                saturated = drive(urls, targets["cookie"], seconds, saturate_users, 0.0)
                results[scenario] = {
                    "saturated_rps": saturated["rps"],
                    **drive(urls, targets["cookie"], seconds, users, think_s),
                }
                results[scenario]["errors"] += saturated["errors"]
            return results
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--think", type=float, default=1.0, help="seconds each user waits between requests")
    parser.add_argument("--saturate-users", type=int, default=8, help="clients that never pause, for requests/s")
    parser.add_argument("--pages", default=",".join(SCENARIOS), help=f"comma-separated, of: {', '.join(SCENARIOS)}")
    options = parser.parse_args()

    kinds = ["sqlite", "postgres"] if options.db == "both" else [options.db]
    summary = {}
    for kind in kinds:
        pages = [page for page in options.pages.split(",") if page]
        if unknown := set(pages) - set(SCENARIOS):
            parser.error(f"unknown pages: {', '.join(sorted(unknown))}")
        results = bench_database(kind, options.seconds, options.users, options.think, options.saturate_users, pages)
        for scenario, figures in results.items():
            summary[f"{kind}:{scenario}"] = figures
            print(f"{kind:9} {scenario:14} saturated {figures['saturated_rps']:7.1f} req/s | "
                  f"{options.users} users {figures['rps']:6.1f} req/s  p50 {figures['p50_ms']:7.1f} ms  "
                  f"p99 {figures['p99_ms']:7.1f} ms  errors {figures['errors']}", flush=True)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
