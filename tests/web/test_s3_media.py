"""The site with its media in a real S3-compatible bucket (Swift's s3api): uploads
go into the bucket under generated keys, deleting a transcription deletes its
object, a store that fails mid-upload leaves nothing behind and says so, and the
player seeks, through presigned URLs or streamed through the site."""

import hashlib
import subprocess
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from playwright.sync_api import sync_playwright

from tests.support import browser
from tests.support.api_helpers import bearer
from tests.support.s3 import object_keys
from tests.support.tcp_forward import TcpForwarder, shut
from tests.support.web_factory import form_errors, make_media, make_transcription, upload, wav_bytes
from transcripts.models import Media, Transcription

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def long_wav(tmp_path_factory):
    """About 21 MiB of WAV: a multipart upload of three parts."""
    path = tmp_path_factory.mktemp("long") / "long.wav"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=f=300:d=690", "-ar", "16000", "-ac", "1",
         str(path)],
        check=True,
    )
    return path


@pytest.mark.django_db
def test_an_upload_streams_into_the_bucket_under_a_generated_key(media_in_bucket, signed_in, owner, long_wav):
    storage = media_in_bucket()
    content = long_wav.read_bytes()

    response = upload(signed_in, content, name="../../etc/passwd.wav")

    assert response.status_code == 302, form_errors(response)
    media = Media.objects.get(owner=owner)
    assert media.file.name.startswith(f"media/{owner.pk}/") and "passwd" not in media.file.name
    assert object_keys(storage) == [f"{storage.location}/{media.file.name}"]
    assert media.sha256 == hashlib.sha256(content).hexdigest()
    copy = b"".join(storage.read_range(media.file.name, 0, len(content) - 1))
    assert hashlib.sha256(copy).hexdigest() == media.sha256


@pytest.mark.django_db
def test_deleting_a_transcription_deletes_its_object(
    media_in_bucket, signed_in, owner, django_capture_on_commit_callbacks
):
    storage = media_in_bucket()
    transcription = make_transcription(owner)
    assert object_keys(storage) == [f"{storage.location}/{transcription.media.file.name}"]

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(reverse("transcripts:delete", args=[transcription.pk]))

    assert response.status_code == 302
    assert object_keys(storage) == []


class CutOff(TcpForwarder):
    """The store's address, until `budget_bytes` have gone towards it: then the
    store is gone (connections cut, the port closed), as when it dies mid-upload."""

    def __init__(self, target_host, target_port, budget_bytes):
        super().__init__(target_host, target_port)
        self.budget_bytes = budget_bytes

    def pipe(self, source, target, towards_server):
        try:
            while data := source.recv(65536):
                if towards_server:
                    self.budget_bytes -= len(data)
                    if self.budget_bytes < 0:
                        self.listener.close()
                        break
                target.sendall(data)
        except OSError:
            pass
        finally:
            shut(source, target)


@pytest.mark.django_db
def test_a_store_lost_mid_upload_leaves_nothing_and_says_so(media_in_bucket, signed_in, owner, s3_env, long_wav):
    internal = urlsplit(s3_env["S3_ENDPOINT_URL"])
    with CutOff(internal.hostname, internal.port, budget_bytes=12 * MiB) as store:
        media_in_bucket(endpoint_url=f"http://127.0.0.1:{store.port}")
        response = upload(signed_in, long_wav.read_bytes())

    assert response.status_code == 400  # the form again, with the message
    assert "could not be stored right now, so nothing was saved" in response.content.decode()
    assert not Media.objects.exists() and not Transcription.objects.exists()
    storage = media_in_bucket()
    assert object_keys(storage) == []
    # Parts that reached the store are an unfinished upload no reader sees; the
    # reaper aborts those once they are old. Swift lists uploads from its
    # container listing, which a busy machine may update a moment later.
    deadline = time.monotonic() + 20
    while not (aborted := storage.abort_stale_uploads(older_than=timedelta(0))) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert aborted >= 1


@pytest.mark.django_db
def test_the_api_answers_503_when_the_store_is_unreachable(media_in_bucket, client, token, closed_port):
    media_in_bucket(endpoint_url=f"http://127.0.0.1:{closed_port}")

    response = client.post(
        reverse("api:transcription-list"),
        {"file": SimpleUploadedFile("talk.wav", wav_bytes(2.0))},
        headers=bearer(token),
    )

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "storage_unavailable"
    assert not Media.objects.exists()


@pytest.mark.django_db
def test_player_is_sent_to_a_url_signed_for_the_public_endpoint(media_in_bucket, signed_in, owner, public_endpoint):
    media_in_bucket(public_endpoint_url=public_endpoint)
    transcription = make_transcription(owner, media=make_media(owner, content=wav_bytes(3.0)))

    response = signed_in.get(reverse("transcripts:media", args=[transcription.pk]))

    assert response.status_code == 302 and response["Cache-Control"] == "no-store"
    assert response["Location"].startswith(public_endpoint + "/")


@pytest.mark.django_db
def test_stranger_gets_404_not_a_signed_url(media_in_bucket, client, owner, stranger, public_endpoint):
    media_in_bucket(public_endpoint_url=public_endpoint)
    transcription = make_transcription(owner)
    client.force_login(stranger)

    assert client.get(reverse("transcripts:media", args=[transcription.pk])).status_code == 404


@pytest.mark.django_db
def test_without_a_public_endpoint_ranges_stream_through_the_site(media_in_bucket, signed_in, owner):
    media_in_bucket()
    content = wav_bytes(3.0)
    transcription = make_transcription(owner, media=make_media(owner, content=content))

    response = signed_in.get(reverse("transcripts:media", args=[transcription.pk]), HTTP_RANGE="bytes=1000-")

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 1000-{len(content) - 1}/{len(content)}"
    assert b"".join(response.streaming_content) == content[1000:]


@pytest.mark.django_db
def test_the_player_view_answers_503_when_the_store_refuses(media_in_bucket, signed_in, owner):
    media_in_bucket()
    transcription = make_transcription(owner)
    media_in_bucket(secret_key="not-the-secret")

    response = signed_in.get(reverse("transcripts:media", args=[transcription.pk]))

    assert response.status_code == 503
    assert response.content == b"The media storage is unavailable right now."


@pytest.fixture(scope="module")
def site_server():
    """A live server; as in test_browser.py, MEDIA_URL gets a path nothing links
    to while it starts (Django's test server breaks on MEDIA_URL None)."""
    from pytest_django.live_server_helper import LiveServer

    with override_settings(MEDIA_URL="/test-server-media-not-linked/"):
        server = LiveServer("localhost")
    yield server
    server.stop()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("through", ["presigned URL", "the site"])
def test_the_player_seeks_in_a_browser(media_in_bucket, site_server, owner, password, public_endpoint, through):
    live_server = site_server
    media_in_bucket(public_endpoint_url=public_endpoint if through == "presigned URL" else None)
    transcription = make_transcription(owner, media=make_media(owner, content=wav_bytes(8.0, rate=16000)))
    statuses = []

    with sync_playwright() as playwright:
        chromium = browser.launch_chromium(playwright)
        page = chromium.new_page()
        page.on("response", lambda response: statuses.append((urlsplit(response.url).netloc, response.status)))
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", owner.username)
        page.fill("input[name=password]", password)
        page.click("form.card button[type=submit]")
        page.goto(f"{live_server.url}{transcription.get_absolute_url()}")
        page.wait_for_function("document.getElementById('player').readyState >= 1", timeout=15000)
        seeked_to = page.evaluate(
            """() => new Promise(resolve => {
                const player = document.getElementById('player');
                player.addEventListener('seeked', () => resolve(player.currentTime), {once: true});
                player.currentTime = 6.5;
            })"""
        )
        seekable_end = page.evaluate("document.getElementById('player').seekable.end(0)")
        chromium.close()

    assert seeked_to == 6.5 and seekable_end == 8.0
    served_by = urlsplit(public_endpoint).netloc if through == "presigned URL" else urlsplit(live_server.url).netloc
    assert (served_by, 206) in statuses
    assert not any(status >= 400 for _, status in statuses)
