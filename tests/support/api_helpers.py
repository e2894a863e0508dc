"""Helpers for the API tests: tokens, short speech, a real worker process for
tests that talk to a live server, and a webhook receiver that keeps what it got."""

import http.server
import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

from tests.support.worker_process import start_worker, stop_worker
from transcripts.models import ApiToken

ROOT = Path(__file__).resolve().parents[2]


def issue_token(user, name="tests"):
    return ApiToken.issue(user, name)[1]


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="session")
def short_speech(tmp_path_factory):
    return make_short_speech(tmp_path_factory.mktemp("short-speech"))


@pytest.fixture
def token(owner):
    """An API token of the `owner` fixture."""
    return issue_token(owner)


def make_short_speech(folder):
    """About 5 s of generated speech: two short sentences and a pause."""
    from testkit.speech import SENTENCES, make_speech
    from tests.conftest import require_tools

    require_tools()
    path, _, _ = make_speech(folder, SENTENCES[3:5], pause_s=1.0)
    return path


class QuietRequestHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


class LiveApiServer:
    """The site on a real socket, served from threads of this process.

    pytest-django's live_server cannot be used here: it wraps the site in
    Django's media-file handler, which breaks when MEDIA_URL is None (media is
    only ever served by views that check the owner)."""

    def __init__(self):
        self._server = ThreadedWSGIServer(("127.0.0.1", 0), QuietRequestHandler, allow_reuse_address=False)
        self._server.set_app(WSGIHandler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="live-api", daemon=True)
        self._thread.start()

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


@pytest.fixture
def live_api(transactional_db):
    server = LiveApiServer()
    yield server
    server.stop()


@contextmanager
def worker_process(tiny_model_dir, queues=("transcribe", "summaries"), **environment):
    """A real `manage.py rqworker` process until the block ends: for tests where
    the web side runs in a live server and waits for a job being transcribed."""
    worker = start_worker(tiny_model_dir, queues, **environment)
    try:
        yield worker
    finally:
        worker.send_signal(signal.SIGTERM)  # a warm shutdown: the current job ends first
        output = stop_worker(worker, timeout_s=30)
        if worker.returncode not in (0, -signal.SIGTERM):
            print(output)


@dataclass(frozen=True)
class Delivery:
    path: str
    headers: dict
    body: bytes


class WebhookReceiver:
    """An HTTP server on `host` that records every POST with its raw body and
    answers `status` (or redirects to `redirect_to`)."""

    def __init__(self, host="127.0.0.1", status=204, redirect_to=None):
        self.host = host
        self.status = status
        self.redirect_to = redirect_to
        self.deliveries = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    receiver.deliveries.append(Delivery(self.path, dict(self.headers), body))
                if receiver.redirect_to:
                    self.send_response(307)
                    self.send_header("Location", receiver.redirect_to)
                else:
                    self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format, *args):
                pass

        self._server = http.server.ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path="/hook"):
        return f"http://{self.host}:{self.port}{path}"

    def received(self):
        with self._lock:
            return list(self.deliveries)

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


@pytest.fixture
def receivers():
    """receivers(host=..., status=..., redirect_to=...) -> a running WebhookReceiver, stopped after the test."""
    started = []

    def start(**options):
        receiver = WebhookReceiver(**options)
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.stop()
