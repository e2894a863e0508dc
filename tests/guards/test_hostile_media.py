"""Hostile and broken uploads (issue 5): playlists must not make ffmpeg open
other files or URLs, and broken files fail with a message a user can read.

Each attack is first shown working against a plain ffmpeg/ffprobe, so that the
refusal below it is known to matter, then refused by probe_media/decode_audio."""

import http.server
import subprocess
import threading

import numpy as np
import pytest

from guards.media import DecodeError, EmptyAudioError, MediaError, NoAudioError, UnsafeMediaError, probe_media
from tests.conftest import require_tools
from workers.pipeline import decode_audio

SECRET_MARKER = "TOP-SECRET-4711"
SECRET_DURATION_S = 3.21
PLAYLIST_MESSAGE = "This file is a playlist or a list of other files; upload the audio or video file itself."


class RecordingHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        self.server.requests.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RecordingHandler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def secret_dir(tmp_path):
    """A folder standing for the media store: a private recording (mpegts, an
    extension HLS accepts for segments) and a private text file."""
    require_tools()
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"sine=f=300:d={SECRET_DURATION_S}:r=16000",
         "-metadata", f"title={SECRET_MARKER}", "-c:a", "mp2", "-f", "mpegts", str(tmp_path / "private.ts")],
        check=True,
    )
    (tmp_path / "private.txt").write_text(f"{SECRET_MARKER} password\n")
    return tmp_path


def hls_playlist(path, segment_url):
    path.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n{segment_url}\n#EXT-X-ENDLIST\n")
    return path


def plain_ffmpeg_samples(path, *options):
    """What an unguarded worker would decode: ffmpeg as most tutorials call it."""
    result = subprocess.run(
        ["ffmpeg", "-v", "error", *options, "-i", str(path), "-ac", "1", "-ar", "16000", "-f", "f32le", "-"],
        capture_output=True,
        timeout=30,
    )
    return np.frombuffer(result.stdout, dtype=np.float32), result.stderr.decode()


def assert_refused(path):
    for call in (probe_media, decode_audio):
        with pytest.raises(UnsafeMediaError) as refused:
            call(path)
        assert str(refused.value) == PLAYLIST_MESSAGE
        assert SECRET_MARKER not in str(refused.value)


def test_hls_playlist_with_a_file_segment_reads_a_private_file_unless_refused(secret_dir, tmp_path):
    evil = hls_playlist(tmp_path / "upload.mp3", f"file:{secret_dir / 'private.ts'}")
    leaked, _ = plain_ffmpeg_samples(evil)
    assert leaked.size / 16000 == pytest.approx(SECRET_DURATION_S, abs=0.1)  # the private recording, decoded
    # Restricting protocols to "file" alone does not stop it: the segment is a file.
    leaked, _ = plain_ffmpeg_samples(evil, "-protocol_whitelist", "file")
    assert leaked.size / 16000 == pytest.approx(SECRET_DURATION_S, abs=0.1)

    assert_refused(evil)


def test_ffconcat_list_reads_a_neighbouring_file_unless_refused(secret_dir):
    evil = secret_dir / "upload.wav"
    evil.write_text("ffconcat version 1.0\nfile 'private.ts'\n")  # a relative name passes concat's "safe" mode
    leaked, _ = plain_ffmpeg_samples(evil)
    assert leaked.size / 16000 == pytest.approx(SECRET_DURATION_S, abs=0.1)

    assert_refused(evil)
    text_list = secret_dir / "upload2.mp3"
    text_list.write_text("ffconcat version 1.0\nfile 'private.txt'\n")
    assert_refused(text_list)


def test_hls_playlist_pointing_at_a_url_makes_no_request(http_server, tmp_path):
    url = f"http://127.0.0.1:{http_server.server_port}/x.ts"
    evil = hls_playlist(tmp_path / "upload.mp3", url)
    # A plain ffmpeg follows the reference: ffmpeg 5.1 limits a local playlist's
    # segments to file/crypto/data by default, so it names the URL it could not
    # load; any wider protocol list (as a worker that also fetches URLs might
    # pass) lets the request through.
    _, complaint = plain_ffmpeg_samples(evil)
    assert f"Error when loading first segment '{url}'" in complaint
    plain_ffmpeg_samples(evil, "-protocol_whitelist", "file,http,tcp")
    assert http_server.requests == ["/x.ts"]
    http_server.requests.clear()

    assert_refused(evil)
    assert http_server.requests == []


def test_playlist_named_m3u8_is_refused_too(secret_dir, tmp_path):
    assert_refused(hls_playlist(tmp_path / "list.m3u8", f"file:{secret_dir / 'private.ts'}"))


# Broken files: each fails with its own readable message.


def test_random_bytes_named_wav(tmp_path):
    path = tmp_path / "noise.wav"
    path.write_bytes(np.random.default_rng(3).bytes(50_000))
    with pytest.raises(DecodeError, match="could not read this file as audio or video"):
        decode_audio(path)


def test_text_file_named_mp3(tmp_path):
    path = tmp_path / "notes.mp3"
    path.write_text("Shopping list: milk, eggs, bread.\n" * 20)
    with pytest.raises(MediaError) as error:
        decode_audio(path)
    assert isinstance(error.value, DecodeError)
    assert str(tmp_path) not in str(error.value)  # server paths stay private


def test_zero_length_file(tmp_path):
    path = tmp_path / "nothing.mp3"
    path.write_bytes(b"")
    with pytest.raises(EmptyAudioError, match="empty"):
        decode_audio(path)


def test_truncated_mp3(tmp_path):
    full = tmp_path / "full.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=f=300:d=10", str(full)], check=True)
    data = full.read_bytes()
    half = tmp_path / "half.mp3"
    half.write_bytes(data[: len(data) // 2])
    with pytest.raises(DecodeError, match=r"seems cut off: only 0:05 of its 0:10"):
        decode_audio(half)
    stub = tmp_path / "stub.mp3"
    stub.write_bytes(data[:300])
    with pytest.raises(DecodeError):
        decode_audio(stub)


def test_video_with_no_audio_stream(tmp_path):
    video = tmp_path / "mute.mkv"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=s=64x48:r=5", "-t", "1", "-c:v", "mpeg4", str(video)],
        check=True,
    )
    with pytest.raises(NoAudioError, match="no sound track"):
        decode_audio(video)
