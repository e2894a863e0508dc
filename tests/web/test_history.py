"""The history page and its search (views/history.py)."""

import pytest
from django.urls import reverse

from tests.support.web_factory import make_media, make_transcription
from transcripts.models import Transcription

# Transactions as in production: django-rq enqueues on commit, so a test
# wrapped in one transaction would never see its jobs on the queue.
pytestmark = pytest.mark.django_db(transaction=True)

Status = Transcription.Status


def test_history_is_newest_first_with_links(signed_in, owner):
    make_transcription(owner, title="older talk")
    newer = make_transcription(owner, title="newer talk", status=Status.QUEUED)
    page = signed_in.get(reverse("transcripts:history")).content.decode()
    assert page.index("newer talk") < page.index("older talk")
    assert newer.get_absolute_url() in page
    assert reverse("transcripts:download", args=[newer.pk - 1, "srt"]) in page
    assert newer.download_url("srt") not in page and newer.download_url("txt") not in page  # not done yet


def test_history_empty_state_says_what_to_do(signed_in):
    page = signed_in.get(reverse("transcripts:history")).content.decode()
    assert "No transcripts yet" in page and reverse("transcripts:new") in page


def test_search_finds_titles_and_transcript_words(signed_in, owner):
    make_transcription(owner, title="Budget meeting", texts=["we need more money"])
    make_transcription(owner, title="Standup", texts=["the build is green today"])
    by_title = signed_in.get(reverse("transcripts:history"), {"q": "budget"}).content.decode()
    assert "Budget meeting" in by_title and "Standup" not in by_title
    by_text = signed_in.get(reverse("transcripts:history"), {"q": "GREEN"}).content.decode()
    assert "Standup" in by_text and "Budget meeting" not in by_text


def test_history_query_count_does_not_grow_with_transcripts(signed_in, owner, django_assert_num_queries):
    media = make_media(owner)
    Transcription.objects.bulk_create(
        Transcription(owner=owner, media=media, title=f"talk {number}", model_name="tiny") for number in range(60)
    )
    # session, user, count, page
    with django_assert_num_queries(4):
        response = signed_in.get(reverse("transcripts:history"), {"page": 2})
    assert response.content.decode().count('class="title"') == 25
    with django_assert_num_queries(4):
        signed_in.get(reverse("transcripts:history"), {"q": "talk 5"})
