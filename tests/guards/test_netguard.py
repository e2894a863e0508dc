"""SSRF protection: URLs and connections to private and local addresses are
refused, and no request reaches the target.

Every attack on a local server is first shown to work without the guard (a
plain yt-dlp run, or the target in the allow-list): the server records the
request. Then the same URL through the guarded download is refused and the
server records nothing."""

import socket
import subprocess
import sys
import threading

import pytest
import yt_dlp

from guards import netguard
from testkit.speech import run
from workers import fetch
from workers.fetch import BlockedAddressError

LIMITS = fetch.Limits(max_bytes=50 * 1024**2, max_duration_s=3600, socket_timeout_s=3)


@pytest.fixture(scope="module")
def tone_mp3(tmp_path_factory):
    path = tmp_path_factory.mktemp("tone") / "tone.mp3"
    run("ffmpeg", "-nostdin", "-y", "-v", "error", "-f", "lavfi", "-i", "sine=f=440:d=1", "-ac", "1", str(path))
    return path


@pytest.fixture
def media_server(start_server, tone_mp3):  # noqa: F811
    """A server on 127.0.0.1 with an mp3: the private target of the attacks."""
    server = start_server("127.0.0.1")
    server.serve_file("/tone.mp3", tone_mp3, "audio/mpeg")
    return server


def plain_ytdlp_download(url, folder):
    """yt-dlp as it comes, no guard: what an unprotected site would do."""
    options = {"quiet": True, "noprogress": True, "outtmpl": str(folder / "%(id)s.%(ext)s"), "logger": Silent()}
    with yt_dlp.YoutubeDL(options) as ydl:
        return ydl.extract_info(url, download=True)


class Silent:
    def debug(self, message):
        pass

    info = warning = error = debug


def guarded_download(url, folder, allowed_hosts=()):
    limits = fetch.Limits(**{**LIMITS.__dict__, "allowed_hosts": tuple(allowed_hosts)})
    folder.mkdir(exist_ok=True)
    return fetch.fetch(url, folder, limits)


def assert_refused_without_request(url, server, folder):
    with pytest.raises(BlockedAddressError, match="private or local network address"):
        guarded_download(url, folder)
    assert server.requests == []
    assert list(folder.iterdir()) == []


# The attack works without the guard, and is refused with it ----------------


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "LOCALHOST", "localhost.", "0x7f.1", "2130706433"])
def test_loopback_url_reaches_server_without_guard_and_is_refused_with_it(media_server, tmp_path, host):
    url = f"http://{host}:{media_server.port}/tone.mp3"
    if host != "localhost.":  # this resolver knows no trailing-dot localhost; the guard refuses it by name
        plain_ytdlp_download(url, tmp_path / "unguarded")
        assert "/tone.mp3" in media_server.paths_requested()
        media_server.requests.clear()

    assert_refused_without_request(url, media_server, tmp_path / "guarded")


def test_ipv6_loopback_url_is_refused(start_server, tone_mp3, tmp_path):  # noqa: F811
    server = start_server("::1")
    server.serve_file("/tone.mp3", tone_mp3, "audio/mpeg")
    plain_ytdlp_download(server.url("/tone.mp3"), tmp_path / "unguarded")
    assert server.paths_requested() == ["/tone.mp3", "/tone.mp3"]
    server.requests.clear()

    assert_refused_without_request(server.url("/tone.mp3"), server, tmp_path / "guarded")


def test_redirect_from_allowed_server_to_loopback_is_refused(start_server, media_server, tmp_path):  # noqa: F811
    redirector = start_server("127.0.0.2")
    redirector.serve_redirect("/go", media_server.url("/tone.mp3"))

    # With the target allowed too, the redirect is followed to the target.
    downloaded = guarded_download(redirector.url("/go"), tmp_path / "both-allowed", ["127.0.0.2", "127.0.0.1"])
    assert downloaded.path.read_bytes() == media_server.routes["/tone.mp3"].body
    assert "/tone.mp3" in media_server.paths_requested()
    media_server.requests.clear()

    with pytest.raises(BlockedAddressError, match=r"127\.0\.0\.1: it is a private or local network address"):
        guarded_download(redirector.url("/go"), tmp_path / "only-redirector", ["127.0.0.2"])
    assert set(redirector.paths_requested()) == {"/go"}
    assert media_server.requests == []
    assert list((tmp_path / "only-redirector").iterdir()) == []


def test_connect_time_guard_refuses_without_the_url_check(media_server, tmp_path):
    """The early URL check is skipped: the guard on the connection alone refuses."""
    with pytest.raises(BlockedAddressError):
        fetch.run_ytdlp(media_server.url("/tone.mp3"), tmp_path, LIMITS, on_progress=lambda percent: None)
    assert media_server.requests == []


def test_dns_rebinding_is_refused_at_connect_time(media_server, tmp_path, monkeypatch):
    """A name that answers a public address to the check, then 127.0.0.1 to the connection."""
    real_getaddrinfo = socket.getaddrinfo
    answers = iter([])

    def rebinding_getaddrinfo(host, port, *args, **kwargs):
        if host == "rebind.example":
            host = next(answers, "127.0.0.1")
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_getaddrinfo)
    url = f"http://rebind.example:{media_server.port}/tone.mp3"
    plain_ytdlp_download(url, tmp_path / "unguarded")
    assert "/tone.mp3" in media_server.paths_requested()
    media_server.requests.clear()

    answers = iter(["93.184.215.14"])  # what the early check will see
    with pytest.raises(BlockedAddressError, match=r"127\.0\.0\.1"):
        guarded_download(url, tmp_path / "guarded")
    assert next(answers, "used up") == "used up"  # the early check did pass on the public answer
    assert media_server.requests == []


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://[fd00::1]/"])
def test_unreachable_private_addresses_are_refused_before_any_connection(url, tmp_path):
    # No server can listen there in a test; a connection attempt would end in a
    # timeout or a network error, not in this refusal.
    with pytest.raises(BlockedAddressError, match="private or local network address"):
        guarded_download(url, tmp_path)
    with pytest.raises(BlockedAddressError, match="private or local network address"):
        fetch.run_ytdlp(url, tmp_path, LIMITS, on_progress=lambda percent: None)


# The guard's scope -------------------------------------------------------------


def test_guard_is_per_thread(media_server):
    """The worker's other threads keep reaching Redis and the database on private addresses."""
    results = {}

    def connect_from_other_thread():
        with socket.create_connection(("127.0.0.1", media_server.port), timeout=3):
            results["other thread"] = "connected"

    with netguard.guard_connections() as guard:
        thread = threading.Thread(target=connect_from_other_thread)
        thread.start()
        thread.join()
        with pytest.raises(netguard.BlockedConnection):
            socket.create_connection(("127.0.0.1", media_server.port), timeout=3)
    assert results == {"other thread": "connected"}
    assert guard.refused == ["Refused to connect to 127.0.0.1: it is a private or local network address."]
    with socket.create_connection(("127.0.0.1", media_server.port), timeout=3):
        pass  # and after the block, this thread too


def test_guard_refuses_a_host_name_passed_to_connect(media_server):
    with netguard.guard_connections():
        sock = socket.socket()
        with pytest.raises(netguard.BlockedConnection, match="localhost"):
            sock.connect(("localhost", media_server.port))
        sock.close()
    assert media_server.requests == []


# Webhooks: guarded_post ------------------------------------------------------


def test_guarded_post_delivers_to_allowed_host_and_refuses_private_one(start_server):  # noqa: F811
    server = start_server("127.0.0.1")
    server.serve_bytes("/hook", b"ok", "text/plain")
    assert netguard.guarded_post(server.url("/hook"), b"{}", {"Content-Type": "application/json"}, ["127.0.0.1"]) == 200
    assert [(r.method, r.path) for r in server.requests] == [("POST", "/hook")]
    server.requests.clear()

    with pytest.raises(netguard.BlockedURL, match="private or local network address"):
        netguard.guarded_post(server.url("/hook"), b"{}", {}, allowed_hosts=())
    assert server.requests == []


def test_guarded_post_does_not_follow_redirects(start_server):  # noqa: F811
    target = start_server("127.0.0.1")
    target.serve_bytes("/hook", b"ok", "text/plain")
    redirector = start_server("127.0.0.2")
    redirector.serve_redirect("/hook", target.url("/hook"), status=307)

    status = netguard.guarded_post(redirector.url("/hook"), b"{}", {}, ["127.0.0.2", "127.0.0.1"])
    assert status == 307
    assert redirector.paths_requested() == ["/hook"]
    assert target.requests == []


# The address check on tricky forms ---------------------------------------------

REFUSED_URLS = [
    "http://127.0.0.1/",
    "http://127.0.0.1:8000/",
    "http://localhost/",
    "http://LOCALHOST/",
    "http://localhost./",
    "http://127.0.0.1./",
    "http://[::1]/",
    "http://[::1]:8000/",
    "http://[0:0:0:0:0:0:0:1]/",
    "http://0.0.0.0/",
    "http://[::]/",
    "http://2130706433/",  # decimal 127.0.0.1
    "http://0x7f.1/",  # hex and short form
    "http://0x7f000001/",
    "http://017700000001/",  # octal
    "http://0177.0.0.1/",
    "http://127.1/",
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped
    "http://[::ffff:7f00:1]/",
    "http://[::ffff:a9fe:a9fe]/",  # mapped 169.254.169.254
    "http://[::127.0.0.1]/",  # IPv4-compatible
    "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    "http://[2002:a00:1::]/",  # 6to4 of 10.0.0.1
    "http://[2002:c0a8:101::1]/",  # 6to4 of 192.168.1.1
    "http://[64:ff9b::a00:1]/",  # NAT64 of 10.0.0.1
    "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",  # Teredo
    "http://169.254.169.254/",  # cloud metadata
    "http://[fe80::1]/",
    "http://[fe80::1%25eth0]/",
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",  # shared address space (carrier-grade NAT)
    "http://224.0.0.1/",  # multicast
    "http://[ff02::1]/",
    "http://240.0.0.1/",  # reserved
    "http://255.255.255.255/",
    "http://[fc00::1]/",  # unique local
    "http://[fec0::1]/",  # site-local
    "http://example.com@127.0.0.1/",  # userinfo: the host is 127.0.0.1
    "http://user:pass@127.0.0.1:80/",
    "http://１２７.０.０.１/",  # fullwidth digits, IDNA-mapped to 127.0.0.1
    "HTTP://127.0.0.1/",
]


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_private_and_local_forms_are_refused(url):
    with pytest.raises(netguard.BlockedURL, match="private or local network address"):
        netguard.check_url(url)


@pytest.mark.parametrize("url", ["ftp://example.com/file.mp3", "file:///etc/passwd", "gopher://127.0.0.1/", "data:,x"])
def test_only_http_and_https_are_allowed(url):
    with pytest.raises(netguard.BlockedURL, match="Only http:// and https://"):
        netguard.check_url(url)


@pytest.mark.parametrize("url", ["http:///path", "http://[::1/", "http://host:99999/", "http://"])
def test_malformed_urls_are_refused(url):
    with pytest.raises(netguard.BlockedURL):
        netguard.check_url(url)


def test_unknown_host_is_reported_as_not_found():
    with pytest.raises(netguard.HostNotFound, match="could not be found"):
        netguard.check_url("http://no-such-host.invalid/")


@pytest.mark.parametrize(
    "url", ["http://8.8.8.8/", "https://[2606:4700:4700::1111]/", "http://93.184.215.14./"]
)
def test_public_addresses_pass(url):
    addresses = netguard.check_url(url)
    assert all(netguard.is_public_address(address) for address in addresses)


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://127.0.0.2:8000/", ["127.0.0.2"]),
        ("http://0x7f.0.0.2/", ["127.0.0.2"]),  # allowed by address, whatever the spelling
        ("http://LocalHost./", ["localhost"]),
        ("http://localhost/", ["127.0.0.0/8"]),
        ("http://[::1]/", ["::1"]),
        ("http://[::1]/", ["[::1]"]),
    ],
)
def test_allow_list_exempts_listed_hosts(url, allowed):
    assert netguard.check_url(url, allowed)


@pytest.mark.parametrize(
    ("url", "allowed"), [("http://127.0.0.1/", ["127.0.0.2"]), ("http://10.0.0.1/", ["localhost"])]
)
def test_allow_list_exempts_only_listed_hosts(url, allowed):
    with pytest.raises(netguard.BlockedURL):
        netguard.check_url(url, allowed)


def test_webhook_check_uses_the_same_rules():
    with pytest.raises(netguard.BlockedURL):
        netguard.check_webhook_url("http://169.254.169.254/", [])
    assert netguard.check_webhook_url("http://8.8.8.8/hook", [])


def test_netguard_imports_neither_django_nor_torch():
    code = (
        "import sys, guards.netguard;"
        "print(sorted(m for m in ('django', 'torch', 'workers.pipeline') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_progress_callback_runs_outside_the_guard(start_server, tone_mp3, tmp_path):  # noqa: F811
    """The job's progress callback may talk to a database or Redis on a private address."""
    internal = start_server("127.0.0.1")  # stands for the database
    internal.serve_bytes("/progress", b"ok", "text/plain")
    site = start_server("127.0.0.2")
    site.serve_file("/tone.mp3", tone_mp3, "audio/mpeg")
    limits = fetch.Limits(**{**LIMITS.__dict__, "allowed_hosts": ("127.0.0.2",)})
    answers = []

    def on_progress(percent):
        with socket.create_connection(("127.0.0.1", internal.port), timeout=3) as connection:
            connection.sendall(b"GET /progress HTTP/1.0\r\n\r\n")
            answers.append(connection.recv(12))

    fetch.fetch(site.url("/tone.mp3"), tmp_path, limits, on_progress)
    assert answers and set(answers) == {b"HTTP/1.0 200"}


def test_ytdlp_uses_only_request_handlers_the_guard_can_see():
    from yt_dlp.networking._urllib import UrllibRH

    class CurlCFFIRH(UrllibRH):
        """Stands for curl_cffi's handler (not installed here), which connects from C."""

    with fetch.SocketHandlersYoutubeDL({"quiet": True}) as ydl:
        assert set(ydl._request_director.handlers) == {"Urllib", "Requests"}
        director = ydl.build_request_director([CurlCFFIRH, UrllibRH])
        assert set(director.handlers) == {"Urllib"}
        director.close()


# One internal service allowed by its port -------------------------------------


def test_a_port_in_the_allow_list_opens_that_service_only(start_server, media_server, tone_mp3, tmp_path):  # noqa: F811
    other_service = start_server("127.0.0.1")  # another service on the same host
    other_service.serve_file("/tone.mp3", tone_mp3, "audio/mpeg")
    media_server.serve_redirect("/go", other_service.url("/tone.mp3"))

    # Allowing the whole host, the only way before ports: the allowed service's
    # redirect reaches the other service.
    guarded_download(media_server.url("/go"), tmp_path / "host-allowed", ["127.0.0.1"])
    assert "/tone.mp3" in other_service.paths_requested()
    other_service.requests.clear()

    allowed = [f"127.0.0.1:{media_server.port}"]
    downloaded = guarded_download(media_server.url("/tone.mp3"), tmp_path / "port-allowed", allowed)
    assert downloaded.path.read_bytes() == tone_mp3.read_bytes()
    with pytest.raises(BlockedAddressError, match="private or local network address"):
        guarded_download(media_server.url("/go"), tmp_path / "redirected", allowed)
    with pytest.raises(BlockedAddressError, match="private or local network address"):
        guarded_download(other_service.url("/tone.mp3"), tmp_path / "direct", allowed)
    assert other_service.requests == []


@pytest.mark.parametrize(
    ("url", "allowed", "passes"),
    [
        ("http://localhost:8080/a.mp3", ["localhost:8080"], True),
        ("http://localhost:8081/a.mp3", ["localhost:8080"], False),
        ("http://localhost/a.mp3", ["localhost:80"], True),  # the scheme's port
        ("https://localhost/a.mp3", ["localhost:80"], False),
        ("http://127.0.0.1:8080/", ["127.0.0.1:8080"], True),
        ("http://[::1]:8080/", ["[::1]:8080"], True),
        ("http://[::1]:8081/", ["[::1]:8080"], False),
        ("http://[::1]:8081/", ["::1"], True),  # a bare IPv6 address: every port
        ("http://10.1.2.3:9000/", ["10.0.0.0/8"], True),
    ],
)
def test_allow_list_entries_with_ports(url, allowed, passes):
    if passes:
        assert netguard.check_url(url, allowed)
    else:
        with pytest.raises(netguard.BlockedURL):
            netguard.check_url(url, allowed)


@pytest.mark.parametrize("entry", ["media.internal:http", "media.internal:0", "media.internal:70000", "[::1]8080"])
def test_allow_list_entries_with_a_bad_port_are_refused(entry):
    with pytest.raises(ValueError, match="URL_ALLOWED_HOSTS"):
        netguard.AllowList([entry])
