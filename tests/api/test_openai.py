"""OpenAI's speech-to-text shape, spoken to by the official `openai` package
against a live test server, with a real worker process and the tiny model."""

import openai
import pytest
import srt
import webvtt

from tests.support.api_helpers import issue_token, make_short_speech, worker_process
from timedtext import formats
from transcripts.models import Transcription

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

Status = Transcription.Status


@pytest.fixture(scope="session")
def short_speech(tmp_path_factory):
    return make_short_speech(tmp_path_factory.mktemp("short-speech"))


@pytest.fixture
def client(live_api, owner):
    # No retries: a retried request would hide a failure and queue a second job.
    return openai.OpenAI(base_url=f"{live_api.url}/v1", api_key=issue_token(owner), max_retries=0, timeout=120)


def latest_job(owner):
    return Transcription.objects.filter(owner=owner).latest("created_at")


def test_every_response_format_agrees_with_the_stored_segments(client, owner, short_speech, tiny_model_dir):
    with worker_process(tiny_model_dir):
        with open(short_speech, "rb") as audio:
            as_json = client.audio.transcriptions.create(model="whisper-1", file=audio)
        job = latest_job(owner)
        assert job.status == Status.DONE and job.requested_model == "whisper-1"
        segments = list(job.segments.all())
        assert segments
        assert as_json.text == " ".join(segment.text for segment in segments if segment.text)

        def create(**options):
            with open(short_speech, "rb") as audio:
                return client.audio.transcriptions.create(model="whisper-1", file=audio, **options)

        text = create(response_format="text")
        subrip = create(response_format="srt")
        vtt = create(response_format="vtt")
        verbose = create(response_format="verbose_json", timestamp_granularities=["word", "segment"])
        only_words = create(response_format="verbose_json", timestamp_granularities=["word"])

    # The tiny model is deterministic: every job of the same file has the same segments.
    jobs = list(Transcription.objects.filter(owner=owner).order_by("pk"))
    assert len(jobs) == 6 and all(job.status == Status.DONE for job in jobs)
    for job in jobs:
        assert [(s.start_s, s.end_s, s.text) for s in job.segments.all()] == [
            (s.start_s, s.end_s, s.text) for s in segments
        ]

    assert text == formats.to_txt(job.transcript())
    assert subrip == formats.to_srt(job.transcript())
    cues = list(srt.parse(subrip))
    assert cues and " ".join(cue.content.replace("\n", " ") for cue in cues).split() == as_json.text.split()
    assert vtt == formats.to_vtt(job.transcript())
    assert [caption.text for caption in webvtt.from_string(vtt)] == [cue.content for cue in cues]

    assert verbose.language == "english" and verbose.text == as_json.text
    assert verbose.duration == pytest.approx(job.duration_s, abs=0.001)
    assert [(s.id, s.start, s.end, s.text) for s in verbose.segments] == [
        (position, round(s.start_s, 3), round(s.end_s, 3), s.text) for position, s in enumerate(segments)
    ]
    expected_words = [
        (word.text, round(word.start_s, 3), round(word.end_s, 3))
        for segment in segments
        for word in segment.timed().words
    ]
    assert expected_words
    assert [(w.word, w.start, w.end) for w in verbose.words] == expected_words
    assert [w.word for w in verbose.words] == as_json.text.split()
    assert only_words.segments is None and len(only_words.words) == len(expected_words)


def test_the_wait_limit_answers_504_with_the_job_which_goes_on(client, owner, settings, short_speech):
    settings.API_WAIT_LIMIT_S = 0.5  # and no worker: the job stays queued
    with open(short_speech, "rb") as audio, pytest.raises(openai.APIStatusError) as raised:
        client.audio.transcriptions.create(model="whisper-1", file=audio)
    job = latest_job(owner)
    assert raised.value.status_code == 504
    assert raised.value.response.json()["transcription"]["id"] == job.pk
    assert str(job.pk) in raised.value.response.json()["error"]["message"]
    assert job.status == Status.QUEUED


@pytest.mark.parametrize("language", ["fr", "de"])
def test_a_language_other_than_english_is_refused(client, owner, short_speech, language):
    with open(short_speech, "rb") as audio, pytest.raises(openai.BadRequestError) as raised:
        client.audio.transcriptions.create(model="whisper-1", file=audio, language=language)
    assert raised.value.response.json()["error"]["param"] == "language"
    assert "English only" in raised.value.response.json()["error"]["message"]
    assert not Transcription.objects.exists()


def test_an_unsupported_response_format_is_refused(client, short_speech):
    with open(short_speech, "rb") as audio, pytest.raises(openai.BadRequestError) as raised:
        client.audio.transcriptions.create(model="whisper-1", file=audio, response_format="xml")
    assert raised.value.response.json()["error"]["param"] == "response_format"
    assert not Transcription.objects.exists()


def test_a_file_that_is_not_audio_is_refused(client, tmp_path):
    path = tmp_path / "notes.mp3"
    path.write_bytes(b"definitely not audio" * 50)
    with open(path, "rb") as handle, pytest.raises(openai.BadRequestError) as raised:
        client.audio.transcriptions.create(model="whisper-1", file=handle)
    assert raised.value.response.json()["error"]["param"] == "file"


def test_a_wrong_key_is_401(live_api):
    client = openai.OpenAI(base_url=f"{live_api.url}/v1", api_key="ss_not-a-token", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        client.models.list()


def test_models_list_the_served_model(client, settings):
    assert [model.id for model in client.models.list()] == [settings.STT_MODEL]
