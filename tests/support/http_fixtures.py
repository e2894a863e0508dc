"""Local HTTP servers for URL tests: real sockets, served from threads, and a
record of every request each server received (to prove a guarded download
never reached a server)."""

import http.server
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Route:
    status: int = 200
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    # For a body sent in pieces without Content-Length: (piece, count).
    stream: tuple | None = None


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict


class RecordingServer:
    """A threaded HTTP/1.0 server on `host` (an IPv4 or IPv6 address) and a free port."""

    def __init__(self, host="127.0.0.1"):
        self.host = host
        self.routes = {}
        self.requests = []
        self.bytes_sent = {}
        self._lock = threading.Lock()
        server_class = _IPv6Server if ":" in host else _IPv4Server
        self._server = server_class((host, 0), self._handler_class())
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"http-{host}", daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    @property
    def origin(self):
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def url(self, path="/"):
        return self.origin + path

    def paths_requested(self):
        with self._lock:
            return [request.path for request in self.requests]

    # Routes ----------------------------------------------------------------

    def serve_bytes(self, path, body, content_type, status=200):
        self.routes[path] = Route(status, {"Content-Type": content_type, "Content-Length": str(len(body))}, body)

    def serve_file(self, path, file_path, content_type):
        self.serve_bytes(path, Path(file_path).read_bytes(), content_type)

    def serve_redirect(self, path, location, status=302):
        self.routes[path] = Route(status, {"Location": location, "Content-Length": "0"})

    def serve_stream(self, path, piece, count, content_type):
        """`count` copies of `piece`, without Content-Length: the size is known only at the end."""
        self.routes[path] = Route(200, {"Content-Type": content_type}, stream=(piece, count))

    # Serving ---------------------------------------------------------------

    def _record(self, handler):
        with self._lock:
            self.requests.append(RecordedRequest(handler.command, handler.path, dict(handler.headers)))

    def _count(self, path, sent):
        with self._lock:
            self.bytes_sent[path] = self.bytes_sent.get(path, 0) + sent

    def _handler_class(self):
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self._respond(with_body=True)

            def do_HEAD(self):
                self._respond(with_body=False)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                self._respond(with_body=True)

            def _respond(self, with_body):
                server._record(self)
                route = server.routes.get(self.path.split("?", 1)[0])
                if route is None:
                    route = Route(404, {"Content-Type": "text/html", "Content-Length": "22"}, b"<h1>404 Not Found</h1>")
                self.send_response(route.status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if not with_body:
                    return
                try:
                    if route.stream:
                        piece, count = route.stream
                        for _ in range(count):
                            self.wfile.write(piece)
                            server._count(self.path, len(piece))
                    else:
                        self.wfile.write(route.body)
                        server._count(self.path, len(route.body))
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading: what a size limit does

            def log_message(self, format, *args):
                pass  # the record above is the log

        return Handler


class _IPv4Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


class _IPv6Server(_IPv4Server):
    address_family = socket.AF_INET6


@pytest.fixture
def start_server():
    """start_server(host="127.0.0.1") -> a running RecordingServer, stopped after the test."""
    servers = []

    def start(host="127.0.0.1"):
        server = RecordingServer(host).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
