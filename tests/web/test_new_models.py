"""The form when the site offers several models: a model and a language to
pick, what each refuses, and the job that records the choice."""

import pytest
from django.urls import reverse

from tests.support.web_factory import form_errors, upload, wav_bytes
from transcripts import queueing
from transcripts.models import Transcription

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def three_models(offer_models):
    # Nothing is loaded by the web side: the sources need not exist here.
    offer_models("hubert=ctc:/srv/hubert, tiny=whisper:/srv/tiny.en:en, base=whisper:/srv/base")


def test_a_single_model_site_shows_neither_model_nor_language(signed_in):
    page = signed_in.get(reverse("transcripts:new")).content.decode()
    assert 'name="model"' not in page and 'name="language"' not in page


def test_the_form_offers_each_model_and_every_language_with_detection(signed_in, three_models):
    form = signed_in.get(reverse("transcripts:new")).context["form"]
    assert [value for value, _ in form.fields["model"].choices] == ["hubert", "tiny", "base"]
    assert form.fields["model"].initial == "hubert"
    labels = dict(form.fields["model"].choices)
    assert labels["tiny"] == "tiny (English; Whisper: punctuation and capitals)"
    assert labels["base"] == "base (99 languages, detects the language; Whisper: punctuation and capitals)"
    assert labels["hubert"] == "hubert (English; CTC: fast, lower case, no punctuation)"
    languages = dict(form.fields["language"].choices)
    assert languages[""] == "Detect it" and languages["de"] == "German" and len(languages) == 100


def test_the_chosen_model_and_language_go_on_the_job_and_its_queue(signed_in, three_models):
    response = upload(signed_in, wav_bytes(2.0), model="base", language="de")
    transcription = Transcription.objects.get()
    assert response.status_code == 302
    assert (transcription.model_name, transcription.requested_language, transcription.language) == ("base", "de", "de")
    assert queueing.queue_of(transcription).get_job_ids() == [transcription.rq_job_id]
    assert queueing.get_transcribe_queue().get_job_ids() == []  # the default model's queue


def test_no_language_means_detection_for_whisper_and_english_for_english_only_models(signed_in, three_models):
    upload(signed_in, wav_bytes(1.0), model="base")
    upload(signed_in, wav_bytes(1.0), model="tiny")
    upload(signed_in, wav_bytes(1.0))  # the default model
    assert [(t.model_name, t.requested_language) for t in Transcription.objects.order_by("pk")] == [
        ("base", ""), ("tiny", "en"), ("hubert", "en")
    ]


def test_an_unknown_model_is_a_form_error(signed_in, three_models):
    response = upload(signed_in, wav_bytes(1.0), model="large-v3")
    assert response.status_code == 400
    assert form_errors(response) == "There is no model called large-v3 here."
    assert not Transcription.objects.exists()


def test_a_language_the_model_cannot_do_is_a_form_error(signed_in, three_models):
    response = upload(signed_in, wav_bytes(1.0), model="tiny", language="de")
    assert response.status_code == 400
    assert response.context["form"].errors["language"] == ["The model tiny understands English only; it cannot transcribe German."]
    assert not Transcription.objects.exists()
