"""The API's readable-text fields: stage choices and words on a new job, notes
and the summary on the job, POST .../summary; and OpenAI's `prompt` and /asr's
`initial_prompt` feeding the job's words (with a live server and a real worker)."""

import django_rq
import openai
import pytest
import requests
from django.urls import reverse

from tests.support.api_helpers import bearer, issue_token, worker_process
from tests.support.web_factory import make_transcription, wav_bytes
from transcripts.models import Transcription

pytestmark = pytest.mark.django_db(transaction=True)

Summary = Transcription.SummaryStatus


def create(client, token, content_type=None, **fields):
    if content_type == "application/json":
        return client.post(reverse("api:transcription-list"), fields, content_type=content_type, headers=bearer(token))
    return client.post(reverse("api:transcription-list"), {"file": wav_bytes_file(), **fields}, headers=bearer(token))


def wav_bytes_file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("talk.wav", wav_bytes())


def test_a_new_job_takes_its_stage_choices_and_words(client, token):
    created = create(client, token, punctuation="false", numbers="true", words="Kubernetes, Zoë\nOAuth", summarize="true")
    assert created.status_code == 202, created.content
    job = created.json()
    assert (job["punctuation"], job["numbers"], job["use_word_list"], job["summarize"]) == (False, True, True, True)
    assert job["words"] == ["Kubernetes", "Zoë", "OAuth"]
    assert job["notes"] == [] and job["summary"] == "" and job["summary_status"] == ""
    stored = Transcription.objects.get(pk=job["id"])
    assert (stored.punctuation, stored.summarize, stored.words) == (False, True, "Kubernetes\nZoë\nOAuth")


def test_json_clients_send_words_as_a_list_and_defaults_are_on(client, token, settings):
    settings.URL_ALLOWED_HOSTS = ["127.0.0.1"]
    created = create(client, token, "application/json", url="http://127.0.0.1:9/talk.mp3", words=["New York", "Zoë"])
    assert created.status_code == 202, created.content
    job = created.json()
    assert job["words"] == ["New York", "Zoë"]
    assert (job["punctuation"], job["numbers"], job["use_word_list"], job["summarize"]) == (True, True, True, False)


@pytest.mark.parametrize(
    ("words", "message"),
    [("\n".join(f"w{n}" for n in range(2001)), "2,000 words"), (["ok", 5], "a string or a list of strings")],
)
def test_words_over_the_limits_are_refused_with_the_field_named(client, token, words, message):
    response = create(client, token, "application/json", url="https://example.com/talk.mp3", words=words)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "words" and message in response.json()["error"]["message"]
    assert not Transcription.objects.exists()


def test_a_summary_is_asked_for_through_the_api(client, owner, token, stranger, settings, tiny_summarizer_dir):
    settings.SUMMARY_MODEL = str(tiny_summarizer_dir)
    running = make_transcription(owner, status=Transcription.Status.RUNNING)
    refused = client.post(reverse("api:transcription-summary", args=[running.pk]), headers=bearer(token))
    assert refused.status_code == 409 and "once the transcript is done" in refused.json()["error"]["message"]

    done = make_transcription(owner)
    url = reverse("api:transcription-summary", args=[done.pk])
    assert client.post(url, headers=bearer(issue_token(stranger))).status_code == 404
    accepted = client.post(url, headers=bearer(token))
    assert accepted.status_code == 202 and accepted.json()["summary_status"] == "queued"
    assert any(job.startswith(f"summary-{done.pk}-") for job in django_rq.get_queue(settings.SUMMARY_QUEUE).get_job_ids())
    again = client.post(url, headers=bearer(token))
    assert again.status_code == 409 and "already being made" in again.json()["error"]["message"]


@pytest.mark.slow
@pytest.mark.once  # a live server and a worker process; the same on every database
def test_openai_prompt_and_asr_initial_prompt_become_the_jobs_words(live_api, owner, short_speech, tiny_model_dir):
    token = issue_token(owner)
    client = openai.OpenAI(base_url=f"{live_api.url}/v1", api_key=token, max_retries=0, timeout=120)
    with worker_process(tiny_model_dir):
        with open(short_speech, "rb") as audio:
            client.audio.transcriptions.create(model="whisper-1", file=audio, prompt="Kubernetes, Zoë Smith, C++")
        response = requests.post(
            f"{live_api.url}/t/{token}/asr",
            params={"output": "txt", "initial_prompt": "A chat about OAuth with Ångström."},
            files={"audio_file": short_speech.read_bytes()},
            timeout=120,
        )
        assert response.status_code == 200, response.text
    first, second = Transcription.objects.filter(owner=owner).order_by("pk")
    assert first.words == "Kubernetes\nZoë Smith\nC++"
    assert first.notes == ["The speech model cannot spell these words of your list, so they were not used: C++."]
    assert second.words == "OAuth\nÅngström" and second.notes == []
