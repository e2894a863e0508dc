"""manage.py transcribe: an operator tries the model on one file, no queue."""

import json

import pytest
import srt
from django.core.management import CommandError, call_command

from testkit.speech import SENTENCES, make_speech
from tests.conftest import require_tools
from workers.pipeline import decode_audio


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    require_tools()
    wav, _, _ = make_speech(tmp_path_factory.mktemp("command"), SENTENCES[:3], pause_s=1.5)
    return wav


@pytest.fixture
def small_chunks(settings):
    settings.SPLIT_MIN_SPACE_S = 3.0
    settings.SPLIT_MAX_SPACE_S = 6.0


def transcribe(*args):
    from io import StringIO

    out = StringIO()
    call_command("transcribe", *map(str, args), stdout=out)
    return out.getvalue()


def test_srt_output_covers_the_file(speech, tiny_model, small_chunks):
    cues = list(srt.parse(transcribe(speech, "--format", "srt")))
    assert cues
    assert cues[-1].end.total_seconds() <= decode_audio(speech).size / 16000 + 0.01
    assert all(a.end <= b.start for a, b in zip(cues, cues[1:]))


def test_json_output_with_trim_uses_file_times(speech, tiny_model, small_chunks):
    document = json.loads(transcribe(speech, "--format", "json", "--start", "1.0", "--end", "9.0"))
    assert document["title"] == "speech.wav"
    assert document["duration"] == pytest.approx(8.0, abs=0.01)  # seconds transcribed
    assert document["segments"][0]["start"] == pytest.approx(1.0)
    assert document["segments"][-1]["end"] == pytest.approx(9.0, abs=0.01)
    assert document["text"] == " ".join(s["text"] for s in document["segments"] if s["text"])


def test_model_and_precision_options_override_the_settings(speech, tiny_model_dir, settings, small_chunks):
    settings.STT_MODEL = "/nowhere/to/be/found"
    assert transcribe(speech, "--model", tiny_model_dir, "--precision", "fp32").strip()


def test_unreadable_file_is_a_one_line_error(tmp_path, tiny_model):
    notes = tmp_path / "notes.mp3"
    notes.write_text("not audio at all\n" * 10)
    with pytest.raises(CommandError, match="could not read this file"):
        transcribe(notes)


def test_missing_file_and_bad_trim_are_one_line_errors(speech, tmp_path, tiny_model):
    with pytest.raises(CommandError, match="No such file"):
        transcribe(tmp_path / "absent.wav")
    with pytest.raises(CommandError, match="after the end of the file"):
        transcribe(speech, "--start", "999")
    with pytest.raises(CommandError, match="end_s must be after start_s"):
        transcribe(speech, "--start", "5", "--end", "2")


def test_model_that_cannot_load_names_stt_model(speech, settings):
    settings.STT_MODEL = "/nowhere/to/be/found"
    with pytest.raises(CommandError, match="STT_MODEL"):
        transcribe(speech)


@pytest.mark.once  # real weights: the SQLite pass only
def test_an_offered_whisper_model_transcribes_real_speech(offer_models, whisper_tiny_en_dir, real_speech):
    offer_models(f"tiny=whisper:{whisper_tiny_en_dir}:en")
    document = json.loads(transcribe(real_speech["jfk.flac"].path, "--model", "tiny", "--format", "json"))
    assert document["language"] == "en"
    assert document["text"].startswith("And so") and document["text"].endswith("country.")
    with pytest.raises(CommandError, match="The model tiny understands English only; it cannot transcribe German"):
        transcribe(real_speech["jfk.flac"].path, "--model", "tiny", "--language", "de")


def test_readable_by_the_sites_settings_and_raw_on_request(speech, tiny_model, small_chunks, settings, tiny_punctuation_dir):
    settings.PUNCTUATION_MODEL = str(tiny_punctuation_dir)
    readable = json.loads(transcribe(speech, "--format", "json"))
    raw = json.loads(transcribe(speech, "--format", "json", "--raw"))
    assert readable["text"][0].isupper() and readable["text"][-1] in ".?!"
    assert raw["text"] == raw["text"].lower()
    pairs = list(zip(readable["text"].split(), raw["text"].split(), strict=True))
    # The same words, capitalised or with a mark after them.
    assert all(written.lower().startswith(heard) and len(written) - len(heard) <= 1 for written, heard in pairs)


@pytest.mark.once  # real weights, no database: the SQLite pass only
def test_speakers_are_told_apart_when_asked(tiny_model, small_chunks, tmp_path):
    from testkit.conversations import write_conversation

    path, _ = write_conversation(["ls-2412", "jfk"], tmp_path, seconds=16.0)
    paragraphs = transcribe(path, "--speakers", "2").strip().split("\n\n")
    assert {paragraph.split(":")[0] for paragraph in paragraphs} == {"Speaker 1", "Speaker 2"}
    assert "Speaker" not in transcribe(path)
    with pytest.raises(CommandError, match="not a number of speakers"):
        transcribe(path, "--speakers", "several")


def test_stt_runtime_onnxruntime_transcribes_as_torch_does(speech, tiny_model, small_chunks, settings, tmp_path):
    from workers import jobs

    settings.STT_ONNX_CACHE_DIR = str(tmp_path / "onnx-cache")
    settings.STT_RUNTIME = "torch"
    on_torch = json.loads(transcribe(speech, "--format", "json", "--raw"))
    settings.STT_RUNTIME = "onnxruntime"
    assert jobs.load_engine().runtime.backend == "onnxruntime"
    on_onnx = json.loads(transcribe(speech, "--format", "json", "--raw"))
    assert on_onnx["segments"] == on_torch["segments"]  # texts, words and their times
    assert any(segment["words"] for segment in on_torch["segments"])
