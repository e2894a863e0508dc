"""Transcribing from a URL: the worker downloads with yt-dlp from a local HTTP
server (allowed through URL_ALLOWED_HOSTS in these tests only), stores the file
as the job's media and transcribes it; failures end as `failed` with a message
the user can act on, and nothing of a refused file stays on disk."""

import hashlib
import os
import shutil
import socket

import pytest
import yt_dlp
from yt_dlp.utils import ExtractorError

from guards import netguard
from testkit.speech import convert, with_video
from tests.support.s3 import object_keys
from transcripts.models import Media, Transcription
from transcripts.services import create_transcription, delete_transcription, queue_new_attempt
from workers import downloads, fetch
from workers.attempt import Attempt, LeaseLost
from workers.fetch import DownloadError
from workers.media_copy import job_folder

Status = Transcription.Status
Stage = Transcription.Stage
# The worker runs the job in this process but with its own heartbeat thread, and
# django-rq enqueues on commit: these tests commit for real.
committed_db = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def speech_mp3(speech_wav, tmp_path_factory):
    return convert(speech_wav, tmp_path_factory.mktemp("mp3") / "speech.mp3", "-ac", "2", "-ar", "44100")


@pytest.fixture(scope="module")
def speech_mp4(speech_wav, tmp_path_factory):
    return with_video(speech_wav, tmp_path_factory.mktemp("mp4") / "speech.mp4")


@pytest.fixture
def temp_dir(settings, tmp_path):
    """Where the worker downloads to (its job folders); empty again after every job."""
    settings.WORKER_TEMP_DIR = str(tmp_path / "tmp")
    (tmp_path / "tmp" / "speechsite-jobs").mkdir(parents=True)
    return tmp_path / "tmp" / "speechsite-jobs"


@pytest.fixture
def site(settings, start_server, temp_dir, speech_mp3, speech_mp4):  # noqa: F811
    settings.URL_ALLOWED_HOSTS = ["127.0.0.1"]
    server = start_server("127.0.0.1")
    server.serve_file("/talks/quick-brown-fox.mp3", speech_mp3, "audio/mpeg")
    server.serve_file("/talks/sea-shells.mp4", speech_mp4, "video/mp4")
    about = b"<html><head><title>About us</title></head><body>No media</body></html>"
    server.serve_bytes("/about.html", about, "text/html")
    return server


@pytest.fixture
def stages_seen(monkeypatch):
    """(stage, progress) of every update the job writes, recorded on the way to the database."""
    seen = []
    real_update = Attempt.update

    def recording_update(self, **fields):
        seen.append((fields.get("stage"), fields.get("progress")))
        return real_update(self, **fields)

    monkeypatch.setattr(Attempt, "update", recording_update)
    return seen


def transcribe_url(owner, url, burst_worker):
    created = create_transcription(owner, url=url)
    assert created.queued
    burst_worker()
    transcription = Transcription.objects.select_related("media").get(pk=created.transcription.pk)
    return transcription


def stored_files(media_root):
    return [path for path in media_root.rglob("*") if path.is_file()]


# Downloaded and transcribed end to end ------------------------------------------


@committed_db
def test_mp3_link_is_downloaded_and_transcribed(
    owner, site, tiny_model, burst_worker, media_root, temp_dir, speech_mp3, stages_seen
):
    transcription = transcribe_url(owner, site.url("/talks/quick-brown-fox.mp3"), burst_worker)

    assert transcription.status == Status.DONE, transcription.error
    assert transcription.segments.count() > 0
    assert transcription.title == "quick-brown-fox"
    media = transcription.media
    assert media.original_name == "quick-brown-fox"
    assert media.file.name.startswith(f"media/{owner.pk}/") and media.file.name.endswith(".mp3")
    assert open(media.file.path, "rb").read() == speech_mp3.read_bytes()
    assert media.size_bytes == speech_mp3.stat().st_size
    assert media.duration_s == pytest.approx(transcription.duration_s, abs=0.1)
    assert media.has_video is False
    assert list(temp_dir.iterdir()) == []

    stages = [stage for stage, _ in stages_seen if stage]
    assert stages[:2] == [Stage.DOWNLOADING, Stage.DECODING]
    downloading = stages_seen[1 : stages_seen.index((Stage.DECODING, 0.0))]
    download_progress = [progress for stage, progress in downloading if progress is not None]  # not the title update
    assert download_progress[-1] == 100.0

    # A retry transcribes the stored file without downloading it again.
    requests_before = len(site.requests)
    queue_new_attempt(transcription)
    burst_worker()
    transcription.refresh_from_db()
    assert transcription.status == Status.DONE
    assert transcription.attempt == 2
    assert len(site.requests) == requests_before
    assert stored_files(media_root) == [media_root / media.file.name]


@committed_db
def test_mp4_link_is_downloaded_with_its_video_and_transcribed(owner, site, tiny_model, burst_worker, speech_mp4):
    transcription = transcribe_url(owner, site.url("/talks/sea-shells.mp4"), burst_worker)

    assert transcription.status == Status.DONE, transcription.error
    assert transcription.segments.count() > 0
    assert transcription.title == "sea-shells"
    assert transcription.media.has_video is True
    assert transcription.media.file.name.endswith(".mp4")
    assert open(transcription.media.file.path, "rb").read() == speech_mp4.read_bytes()


@committed_db
def test_link_longer_than_a_title_is_replaced_by_the_sites_title(owner, site, tiny_model, burst_worker):
    """The provisional title is the link cut to 255 characters; it still counts as the link."""
    url = site.url("/talks/quick-brown-fox.mp3?session=" + "x" * 300)
    transcription = transcribe_url(owner, url, burst_worker)

    assert transcription.status == Status.DONE, transcription.error
    assert transcription.title == "quick-brown-fox"


# Failures a user can act on ---------------------------------------------------


@committed_db
def test_a_link_is_stored_in_the_bucket_and_transcribed_from_the_download(
    owner, site, media_in_bucket, tiny_model, burst_worker, media_root, temp_dir, speech_mp3
):
    storage = media_in_bucket()

    transcription = transcribe_url(owner, site.url("/talks/quick-brown-fox.mp3"), burst_worker)

    assert transcription.status == Status.DONE, transcription.error_detail
    media = transcription.media
    assert object_keys(storage) == [f"{storage.location}/{media.file.name}"]
    assert b"".join(storage.read_range(media.file.name, 0, media.size_bytes - 1)) == speech_mp3.read_bytes()
    assert media.sha256 == hashlib.sha256(speech_mp3.read_bytes()).hexdigest()
    assert stored_files(media_root) == [] and list(temp_dir.iterdir()) == []


@committed_db
def test_page_without_media_fails_with_clear_message(owner, site, burst_worker, media_root, temp_dir):
    transcription = transcribe_url(owner, site.url("/about.html"), burst_worker)

    assert transcription.status == Status.FAILED
    assert transcription.error.startswith("No video or audio was found at this address (unsupported URL).")
    assert transcription.can_retry
    assert not transcription.media.file
    assert stored_files(media_root) == [] and list(temp_dir.iterdir()) == []


@committed_db
def test_missing_page_fails_with_the_404(owner, site, burst_worker):
    transcription = transcribe_url(owner, site.url("/talks/gone.mp3"), burst_worker)

    assert transcription.status == Status.FAILED
    assert transcription.error == "The server answered 404 Not Found: check the link."


@committed_db
def test_file_over_the_size_limit_is_refused_before_its_body(owner, site, settings, burst_worker, media_root, temp_dir):
    settings.URL_MAX_BYTES = 10_000
    transcription = transcribe_url(owner, site.url("/talks/quick-brown-fox.mp3"), burst_worker)

    assert transcription.status == Status.FAILED
    assert transcription.error == "This file is too large; the limit is 9.77 KiB."
    assert not transcription.media.file
    assert stored_files(media_root) == [] and list(temp_dir.iterdir()) == []


@committed_db
def test_stream_without_announced_size_is_cut_off_at_the_limit(
    owner, site, settings, burst_worker, media_root, temp_dir
):
    settings.URL_MAX_BYTES = 1024**2
    piece, count = b"\xff\xfb\x90\x00" * 16384, 1024  # 64 MiB that never announce their size
    site.serve_stream("/live/radio.mp3", piece, count, "audio/mpeg")

    transcription = transcribe_url(owner, site.url("/live/radio.mp3"), burst_worker)

    assert transcription.status == Status.FAILED
    assert transcription.error == "This file is larger than the limit of 1 MiB."
    assert site.bytes_sent.get("/live/radio.mp3", 0) < len(piece) * count / 4
    assert stored_files(media_root) == [] and list(temp_dir.iterdir()) == []


@committed_db
def test_media_longer_than_the_limit_is_refused_after_probing(
    owner, site, settings, burst_worker, media_root, temp_dir
):
    """A direct link reports no duration; the downloaded file is measured before it is kept."""
    settings.URL_MAX_DURATION_S = 5
    transcription = transcribe_url(owner, site.url("/talks/quick-brown-fox.mp3"), burst_worker)

    assert transcription.status == Status.FAILED
    assert transcription.error.startswith("This video is 0:1")
    assert transcription.error.endswith("long; the limit is 0:05.")
    assert stored_files(media_root) == [] and list(temp_dir.iterdir()) == []


def test_duration_reported_by_the_page_is_checked_before_downloading(site, settings, tmp_path):
    page = (
        '<html><head><title>A long talk</title><script type="application/ld+json">'
        '{"@context": "https://schema.org", "@type": "VideoObject", "name": "A long talk",'
        f' "contentUrl": "{site.url("/talks/quick-brown-fox.mp3")}", "duration": "PT5H",'
        ' "uploadDate": "2020-01-01", "description": "five hours"}'
        "</script></head><body></body></html>"
    )
    site.serve_bytes("/long-talk", page.encode(), "text/html")
    limits = fetch.Limits(max_bytes=10**9, max_duration_s=4 * 3600, socket_timeout_s=5, allowed_hosts=("127.0.0.1",))

    folder = tmp_path / "download"
    folder.mkdir()
    with pytest.raises(DownloadError, match=r"^This video is 5:00:00 long; the limit is 4:00:00\.$"):
        fetch.fetch(site.url("/long-talk"), folder, limits)
    # One look at the media URL while extracting; a download would be a second request.
    assert site.paths_requested().count("/talks/quick-brown-fox.mp3") <= 1
    assert list(folder.iterdir()) == []


def test_playlist_link_is_refused(site, tmp_path):
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Talks</title><link>http://127.0.0.1/</link>'
        "<description>talks</description>"
        f'<item><title>One</title><enclosure url="{site.url("/talks/quick-brown-fox.mp3")}" type="audio/mpeg"/></item>'
        f'<item><title>Two</title><enclosure url="{site.url("/talks/sea-shells.mp4")}" type="video/mp4"/></item>'
        "</channel></rss>"
    )
    site.serve_bytes("/feed.xml", feed.encode(), "application/rss+xml")
    limits = fetch.Limits(max_bytes=10**9, max_duration_s=3600, socket_timeout_s=5, allowed_hosts=("127.0.0.1",))

    with pytest.raises(DownloadError, match="This link is a playlist"):
        fetch.fetch(site.url("/feed.xml"), tmp_path, limits)
    assert site.paths_requested() == ["/feed.xml"]


def test_hls_stream_is_refused_without_fetching_a_segment(site, tmp_path):
    """HLS would go to ffmpeg or to fragment threads, out of the connect guard's sight."""
    site.serve_bytes(
        "/live.m3u8",
        b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n/segment-0.ts\n#EXT-X-ENDLIST\n",
        "application/vnd.apple.mpegurl",
    )
    site.serve_bytes("/segment-0.ts", b"\x47" * 188, "video/mp2t")
    limits = fetch.Limits(max_bytes=10**9, max_duration_s=3600, socket_timeout_s=5, allowed_hosts=("127.0.0.1",))

    with pytest.raises(DownloadError, match=r"only offered as a stream in pieces \(HLS or DASH\)"):
        fetch.fetch(site.url("/live.m3u8"), tmp_path, limits)
    assert set(site.paths_requested()) == {"/live.m3u8"}


@committed_db
def test_private_address_fails_the_job_even_when_queued_directly(
    owner, settings, media_server_on_loopback, burst_worker
):
    """A URL row that skipped the form's check (an old row, another client) is still refused by the worker."""
    settings.URL_ALLOWED_HOSTS = []
    url = media_server_on_loopback.url("/a.mp3")
    media = Media.objects.create(owner=owner, source=Media.Source.URL, source_url=url)
    transcription = Transcription.objects.create(owner=owner, media=media, title=media.source_url, model_name="tiny")
    queue_new_attempt(transcription)
    burst_worker()
    transcription.refresh_from_db()

    assert transcription.status == Status.FAILED
    assert transcription.error == "Refused to connect to 127.0.0.1: it is a private or local network address."
    assert media_server_on_loopback.requests == []


@pytest.fixture
def media_server_on_loopback(start_server, speech_mp3):  # noqa: F811
    server = start_server("127.0.0.1")
    server.serve_file("/a.mp3", speech_mp3, "audio/mpeg")
    return server


def test_progress_reaches_the_callback_once_per_interval():
    """The hook is called for every block yt-dlp writes; the database gets at most one write per interval."""
    reported = []
    now_s = [0.0]
    hook = fetch.ProgressHook(reported.append, max_bytes=10**9, interval_s=1.0, clock=lambda: now_s[0])
    for step in range(30):  # 3 s of blocks, a tenth of a second apart
        now_s[0] = step / 10
        hook({"status": "downloading", "downloaded_bytes": (step + 1) * 1000, "total_bytes": 100_000})
    hook({"status": "finished", "downloaded_bytes": 100_000, "total_bytes": 100_000})

    assert reported == [1.0, 11.0, 21.0, 100.0]  # at 0 s, 1 s, 2 s, and the end


def test_progress_of_a_real_download_ends_at_100(site, tmp_path):
    reported = []
    limits = fetch.Limits(max_bytes=10**9, max_duration_s=3600, socket_timeout_s=5, allowed_hosts=("127.0.0.1",))
    downloaded = fetch.fetch(site.url("/talks/sea-shells.mp4"), tmp_path, limits, on_progress=reported.append)

    assert downloaded.title == "sea-shells"
    assert reported[-1] == 100.0
    assert reported == sorted(reported) and all(0.0 <= percent <= 100.0 for percent in reported)


def test_ytdlp_never_runs_ffmpeg_on_the_download(site, tmp_path, monkeypatch, speech_mp4):
    """yt-dlp's fix-ups (here the one for a stretched picture) would hand the
    file to ffmpeg outside the pipeline's input guard."""
    calls = tmp_path / "ffmpeg-calls"
    programs = tmp_path / "bin"
    programs.mkdir()
    for program in ("ffmpeg", "ffprobe"):
        wrapper = programs / program
        wrapper.write_text(f'#!/bin/sh\necho "$*" >> {calls}\nexec {shutil.which(program)} "$@"\n')
        wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{programs}:{os.environ['PATH']}")
    folder = tmp_path / "download"
    folder.mkdir()
    limits = fetch.Limits(max_bytes=10**9, max_duration_s=3600, socket_timeout_s=5, allowed_hosts=("127.0.0.1",))
    options = fetch.ytdlp_options(folder, limits, fetch.CapturedLog(), fetch.ProgressHook(print, limits.max_bytes))
    info = {
        "id": "sea-shells",
        "title": "sea-shells",
        "url": site.url("/talks/sea-shells.mp4"),
        "ext": "mp4",
        "stretched_ratio": 2.0,
        "extractor": "generic",
        "extractor_key": "Generic",
        "webpage_url": site.url("/talks/sea-shells.mp4"),
    }

    with fetch.SocketHandlersYoutubeDL(options) as ydl:
        result = ydl.process_ie_result(info, download=True)

    assert fetch.downloaded_path(result, folder).read_bytes() == speech_mp4.read_bytes()
    ffmpeg_runs = calls.read_text().splitlines() if calls.exists() else []
    assert [run for run in ffmpeg_runs if run != "-version"] == []


@committed_db
def test_transcription_deleted_during_the_download_leaves_no_row_and_no_file(
    owner, site, media_root, temp_dir
):
    """save() would INSERT the deleted Media row again, and keep its file for nobody."""
    transcription = create_transcription(owner, url=site.url("/talks/quick-brown-fox.mp3")).transcription
    media = transcription.media

    def delete_on_first_progress(percent):
        if Transcription.objects.filter(pk=transcription.pk).exists():
            delete_transcription(Transcription.objects.select_related("media").get(pk=transcription.pk))

    with pytest.raises(LeaseLost), job_folder() as folder:
        downloads.download_media(media, folder, on_progress=delete_on_first_progress)

    assert not Media.objects.filter(pk=media.pk).exists()
    assert stored_files(media_root) == [] and list(temp_dir.iterdir()) == []


def test_unreachable_server_is_a_network_failure(settings, tmp_path):
    with socket.socket() as closed:  # a port that nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    limits = fetch.Limits(max_bytes=10**9, max_duration_s=3600, socket_timeout_s=2, allowed_hosts=("127.0.0.1",))

    refused = r"^Could not reach the site \(network failure or timeout\): .*You can retry\.$"
    with pytest.raises(DownloadError, match=refused):
        fetch.fetch(f"http://127.0.0.1:{port}/talk.mp3", tmp_path, limits)


def test_site_refusal_is_passed_on_as_unavailable_or_private():
    cause = ExtractorError("Private video. Sign in if you've been granted access to this video", expected=True)
    error = yt_dlp.utils.DownloadError("ERROR: [youtube] abc123: " + str(cause), exc_info=(ExtractorError, cause, None))

    message = str(fetch.user_error(error, netguard.ConnectionGuard(())))

    assert message == (
        "The site did not give us this video: Private video. Sign in if you've been granted access to this video. "
        "It may be unavailable or private."
    )
