"""The API with several offered models: /v1/models, the OpenAI endpoint's
mapping of `model` and `language`, the async API's strict `model`, and
/detect-language answered by a worker running the packaged Whisper base."""

import openai
import pytest
import requests
from django.urls import reverse

from tests.support.api_helpers import bearer, issue_token, worker_process
from tests.support.worker_process import wait_until
from transcripts import queueing
from transcripts.models import Transcription

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def three_models(offer_models):
    # No worker runs in most of these tests: the sources need not exist.
    offer_models("hubert=ctc:/srv/hubert, tiny=whisper:/srv/tiny.en:en, base=whisper:/srv/base")


@pytest.fixture
def openai_client(live_api, owner, settings):
    settings.API_WAIT_LIMIT_S = 0.2  # no worker: the answer is a 504 naming the queued job
    return openai.OpenAI(base_url=f"{live_api.url}/v1", api_key=issue_token(owner), max_retries=0, timeout=60)


def test_v1_models_lists_the_offered_models_default_first(openai_client, three_models):
    assert [model.id for model in openai_client.models.list().data] == ["hubert", "tiny", "base"]


@pytest.mark.parametrize(
    "model, language, ran, language_asked",
    [
        ("tiny", "", "tiny", "en"),
        ("base", "de", "base", "de"),
        ("base", "", "base", ""),  # detected
        ("whisper-1", "", "hubert", "en"),  # unknown names get the default
        ("whisper-1", "German", "base", "de"),  # ...unless the default cannot do the language
    ],
)
def test_openai_model_and_language_pick_the_offered_model(
    openai_client, owner, short_speech, three_models, model, language, ran, language_asked
):
    with open(short_speech, "rb") as audio, pytest.raises(openai.APIStatusError) as waited:
        openai_client.audio.transcriptions.create(model=model, file=audio, language=language or openai.NOT_GIVEN)
    assert waited.value.status_code == 504
    job = Transcription.objects.get(owner=owner)
    assert (job.requested_model, job.model_name, job.requested_language) == (model, ran, language_asked)


def test_openai_refuses_a_language_no_chosen_model_can_do(openai_client, owner, short_speech, three_models):
    with open(short_speech, "rb") as audio, pytest.raises(openai.BadRequestError) as refused:
        openai_client.audio.transcriptions.create(model="tiny", file=audio, language="fr")
    error = refused.value.response.json()["error"]
    assert error["param"] == "language" and error["message"] == (
        "The model tiny understands English only; it cannot transcribe French."
    )
    assert not Transcription.objects.exists()


def test_the_async_api_refuses_an_unknown_model_and_records_the_chosen_one(client, owner, short_speech, three_models):
    headers = bearer(issue_token(owner))
    url = reverse("api:transcription-list")
    with open(short_speech, "rb") as audio:
        unknown = client.post(url, {"file": audio, "model": "whisper-1"}, headers=headers)
    assert unknown.status_code == 400 and unknown.json()["error"]["param"] == "model"
    assert unknown.json()["error"]["message"] == "There is no model called 'whisper-1' here. The models offered: hubert, tiny, base."
    with open(short_speech, "rb") as audio:
        unknown_language = client.post(url, {"file": audio, "model": "base", "language": "klingon"}, headers=headers)
    assert unknown_language.status_code == 400 and unknown_language.json()["error"]["param"] == "language"
    with open(short_speech, "rb") as audio:
        created = client.post(url, {"file": audio, "model": "base", "language": "pt-BR"}, headers=headers)
    assert created.status_code == 202, created.content
    body = created.json()
    assert (body["model_name"], body["requested_language"], body["language"]) == ("base", "pt", "pt")


def test_detect_language_without_a_worker_for_its_model_is_a_clear_503(live_api, owner, short_speech, three_models):
    response = requests.post(f"{live_api.url}/t/{issue_token(owner)}/detect-language",
                             files={"audio_file": short_speech.read_bytes()}, timeout=30)
    assert response.status_code == 503
    assert response.json()["error"]["message"] == (
        "No worker runs the model base, which detects languages, right now; try again later."
    )


@pytest.mark.slow
@pytest.mark.once  # real weights: the SQLite pass only
def test_detect_language_is_answered_by_a_worker_running_whisper_base(
    live_api, owner, offer_models, whisper_base_dir, tiny_model_dir, real_speech, media_root
):
    spec = f"hubert=ctc:{tiny_model_dir}, base=whisper:{whisper_base_dir}"
    offer_models(spec)
    endpoint = f"{live_api.url}/t/{issue_token(owner)}"
    with worker_process(tiny_model_dir, ("transcribe-base",), STT_MODELS=spec, STT_PRECISION="auto"):
        wait_until(lambda: queueing.workers_serving("base"), 60, "the worker to start")
        response = requests.post(f"{endpoint}/detect-language",
                                 files={"audio_file": real_speech["jfk.flac"].path.read_bytes()}, timeout=120)
        not_media = requests.post(f"{endpoint}/detect-language", files={"audio_file": b"not audio at all"}, timeout=30)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["detected_language"], body["language_code"]) == ("english", "en") and body["confidence"] > 0.8
    assert not_media.status_code == 400
    assert not list((media_root / "language-detection").iterdir())  # the stored copy is gone
    assert not Transcription.objects.exists()  # no job in anyone's history
