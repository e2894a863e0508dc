"""Readable transcripts through the real queue and a burst worker with the tiny
models: the text stages after recognition, what the model heard kept beside
them, edits applied to the readable text in every download, stages that fail
alone with a note, and summaries as jobs of their own."""

import json

import pytest
import srt
import webvtt
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from tests.support.api_helpers import bearer, issue_token
from tests.support.jobs_factory import queued_transcription
from tests.support.web_factory import make_transcription
from timedtext import Word
from transcripts import queueing, services
from transcripts.models import Segment, Transcription, WordList
from workers import summaries
from workers.pipeline.stages.readable import check_same_times

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

Status = Transcription.Status
Summary = Transcription.SummaryStatus


@pytest.fixture
def split_small(settings):
    settings.SPLIT_MIN_SPACE_S = 3.0
    settings.SPLIT_MAX_SPACE_S = 6.0


@pytest.fixture
def punctuation_on(settings, tiny_punctuation_dir):
    settings.PUNCTUATION_MODEL = str(tiny_punctuation_dir)


def heard_and_readable(transcription):
    segments = list(transcription.segments.all())
    heard = [Word.from_dict(word) for segment in segments for word in segment.heard_words]
    readable = [Word.from_dict(word) for segment in segments for word in segment.words]
    return segments, heard, readable


def download(client, transcription, fmt):
    response = client.get(transcription.download_url(fmt))
    assert response.status_code == 200
    return response.content.decode()


def test_a_readable_job_keeps_what_was_heard_and_every_download_shows_an_edit(
    client, owner, speech_wav, tiny_model, split_small, punctuation_on, burst_worker
):
    transcription = queued_transcription(owner, speech_wav, duration_s=12.0)
    burst_worker()
    transcription.refresh_from_db()
    assert transcription.status == Status.DONE, transcription.error_detail
    assert transcription.notes == [] and transcription.error_detail == ""

    segments, heard, readable = heard_and_readable(transcription)
    assert heard and all(word.text == word.text.lower() for word in heard)
    check_same_times(heard, readable)  # every readable word spans heard words, in order, none lost
    assert segments[0].text[0].isupper() and segments[-1].text[-1] in ".?!"
    for segment in segments:
        assert segment.text == segment.original_text == " ".join(word["word"] for word in segment.words)
        assert all(segment.start_s <= word["start"] < segment.end_s + 0.05 for word in segment.heard_words)

    # A person corrects the readable text of a segment.
    client.force_login(owner)
    edited = segments[-1]
    corrected = "Zebra " + edited.text
    response = client.post(reverse("transcripts:edit_segment", args=[transcription.pk, edited.index]), {"text": corrected})
    assert response.status_code == 302
    edited.refresh_from_db()
    assert edited.text == corrected and edited.heard_words == segments[-1].heard_words  # what was heard stays

    txt, subrip, vtt = (download(client, transcription, fmt) for fmt in ("txt", "srt", "vtt"))
    document = json.loads(download(client, transcription, "json"))
    everything = [
        txt,
        " ".join(cue.content for cue in srt.parse(subrip)),
        " ".join(caption.text for caption in webvtt.from_string(vtt).captions),
        document["text"],
    ]
    for rendered in everything:
        assert "Zebra" in rendered and " ".join(rendered.split()).endswith(corrected)
    assert document["segments"][-1]["text"] == corrected and document["segments"][-1]["edited"] is True
    # The corrected words keep the readable words' times.
    assert document["segments"][-1]["words"][1:] == [w.as_dict() for w in readable if w.start_s >= edited.start_s]
    api = client.get(reverse("api:transcription-segments", args=[transcription.pk]), headers=bearer(issue_token(owner)))
    assert api.json()[-1]["text"] == corrected
    assert transcription.title in client.get(reverse("transcripts:history"), {"q": "zebra"}).content.decode()

    # The page's data for the raw view: what the model heard, with its times.
    data = client.get(reverse("transcripts:segments_json", args=[transcription.pk])).json()
    assert [w for item in data["segments"] for w in item["heard_words"]] == [w.as_dict() for w in heard]


def test_a_punctuation_model_that_cannot_load_leaves_a_note_and_the_transcript(
    client, owner, speech_wav, tiny_model, settings, tmp_path, burst_worker
):
    settings.PUNCTUATION_MODEL = str(tmp_path / "no-punctuation-model")
    transcription = queued_transcription(owner, speech_wav, duration_s=12.0)
    burst_worker()
    transcription.refresh_from_db()
    assert transcription.status == Status.DONE and transcription.error == ""
    assert len(transcription.notes) == 1 and "Punctuation and capitals were skipped" in transcription.notes[0]
    assert str(tmp_path) not in transcription.notes[0]  # server paths are for admins
    assert "no such folder" in transcription.error_detail and "PUNCTUATION_MODEL" in transcription.error_detail
    segments, heard, readable = heard_and_readable(transcription)
    assert segments and [w.text for w in readable] == [w.text for w in heard]  # as heard; numbers still ran
    client.force_login(owner)
    assert transcription.notes[0] in client.get(transcription.get_absolute_url()).content.decode()
    detail = client.get(reverse("api:transcription-detail", args=[transcription.pk]), headers=bearer(issue_token(owner)))
    assert detail.json()["notes"] == transcription.notes


def test_words_the_model_cannot_spell_are_named_on_the_job_as_text(client, owner, speech_wav, tiny_model, burst_worker):
    WordList.objects.create(owner=owner, words="Kubernetes\nC++\n<script>alert(1)</script>")
    transcription = queued_transcription(owner, speech_wav, duration_s=12.0, words="東京")
    burst_worker()
    transcription.refresh_from_db()
    assert transcription.status == Status.DONE
    assert transcription.notes == [
        "The speech model cannot spell these words of your list, so they were not used: "
        "C++, <script>alert(1)</script>, 東京."
    ]
    client.force_login(owner)
    page = client.get(transcription.get_absolute_url()).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page


@pytest.fixture
def summaries_on(settings, tiny_summarizer_dir):
    settings.SUMMARY_MODEL = str(tiny_summarizer_dir)


def test_a_summary_is_its_own_job_and_shows_on_the_page_and_in_the_json(
    client, owner, speech_wav, tiny_model, summaries_on, burst_worker
):
    transcription = queued_transcription(owner, speech_wav, duration_s=12.0)
    burst_worker()
    transcription.refresh_from_db()
    segments_before = list(transcription.segments.values_list("text", "words"))
    client.force_login(owner)
    page = client.get(transcription.get_absolute_url()).content.decode()
    assert reverse("transcripts:summarize", args=[transcription.pk]) in page

    response = client.post(reverse("transcripts:summarize", args=[transcription.pk]))
    assert response.status_code == 302
    transcription.refresh_from_db()
    assert transcription.summary_status == Summary.QUEUED
    summaries = queueing.get_queue(settings.SUMMARY_QUEUE)
    assert any(job_id.startswith("summary-") for job_id in summaries.get_job_ids())
    assert "Summarising" in client.get(transcription.get_absolute_url()).content.decode()

    burst_worker()
    transcription.refresh_from_db()
    assert transcription.summary_status == Summary.DONE, transcription.summary_error
    assert transcription.summary.strip()
    assert list(transcription.segments.values_list("text", "words")) == segments_before
    page = client.get(transcription.get_absolute_url()).content.decode()
    assert 'id="summary"' in page
    assert json.loads(download(client, transcription, "json"))["summary"] == transcription.summary
    detail = client.get(reverse("api:transcription-detail", args=[transcription.pk]), headers=bearer(issue_token(owner)))
    assert detail.json()["summary"] == transcription.summary and detail.json()["summary_status"] == "done"


def test_every_worker_serves_the_summaries_queue_whatever_models_it_runs(offer_models, tiny_model_dir, capsys):
    # A worker for one non-default model must still run summaries, which need no speech model.
    offer_models(f"hubert=ctc:{tiny_model_dir}, other=ctc:{tiny_model_dir}")
    call_command("worker_queues", "other")
    assert capsys.readouterr().out.split() == ["transcribe-other", settings.SUMMARY_QUEUE]
    call_command("worker_queues")
    assert capsys.readouterr().out.split() == ["transcribe", "transcribe-other", settings.SUMMARY_QUEUE]


def test_a_job_that_asks_for_a_summary_gets_one_when_it_is_done(owner, speech_wav, tiny_model, summaries_on, burst_worker):
    transcription = queued_transcription(owner, speech_wav, duration_s=12.0, summarize=True)
    burst_worker()  # the transcription, then the summary it queued
    transcription.refresh_from_db()
    assert transcription.status == Status.DONE and transcription.summary_status == Summary.DONE
    assert transcription.summary.strip()


def test_a_failed_summary_leaves_the_transcript_untouched_and_says_why(
    client, owner, settings, tmp_path, burst_worker
):
    transcription = make_transcription(owner, texts=("first words here", "second words there"))
    before = list(Segment.objects.filter(transcription=transcription).values())
    settings.SUMMARY_MODEL = str(tmp_path / "no-summary-model")
    services.request_summary(transcription)
    burst_worker()
    transcription.refresh_from_db()
    assert transcription.summary_status == Summary.FAILED and transcription.summary == ""
    assert transcription.summary_error == summaries.MODEL_UNAVAILABLE
    assert transcription.status == Status.DONE and transcription.text_revision == 0
    assert list(Segment.objects.filter(transcription=transcription).values()) == before
    client.force_login(owner)
    page = client.get(transcription.get_absolute_url()).content.decode()
    assert summaries.MODEL_UNAVAILABLE in page and "Summarise again" in page


def test_an_empty_transcript_cannot_be_summarised_and_says_so(owner, summaries_on, burst_worker):
    transcription = make_transcription(owner, texts=("",))
    services.request_summary(transcription)
    burst_worker()
    transcription.refresh_from_db()
    assert transcription.summary_status == Summary.FAILED
    assert transcription.summary_error == "There is nothing to summarise: the transcript is empty."


def test_a_summary_is_refused_while_the_job_runs_twice_at_once_or_when_the_site_has_none(owner, settings, summaries_on):
    running = make_transcription(owner, status=Status.RUNNING)
    with pytest.raises(services.SummaryRefused, match="once the transcript is done"):
        services.request_summary(running)
    done = make_transcription(owner)
    services.request_summary(done)
    with pytest.raises(services.SummaryRefused, match="already being made"):
        services.request_summary(done)
    settings.SUMMARY_MODEL = ""
    with pytest.raises(services.SummaryRefused, match="switched off"):
        services.request_summary(make_transcription(owner))
