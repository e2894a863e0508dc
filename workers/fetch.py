"""Downloading the media behind a URL with yt-dlp, in the worker: fetching
only (no database, no Django); workers/downloads.py stores what it fetched.

Every connection yt-dlp makes runs inside netguard.guard_connections, which
checks the address actually connected to (redirects, media URLs found inside a
page and DNS rebinding included). The guard sees only connections made from
this thread with Python sockets, so yt-dlp is held to:

- plain http/https formats fetched by its native downloader, in this thread;
  HLS/DASH manifests would go to ffmpeg (its own sockets, unguarded) or to
  fragment threads;
- its urllib and requests handlers, which use Python sockets;
- direct connections: a proxy from the environment would hide the real peer.
"""

import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path

import yt_dlp
from yt_dlp.networking.exceptions import HTTPError, TransportError
from yt_dlp.utils import ExtractorError, UnsupportedError

from guards import netguard

log = logging.getLogger(__name__)

FORMAT = "bestaudio[protocol~='^https?$']/best[protocol~='^https?$']"
# yt-dlp's request handlers that connect through Python sockets (and so through
# the guard). Others (curl_cffi) would connect from C, unseen.
SOCKET_HANDLERS = ("Urllib", "Requests")
PROGRESS_INTERVAL_S = 1.0
RETRIES = 3


class DownloadError(Exception):
    """A URL could not be fetched; the message is for the user."""


class BlockedAddressError(DownloadError):
    """A URL points at an address we refuse to connect to."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_duration_s: float
    socket_timeout_s: float
    allowed_hosts: tuple = ()


@dataclass(frozen=True)
class Downloaded:
    path: Path
    title: str
    duration_s: float | None  # as the site reports it


def fetch(url, folder, limits, on_progress=lambda percent: None):
    """Download the best audio (or the best single file) at `url` into `folder`."""
    check_address(url, limits)
    return run_ytdlp(url, folder, limits, on_progress)


def run_ytdlp(url, folder, limits, on_progress):
    """The guarded yt-dlp run. check_address is only the early, readable answer;
    this refuses by itself whatever address a connection would go to."""
    logger = CapturedLog()
    progress = ProgressHook(on_progress, limits.max_bytes)
    with netguard.guard_connections(limits.allowed_hosts) as guard:
        with SocketHandlersYoutubeDL(ytdlp_options(folder, limits, logger, progress)) as ydl:
            try:
                info = ydl.extract_info(url, download=False)
                check_before_download(info, limits)
                result = ydl.process_ie_result(info, download=True)
            except yt_dlp.utils.DownloadError as exc:
                raise user_error(exc, guard) from exc
            except netguard.BlockedURL as exc:  # raised outside yt-dlp's own error handling
                raise BlockedAddressError(str(exc)) from exc
    path = downloaded_path(result, folder)
    if path is None:
        if logger.mentions("larger than max-filesize"):
            raise DownloadError(too_large_message(limits))
        raise DownloadError(f"The download of {url} produced no file. {logger.last_lines()}".strip())
    return Downloaded(path=path, title=info.get("title") or path.stem, duration_s=info.get("duration"))


def check_address(url, limits):
    try:
        netguard.check_url(url, limits.allowed_hosts)
    except netguard.HostNotFound as exc:
        raise DownloadError(f"{exc} Check the link; if it is right, the site may be down.") from exc
    except netguard.BlockedURL as exc:
        raise BlockedAddressError(str(exc)) from exc


def ytdlp_options(folder, limits, logger, progress):
    return {
        "format": FORMAT,
        "noplaylist": True,
        # A playlist is answered with its list of links, not with every video
        # extracted, and then refused (check_before_download).
        "extract_flat": "in_playlist",
        "max_filesize": limits.max_bytes,
        "socket_timeout": limits.socket_timeout_s,
        "retries": RETRIES,
        "fragment_retries": RETRIES,
        "extractor_retries": RETRIES,
        "concurrent_fragment_downloads": 1,
        "proxy": "",
        "outtmpl": {"default": str(folder / "%(id).80B.%(ext)s")},
        "paths": {"home": str(folder), "temp": str(folder)},
        "restrictfilenames": True,
        "windowsfilenames": True,
        "overwrites": True,
        "noprogress": True,
        "logger": logger,
        "progress_hooks": [progress],
        # ffmpeg never runs on the downloaded file here: the pipeline opens it
        # behind its input guard (protocol and demuxer allow-lists).
        "fixup": "never",
        "postprocessors": [],
        "color": {"stdout": "no_color", "stderr": "no_color"},
    }


class SocketHandlersYoutubeDL(yt_dlp.YoutubeDL):
    """yt-dlp with only the request handlers that connect through Python sockets."""

    def build_request_director(self, handlers, preferences=None):
        handlers = [handler for handler in handlers if handler.RH_KEY in SOCKET_HANDLERS]
        if not handlers:
            raise RuntimeError("yt-dlp has none of its Python-socket request handlers; the connect guard would be blind")
        return super().build_request_director(handlers, preferences)


def check_before_download(info, limits):
    if info.get("_type") in ("playlist", "multi_video"):
        raise DownloadError("This link is a playlist. Paste the link of a single video instead.")
    if info.get("is_live") or info.get("live_status") in ("is_live", "is_upcoming"):
        raise DownloadError("This is a live stream. Only recorded videos can be transcribed.")
    check_duration(info.get("duration"), limits)
    size_bytes = info.get("filesize") or info.get("filesize_approx")
    if size_bytes and size_bytes > limits.max_bytes:
        raise DownloadError(too_large_message(limits, size_bytes))


def check_duration(duration_s, limits):
    if duration_s and duration_s > limits.max_duration_s:
        raise DownloadError(
            f"This video is {format_duration(duration_s)} long; the limit is {format_duration(limits.max_duration_s)}."
        )


def too_large_message(limits, size_bytes=None):
    size = f" ({format_bytes(size_bytes)})" if size_bytes else ""
    return f"This file is too large{size}; the limit is {format_bytes(limits.max_bytes)}."


def downloaded_path(result, folder):
    """The file yt-dlp wrote, or None (over max_filesize it writes none and raises nothing)."""
    for download in result.get("requested_downloads") or []:
        path = download.get("filepath")
        if path and Path(path).is_file():
            return Path(path)
    return None


class ProgressHook:
    """yt-dlp progress hook: percent to `on_progress` about once a second, and a
    hard stop at `max_bytes` for downloads whose size was not announced."""

    def __init__(self, on_progress, max_bytes, interval_s=PROGRESS_INTERVAL_S, clock=time.monotonic):
        self.on_progress = on_progress
        self.max_bytes = max_bytes
        self.interval_s = interval_s
        self.clock = clock
        self.reported_at = None

    def __call__(self, status):
        downloaded_bytes = status.get("downloaded_bytes") or 0
        if downloaded_bytes > self.max_bytes:
            raise DownloadError(f"This file is larger than the limit of {format_bytes(self.max_bytes)}.")
        total_bytes = status.get("total_bytes") or status.get("total_bytes_estimate")
        finished = status.get("status") == "finished"
        now = self.clock()
        if not finished and self.reported_at is not None and now - self.reported_at < self.interval_s:
            return
        percent = 100.0 if finished else min(100.0, 100.0 * downloaded_bytes / total_bytes) if total_bytes else None
        if percent is not None:
            with netguard.unguarded():  # our own database write, not a connection for yt-dlp
                self.on_progress(percent)
        self.reported_at = now


class CapturedLog:
    """yt-dlp's messages, kept for error reports and sent to logging, never to stderr."""

    def __init__(self):
        self.lines = []

    def debug(self, message):
        log.debug("yt-dlp: %s", message)
        self.lines.append(message)

    info = debug

    def warning(self, message):
        log.info("yt-dlp warning: %s", message)
        self.lines.append(message)

    def error(self, message):
        log.info("yt-dlp error: %s", message)
        self.lines.append(message)

    def mentions(self, text):
        return any(text in line for line in self.lines)

    def last_lines(self, count=2):
        return " ".join(clean_message(line) for line in self.lines[-count:])


def user_error(exc, guard):
    """A DownloadError with a message a user can act on, for yt-dlp's DownloadError."""
    if guard.refused:
        return BlockedAddressError(guard.refused[0])
    cause = exc.exc_info[1] if exc.exc_info else None
    detail = clean_message(exc.msg or str(exc))
    if isinstance(cause, UnsupportedError):
        return DownloadError(
            "No video or audio was found at this address (unsupported URL). "
            "Paste the link of a video page or of a media file."
        )
    if isinstance(cause, HTTPError):
        return DownloadError(http_error_message(cause))
    if isinstance(cause, TransportError) or isinstance(cause, TimeoutError):
        return DownloadError(f"Could not reach the site (network failure or timeout): {detail}. You can retry.")
    if isinstance(cause, ExtractorError) and "Requested format is not available" in str(cause):
        # Only plain http(s) formats pass FORMAT; see the module docstring.
        return DownloadError(
            "This video is only offered as a stream in pieces (HLS or DASH), which this site does not download. "
            "Try a direct link to the media file."
        )
    if isinstance(cause, ExtractorError) and cause.expected:
        return DownloadError(f"The site did not give us this video: {detail}. It may be unavailable or private.")
    return DownloadError(f"The download failed: {detail}")


def http_error_message(error):
    answer = f"The server answered {error.status} {error.reason}".rstrip()
    if error.status in (401, 403):
        return f"{answer}: the video may be private or need a login."
    if error.status == 404:
        return f"{answer}: check the link."
    if error.status >= 500:
        return f"{answer}: the site has a problem; you can retry later."
    return f"{answer}."


def clean_message(text):
    """yt-dlp's message without its "ERROR: [extractor] id:" prefix and cause suffix."""
    text = re.sub(r"^ERROR:\s*", "", text.strip())
    text = re.sub(r"^\[[\w:]+\]\s*[^:\s]*:\s*", "", text)
    text = re.sub(r"\s*\(caused by .*\)$", "", text)
    return text.rstrip(".")


def format_bytes(size_bytes):
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size_bytes >= factor:
            return f"{size_bytes / factor:.3g} {unit}"
    return f"{size_bytes} bytes"


def format_duration(seconds):
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
