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


@pytest.mark.parametrize("count", [3, 300])
def test_history_query_count_does_not_grow_with_transcripts(signed_in, owner, django_assert_num_queries, count):
    media = make_media(owner)
    Transcription.objects.bulk_create(
        Transcription(owner=owner, media=media, title=f"talk {number}", model_name="tiny", status=Status.DONE)
        for number in range(count)
    )
    # session, user, count, page: the same for 3 or 300 transcriptions
    with django_assert_num_queries(4):
        response = signed_in.get(reverse("transcripts:history"), {"page": 2 if count > 25 else 1})
    assert response.content.decode().count('class="title"') == min(count, 25)


def test_history_rows_show_what_the_template_showed(signed_in, owner):
    done = make_transcription(owner, title="<b>Bold</b> & co")
    page = signed_in.get(reverse("transcripts:history")).content.decode()
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; co" in page and "<b>Bold" not in page
    assert f'<a href="{done.get_absolute_url()}">' in page
    assert f'href="{done.download_url("txt")}"' in page and f'href="{done.download_url("srt")}"' in page
    assert '<span class="status status-done">Done</span>' in page
    assert 'data-label="Length">0:01<' in page and "File" in page
    assert "now" in page  # naturaltime: "now" or "N seconds ago"
    created = done.created_at
    assert f'title="{created:%Y-%m-%d %H:%M} UTC"' in page and f'datetime="{created.isoformat()}"' in page
