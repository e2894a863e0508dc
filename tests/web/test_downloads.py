"""Downloads of a finished transcript (views/downloads.py)."""

import json

import pytest
import srt
from django.urls import reverse

from tests.support.web_factory import (
    make_transcription,
)
from transcripts.models import Transcription

# Transactions as in production: django-rq enqueues on commit, so a test
# wrapped in one transaction would never see its jobs on the queue.
pytestmark = pytest.mark.django_db(transaction=True)

Status = Transcription.Status


def test_downloads_are_attachments_named_after_the_title(signed_in, owner):
    transcription = make_transcription(owner, title="Q3 Review: «Final» / draft", texts=["hello there", "general"])
    for fmt, content_type in (("txt", "text/plain"), ("srt", "application/x-subrip"), ("vtt", "text/vtt"), ("json", "application/json")):
        response = signed_in.get(transcription.download_url(fmt))
        assert response.status_code == 200
        assert response["Content-Type"].startswith(content_type)
        assert response["Content-Disposition"] == f'attachment; filename="q3-review-final-draft.{fmt}"'
    assert json.loads(signed_in.get(transcription.download_url("json")).content)["title"] == transcription.title


def test_subtitle_options_on_the_download(signed_in, owner):
    transcription = make_transcription(owner, texts=["one two three four five six seven eight nine ten eleven twelve"])
    default = list(srt.parse(signed_in.get(transcription.download_url("srt")).content.decode()))
    narrow = list(srt.parse(signed_in.get(transcription.download_url("srt"), {"max_chars": 12, "max_lines": 1}).content.decode()))
    assert len(narrow) > len(default)
    assert all(len(cue.content) <= 12 for cue in narrow)
    assert signed_in.get(transcription.download_url("srt"), {"max_chars": "lots"}).status_code == 400
    assert signed_in.get(transcription.download_url("srt"), {"max_cue_s": "0"}).status_code == 400


@pytest.mark.parametrize("status", [Status.QUEUED, Status.RUNNING, Status.FAILED, Status.CANCELED])
def test_downloads_of_an_unfinished_or_failed_job_are_refused(signed_in, owner, status):
    """Its segments are partial: a download would pass them off as the transcript."""
    transcription = make_transcription(owner, status=status, texts=["only the first part"])
    for fmt in ("txt", "srt", "vtt", "json"):
        response = signed_in.get(transcription.download_url(fmt))
        assert response.status_code == 409
        assert response["Content-Type"].startswith("text/plain")
        assert response.content.decode() == f"The transcript is not ready: the job is {status.label.lower()}."
        assert "Content-Disposition" not in response
    page = signed_in.get(transcription.get_absolute_url()).content.decode()
    assert "only the first part" in page
    assert transcription.download_url("srt") not in page


def test_unknown_download_format_is_404(signed_in, owner):
    transcription = make_transcription(owner)
    assert signed_in.get(reverse("transcripts:download", args=[transcription.pk, "exe"])).status_code == 404
