"""The media view the player reads (views/media.py): ranges and safe types."""

import pytest
from django.urls import reverse

from testkit import speech
from tests.support.web_factory import make_media, make_transcription, upload, wav_bytes
from transcripts.models import Transcription

# Transactions as in production: django-rq enqueues on commit, so a test
# wrapped in one transaction would never see its jobs on the queue.
pytestmark = pytest.mark.django_db(transaction=True)

Status = Transcription.Status


def test_media_streams_whole_file_and_ranges(signed_in, owner):
    content = wav_bytes(1.0)
    transcription = make_transcription(owner, media=make_media(owner, content=content))
    url = reverse("transcripts:media", args=[transcription.pk])

    whole = signed_in.get(url)
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes"
    assert b"".join(whole.streaming_content) == content
    assert whole["Content-Type"] == "audio/wav"

    part = signed_in.get(url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-199/{len(content)}" and part["Content-Length"] == "100"
    assert b"".join(part.streaming_content) == content[100:200]

    open_ended = signed_in.get(url, HTTP_RANGE="bytes=16000-")
    assert b"".join(open_ended.streaming_content) == content[16000:]

    suffix = signed_in.get(url, HTTP_RANGE="bytes=-10")
    assert b"".join(suffix.streaming_content) == content[-10:]

    outside = signed_in.get(url, HTTP_RANGE=f"bytes={len(content)}-")
    assert outside.status_code == 416 and outside["Content-Range"] == f"bytes */{len(content)}"


def test_media_type_comes_from_an_allow_list_not_the_clients_name(signed_in, tmp_path):
    """A valid MP3 uploaded as evil.html is stored with the .html suffix; served
    as text/html from our origin it would be a page."""
    (tmp_path / "talk.wav").write_bytes(wav_bytes(1.0))
    mp3 = speech.convert(tmp_path / "talk.wav", tmp_path / "talk.mp3")
    upload(signed_in, mp3.read_bytes(), name="evil.html")
    transcription = Transcription.objects.get()
    assert transcription.media.file.name.endswith(".html")

    response = signed_in.get(reverse("transcripts:media", args=[transcription.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"

    upload(signed_in, mp3.read_bytes(), name="talk.MP3")
    mp3_job = Transcription.objects.latest("pk")
    assert signed_in.get(reverse("transcripts:media", args=[mp3_job.pk]))["Content-Type"] == "audio/mpeg"
