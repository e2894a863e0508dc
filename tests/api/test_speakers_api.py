"""Speakers in the APIs: the speaker count asked for, speakers on segments and
in the job, and OpenAI's diarized_json spoken to by the official client."""

import json

import openai
import pytest
from django.urls import reverse

from testkit.conversations import write_conversation
from tests.support.api_helpers import bearer, issue_token, worker_process
from tests.support.web_factory import make_conversation_transcription, wav_bytes
from transcripts.models import Speaker, SpeakersMode, Transcription

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_job_asks_for_a_speaker_count(client, owner):
    headers = bearer(issue_token(owner))
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("api:transcription-list"),
        {"file": SimpleUploadedFile("talk.wav", wav_bytes()), "speaker_count": "3"},
        headers=headers,
    )
    assert response.status_code == 202, response.content
    assert response.json()["speaker_count"] == "3" and response.json()["speakers"] == []
    job = Transcription.objects.get(owner=owner)
    assert (job.speakers_mode, job.speakers_min, job.speakers_max) == (SpeakersMode.COUNT, 3, 3)
    refused = client.post(
        reverse("api:transcription-list"),
        {"file": SimpleUploadedFile("talk.wav", wav_bytes()), "speaker_count": "lots"},
        headers=headers,
    )
    assert refused.status_code == 400 and "speaker_count" in json.dumps(refused.json())


def test_segments_and_the_job_carry_the_speakers(client, owner):
    transcription = make_conversation_transcription(owner)
    Speaker.objects.filter(transcription=transcription, index=0).update(name="Host")
    headers = bearer(issue_token(owner))
    segments = client.get(reverse("api:transcription-segments", args=[transcription.pk]), headers=headers).json()
    assert [segment["speaker"] for segment in segments] == ["Host", "Speaker 2", "Host", "Speaker 2"]
    assert {word["speaker"] for word in segments[1]["words"]} == {"Speaker 2"}
    detail = client.get(reverse("api:transcription-detail", args=[transcription.pk]), headers=headers).json()
    assert detail["speakers"] == [{"id": 0, "name": "Host"}, {"id": 1, "name": "Speaker 2"}]
    assert detail["speaker_count"] == "off"
    listed = client.get(reverse("api:transcription-list"), headers=headers).json()
    assert listed["results"][0]["speakers"][0]["name"] == "Host"
    document = client.get(
        reverse("api:transcription-download", args=[transcription.pk, "json"]), headers=headers
    ).json()
    assert document["speakers"][0] == {"id": 0, "name": "Host"}
    assert document["segments"][2]["speaker"] == "Host"


@pytest.mark.slow
@pytest.mark.once  # real weights and a worker process; the rows are tested on both databases above
def test_diarized_json_is_answered_in_openais_shape(live_api, owner, tiny_model_dir, tmp_path):
    path, _ = write_conversation(["ls-2412", "jfk"], tmp_path, seconds=16.0)
    client = openai.OpenAI(base_url=f"{live_api.url}/v1", api_key=issue_token(owner), max_retries=0, timeout=180)
    with worker_process(tiny_model_dir, SPLIT_MIN_SPACE_S="3", SPLIT_MAX_SPACE_S="6"):
        with open(path, "rb") as audio:
            answer = client.audio.transcriptions.create(model="whisper-1", file=audio, response_format="diarized_json")
    assert type(answer).__name__ == "TranscriptionDiarized"
    job = Transcription.objects.get(owner=owner)
    assert job.speakers_mode == SpeakersMode.AUTO
    names = set(job.speakers.values_list("name", flat=True))
    assert answer.segments and {segment.speaker for segment in answer.segments} == names
    assert len(names) == 2
    assert [segment.text for segment in answer.segments] == [s.text for s in job.segments.all() if s.text]
