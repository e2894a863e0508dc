"""STT_MODELS: the offered models, their languages and queues, as an operator
writes them; and the language names clients send. No database."""

import pytest

from timedtext.languages import display_name, language_code, language_name
from transcripts.offered_models import WHISPER_LANGUAGES, OfferedModel, parse_offered_models

pytestmark = pytest.mark.once


def test_without_stt_models_the_site_offers_stt_model_alone():
    (model,) = parse_offered_models("", "facebook/hubert-large-ls960-ft")
    assert model == OfferedModel(
        "facebook/hubert-large-ls960-ft", "ctc", "facebook/hubert-large-ls960-ft", ("en",), "transcribe"
    )


def test_entries_name_engine_source_and_languages_the_first_is_the_default():
    hubert, small, german = parse_offered_models(
        "hubert=ctc:facebook/hubert-large-ls960-ft,\n small = whisper : /srv/models/whisper-small ,"
        "german=ctc:/srv/wav2vec2-de:de",
        "ignored",
    )
    assert (hubert.engine, hubert.source, hubert.languages, hubert.queue) == (
        "ctc", "facebook/hubert-large-ls960-ft", ("en",), "transcribe"
    )
    assert (small.engine, small.source, small.queue) == ("whisper", "/srv/models/whisper-small", "transcribe-small")
    assert small.languages == WHISPER_LANGUAGES and small.detects_language and not small.english_only
    assert german.languages == ("de",) and not german.detects_language


@pytest.mark.parametrize(
    "spec, message",
    [
        ("hubert", "is not NAME=ENGINE:SOURCE"),
        ("hubert=ctc", "is not NAME=ENGINE:SOURCE"),
        ("a b=ctc:x", "a model name is letters"),
        ("x=whisperx:/m", "the engine is one of ctc, whisper"),
        ("x=ctc:/m:multilingual", "only Whisper detects languages"),
        ("x=whisper:/m:en+xx", "unknown language code 'xx'"),
        ("x=whisper:C:/m:en", "a source cannot contain ':'"),
        ("x=ctc:/a, x=whisper:/b", "x is listed twice"),
    ],
)
def test_mistakes_in_stt_models_are_named(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_offered_models(spec, "unused")


def test_a_job_language_follows_the_model():
    english, multilingual, two = parse_offered_models(
        "tiny=whisper:/m/tiny.en:en, base=whisper:/m/base, nl=ctc:/m/nl:nl+af", "unused"
    )
    assert english.language_for("") == "en" and english.language_for("en") == "en"
    with pytest.raises(ValueError, match="The model tiny understands English only; it cannot transcribe German"):
        english.language_for("de")
    assert multilingual.language_for("") == "" and multilingual.language_for("de") == "de"
    assert two.language_for("") == "nl"  # a CTC model detects nothing: its first language
    with pytest.raises(ValueError, match="The model nl cannot transcribe French"):
        two.language_for("fr")


@pytest.mark.parametrize(
    "sent, code",
    [("", ""), ("de", "de"), ("DE", "de"), ("en-GB", "en"), ("pt_BR", "pt"), ("German", "de"),
     ("haitian creole", "ht"), ("haw", "haw"), ("klingon", None), ("xx-YY", None)],
)
def test_clients_may_send_codes_regional_forms_or_names(sent, code):
    assert language_code(sent) == code


def test_language_names_for_openai_and_for_pages():
    assert (language_name("de"), display_name("de"), language_name("yue")) == ("german", "German", "cantonese")
    assert language_name("qq") == "qq" and display_name("") == ""
