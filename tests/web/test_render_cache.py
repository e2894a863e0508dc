"""Downloads of finished transcripts are cached, and edits show in them at once."""

import pytest
from django.urls import reverse

from tests.support.web_factory import make_transcription
from transcripts.models import Transcription

pytestmark = pytest.mark.django_db


def edit(client, transcription, index, text):
    return client.post(
        reverse("transcripts:edit_segment", args=[transcription.pk, index]),
        {"text": text},
        HTTP_ACCEPT="application/json",
    )


def test_an_edit_shows_in_a_download_that_was_cached_before(client, owner):
    transcription = make_transcription(owner, texts=("hello world", "second part"))
    client.force_login(owner)
    srt_url = transcription.download_url("srt")
    assert "hello world" in client.get(srt_url).content.decode()

    assert edit(client, transcription, 0, "hello edited world").status_code == 200

    assert "hello edited world" in client.get(srt_url).content.decode()
    revert = reverse("transcripts:revert_segment", args=[transcription.pk, 0])
    client.post(revert, HTTP_ACCEPT="application/json")
    assert "hello world" in client.get(srt_url).content.decode()


def test_a_cached_download_needs_no_export_work(client, owner, monkeypatch):
    transcription = make_transcription(owner, texts=("hello world",))
    client.force_login(owner)
    first = client.get(transcription.download_url("vtt")).content

    from timedtext import formats

    monkeypatch.setattr(formats, "render", lambda *args, **kwargs: pytest.fail("rendered again"))
    assert client.get(transcription.download_url("vtt")).content == first


def test_segments_of_a_running_job_cannot_be_edited(client, owner):
    transcription = make_transcription(owner, texts=("partial text",), status=Transcription.Status.RUNNING)
    client.force_login(owner)

    response = edit(client, transcription, 0, "lost edit")

    assert response.status_code == 409
    assert transcription.segments.get().text == "partial text"


def test_download_query_count_does_not_grow_with_segments(client, owner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(owner)
    counts = {}
    for segment_count in (3, 300):
        transcription = make_transcription(owner, texts=[f"words of part {i}" for i in range(segment_count)])
        with CaptureQueriesContext(connection) as queries:
            response = client.get(transcription.download_url("srt"))  # not cached yet: rendered
        assert response.status_code == 200
        counts[segment_count] = len(queries)
    assert counts[3] == counts[300] <= 5
