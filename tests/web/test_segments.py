"""Correcting segments (views/segments.py)."""

import pytest
from django.urls import reverse

from tests.support.web_factory import make_transcription
from transcripts.models import Segment, Transcription

# Transactions as in production: django-rq enqueues on commit, so a test
# wrapped in one transaction would never see its jobs on the queue.
pytestmark = pytest.mark.django_db(transaction=True)

Status = Transcription.Status


def test_edit_a_segment_keeps_the_original_and_reverts(signed_in, owner):
    transcription = make_transcription(owner, texts=["helo wrld", "second"])
    url = reverse("transcripts:edit_segment", args=[transcription.pk, 0])
    response = signed_in.post(url, {"text": "  hello\nworld "}, HTTP_ACCEPT="application/json")
    assert response.json()["text"] == "hello world" and response.json()["edited"] is True
    segment = Segment.objects.get(transcription=transcription, index=0)
    assert (segment.text, segment.original_text) == ("hello world", "helo wrld")
    assert "hello world" in signed_in.get(transcription.download_url("srt")).content.decode()
    assert transcription.title in signed_in.get(reverse("transcripts:history"), {"q": "hello"}).content.decode()

    reverted = signed_in.post(url + "revert/")
    assert reverted.status_code == 302 and reverted["Location"].endswith("#segment-0")
    assert Segment.objects.get(transcription=transcription, index=0).text == "helo wrld"


def test_edit_segment_page_works_without_javascript(signed_in, owner):
    transcription = make_transcription(owner, texts=["helo"])
    url = reverse("transcripts:edit_segment", args=[transcription.pk, 0])
    assert "helo" in signed_in.get(url).content.decode()
    assert signed_in.post(url, {"text": "hello"}).status_code == 302
    assert Segment.objects.get().text == "hello"
