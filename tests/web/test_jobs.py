"""The job page, its live status and what a person can do to a job: retry,
cancel, rename, delete (views/jobs.py)."""

import pytest
from django.urls import reverse

from tests.support.web_factory import (
    make_transcription,
    queued_job_ids,
    upload,
    wav_bytes,
)
from transcripts.models import Media, Segment, Transcription

# Transactions as in production: django-rq enqueues on commit, so a test
# wrapped in one transaction would never see its jobs on the queue.
pytestmark = pytest.mark.django_db(transaction=True)

Status = Transcription.Status


def test_job_page_shows_segments_player_and_downloads(signed_in, owner):
    transcription = make_transcription(owner, texts=["first words here", "second words there", "<b>bold</b> & co"])
    page = signed_in.get(transcription.get_absolute_url()).content.decode()
    assert "first words here" in page and "second words there" in page
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in page and "<b>bold" not in page
    assert f'href="{reverse("transcripts:edit_segment", args=[transcription.pk, 1])}"' in page
    assert "<audio" in page and reverse("transcripts:media", args=[transcription.pk]) in page
    assert 'data-seek="2.000"' in page
    assert transcription.download_url("vtt") in page
    assert "first words here second words there &lt;b&gt;" in page  # the full text


def test_job_page_query_count_does_not_grow_with_segments(signed_in, owner, django_assert_num_queries):
    transcription = make_transcription(owner, texts=[f"segment number {n}" for n in range(300)])
    # session, user, transcription with media, speakers, segments
    with django_assert_num_queries(5):
        response = signed_in.get(transcription.get_absolute_url())
    assert response.content.decode().count('<li class="segment') == 300


def test_failed_job_shows_the_error_and_retry(signed_in, owner):
    transcription = make_transcription(owner, status=Status.FAILED, texts=[])
    Transcription.objects.filter(pk=transcription.pk).update(error="We could not find any audio in this file.")
    page = signed_in.get(transcription.get_absolute_url()).content.decode()
    assert "We could not find any audio in this file." in page
    assert reverse("transcripts:retry", args=[transcription.pk]) in page


def test_status_json_reports_progress_and_new_segments(signed_in, owner):
    transcription = make_transcription(owner, status=Status.RUNNING, texts=["one", "two"])
    Transcription.objects.filter(pk=transcription.pk).update(
        stage=Transcription.Stage.TRANSCRIBING, progress=50.0, chunks_done=2, chunks_total=4
    )
    url = reverse("transcripts:status_json", args=[transcription.pk])
    state = signed_in.get(url, {"known": 0}).json()
    assert state["status"] == "running" and state["unfinished"] is True
    assert state["percent"] == 55.0
    assert state["stage_text"] == "Transcribing part 3 of 4"
    assert [segment["text"] for segment in state["segments"]] == ["one", "two"]
    assert "segments" not in signed_in.get(url, {"known": 2}).json()


def test_queue_position_is_shown_for_queued_jobs(signed_in):
    upload(signed_in, wav_bytes())
    upload(signed_in, wav_bytes())
    second = Transcription.objects.order_by("pk").last()
    state = signed_in.get(reverse("transcripts:status_json", args=[second.pk])).json()
    assert state["queue_position"] == 2
    assert state["stage_text"].startswith("Waiting in the queue (position 2). No worker that runs the model")


def test_cancel_a_queued_job(signed_in, owner):
    upload(signed_in, wav_bytes())
    transcription = Transcription.objects.get()
    response = signed_in.post(reverse("transcripts:cancel", args=[transcription.pk]))
    assert response.status_code == 302
    transcription.refresh_from_db()
    assert transcription.status == Status.CANCELED and transcription.lease is None


def test_retry_queues_a_failed_job_again_and_refuses_an_unfinished_one(signed_in, owner):
    transcription = make_transcription(owner, status=Status.FAILED, texts=[])
    signed_in.post(reverse("transcripts:retry", args=[transcription.pk]))
    transcription.refresh_from_db()
    assert transcription.status == Status.QUEUED and transcription.rq_job_id in queued_job_ids()
    response = signed_in.post(reverse("transcripts:retry", args=[transcription.pk]), follow=True)
    assert "Only a failed or canceled transcription can be retried." in response.content.decode()
    assert Transcription.objects.get().attempt == transcription.attempt


def test_state_changes_refuse_get(signed_in, owner):
    transcription = make_transcription(owner, status=Status.FAILED)
    for name in ("retry", "cancel", "edit_title"):
        assert signed_in.get(reverse(f"transcripts:{name}", args=[transcription.pk])).status_code == 405
    assert signed_in.get(reverse("transcripts:revert_segment", args=[transcription.pk, 0])).status_code == 405
    transcription.refresh_from_db()
    assert transcription.status == Status.FAILED


def test_state_changes_need_the_csrf_token(owner):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    transcription = make_transcription(owner, status=Status.FAILED)
    assert client.post(reverse("transcripts:delete", args=[transcription.pk])).status_code == 403
    assert Transcription.objects.filter(pk=transcription.pk).exists()


def test_edit_title(signed_in, owner):
    transcription = make_transcription(owner)
    signed_in.post(reverse("transcripts:edit_title", args=[transcription.pk]), {"title": "Better title"})
    transcription.refresh_from_db()
    assert transcription.title == "Better title"
    signed_in.post(reverse("transcripts:edit_title", args=[transcription.pk]), {"title": ""})
    transcription.refresh_from_db()
    assert transcription.title == "Better title"



def test_delete_asks_then_removes_rows_and_the_stored_file(signed_in, owner, media_root):
    transcription = make_transcription(owner)
    stored = media_root / transcription.media.file.name
    assert stored.exists()
    confirm = signed_in.get(reverse("transcripts:delete", args=[transcription.pk]))
    assert "deleted for good" in confirm.content.decode()
    assert Transcription.objects.exists()

    response = signed_in.post(reverse("transcripts:delete", args=[transcription.pk]))
    assert response.status_code == 302
    assert not Transcription.objects.exists() and not Media.objects.exists() and not Segment.objects.exists()
    assert not stored.exists()


def lost_by_the_queue(owner):
    """A job queued in the database whose RQ job Redis no longer has (restarted empty)."""
    transcription = make_transcription(owner, status=Status.QUEUED, texts=[])
    transcription.new_attempt()
    transcription.save()
    return transcription


def test_retry_puts_back_a_queued_job_the_queue_lost(signed_in, owner):
    transcription = lost_by_the_queue(owner)
    assert signed_in.get(reverse("transcripts:status_json", args=[transcription.pk])).json()["can_retry"]
    response = signed_in.post(reverse("transcripts:retry", args=[transcription.pk]), follow=True)
    assert "Queued again." in response.content.decode()
    assert queued_job_ids() == [transcription.rq_job_id]
    assert Transcription.objects.get().attempt == transcription.attempt  # the same attempt, put back


def test_retry_counts_against_the_limit_of_unfinished_jobs(signed_in, owner, settings):
    settings.MAX_UNFINISHED_JOBS_PER_USER = 1
    make_transcription(owner, status=Status.RUNNING)
    failed = make_transcription(owner, status=Status.FAILED, texts=[])
    response = signed_in.post(reverse("transcripts:retry", args=[failed.pk]), follow=True)
    assert "already have 1 transcriptions waiting or running" in response.content.decode()
    failed.refresh_from_db()
    assert failed.status == Status.FAILED and queued_job_ids() == []


def test_time_left_is_estimated_from_the_pace_of_transcribing_once_a_few_chunks_are_done(signed_in, owner):
    from datetime import timedelta

    from django.utils import timezone

    transcription = make_transcription(owner, status=Status.RUNNING, texts=["one"])
    url = reverse("transcripts:status_json", args=[transcription.pk])
    began = timezone.now() - timedelta(seconds=40)
    # Downloading and loading took long; only the pace since transcribing began counts.
    Transcription.objects.filter(pk=transcription.pk).update(
        stage=Transcription.Stage.TRANSCRIBING, started_at=began - timedelta(minutes=5), transcribing_started_at=began,
        chunks_done=1, chunks_total=10,
    )
    assert signed_in.get(url).json()["seconds_left"] is None  # one chunk also paid for warming up
    Transcription.objects.filter(pk=transcription.pk).update(chunks_done=4)
    assert signed_in.get(url).json()["seconds_left"] == pytest.approx(60, abs=2)  # 10 s a chunk, 6 to go
    page = signed_in.get(transcription.get_absolute_url()).content.decode()
    assert "about 1:0" in page and "left" in page


def test_notes_and_the_summary_show_on_the_job_page_as_text(signed_in, owner):
    transcription = make_transcription(owner, texts=["first words"])
    Transcription.objects.filter(pk=transcription.pk).update(
        notes=["The speech model cannot spell these words of your list, so they were not used: <b>C++</b>."],
        summary="A <i>short</i> summary.",
        summary_status=Transcription.SummaryStatus.DONE,
    )
    page = signed_in.get(transcription.get_absolute_url()).content.decode()
    assert "were not used: &lt;b&gt;C++&lt;/b&gt;." in page and "<b>C++" not in page
    assert 'id="summary"' in page and "A &lt;i&gt;short&lt;/i&gt; summary." in page
    assert 'id="show-heard"' in page  # the readable / as-heard switch


def test_segments_json_carries_what_the_model_heard_for_the_raw_view(signed_in, owner):
    transcription = make_transcription(owner, texts=["It cost $3.50."])
    heard = [{"word": word, "start": 0.1 * i, "end": 0.1 * i + 0.05} for i, word in enumerate("it cost three fifty".split())]
    Segment.objects.filter(transcription=transcription).update(heard_words=heard)
    data = signed_in.get(reverse("transcripts:segments_json", args=[transcription.pk])).json()
    assert data["segments"][0]["text"] == "It cost $3.50." and data["segments"][0]["heard_words"] == heard
