"""The text stages together (stages/readable.py and run.transcribe_file): numbers,
then punctuation through a tiny random BERT, then sentence segments; every word
spans a run of heard words; a stage that cannot load its model or raises fails
alone with a note, and the words go on as they were."""

import pytest

from testkit.speech import SENTENCES, make_speech
from testkit.tiny_models import save_token_classifier
from tests.conftest import require_tools
from timedtext import Segment, Word
from workers.pipeline import SplitOptions, TextOptions, TranscribeOptions, load_ctc_engine, transcribe_file
from workers.pipeline.stages import readable
from workers.pipeline.stages.readable import TimesChanged, check_same_times, make_readable

HEARD = (
    "in twenty twenty six doctor smith said three point five percent"
    " of the one i like costs three dollars and fifty cents"
)


@pytest.fixture(scope="module")
def punctuation_dir(tmp_path_factory):
    return save_token_classifier(tmp_path_factory.mktemp("tiny-punct"), HEARD.split())


def heard_segments():
    tokens = HEARD.split()
    words = [Word(token, 0.3 + i * 0.5, 0.3 + i * 0.5 + 0.4) for i, token in enumerate(tokens)]
    middle = len(words) // 2
    first, second = tuple(words[:middle]), tuple(words[middle:])
    return (
        Segment(0.0, first[-1].end_s + 0.05, " ".join(tokens[:middle]), first, heard_words=first),
        Segment(first[-1].end_s + 0.05, 20.0, " ".join(tokens[middle:]), second, heard_words=second),
    )


def test_numbers_then_punctuation_keep_every_time(punctuation_dir):
    segments = heard_segments()
    notes = []
    options = TextOptions(numbers=True, punctuation_model=str(punctuation_dir))
    result = make_readable(segments, options, notes.append)
    assert notes == []
    readable_words = [word for segment in result for word in segment.words]
    assert [w.text.rstrip(".,?!:;'").lower() for w in readable_words] == (
        "in 2026 doctor smith said 3.5% of the one i like costs $3.50".split()
    )
    heard = [word for segment in segments for word in segment.heard_words]
    check_same_times(heard, readable_words)  # raises when a word lost or changed its time
    assert [w for segment in result for w in segment.heard_words] == heard
    assert result[0].start_s == 0.0 and result[-1].end_s == 20.0
    assert readable_words[-1].text.endswith(".") and readable_words[0].text.startswith("In")


def test_a_punctuation_model_that_cannot_load_fails_alone(tmp_path):
    segments = heard_segments()
    notes = []
    options = TextOptions(numbers=True, punctuation_model=str(tmp_path / "no-such-model"))
    result = make_readable(segments, options, notes.append)
    assert [note.stage for note in notes] == ["punctuation"]
    assert "Punctuation and capitals were skipped" in notes[0].message and "not available" in notes[0].message
    assert "no such folder" in notes[0].detail and str(tmp_path) not in notes[0].message
    # The numbers stage still ran; the segments are the engine's.
    assert [s.text for s in result] == ["in 2026 doctor smith said 3.5%", "of the one i like costs $3.50"]


def test_a_stage_that_raises_fails_alone(monkeypatch, punctuation_dir):
    def broken(words, options):
        raise RuntimeError("boom")

    monkeypatch.setattr(readable, "numbers_as_digits", broken)
    notes = []
    options = TextOptions(numbers=True, punctuation_model=str(punctuation_dir))
    result = make_readable(heard_segments(), options, notes.append)
    assert [note.stage for note in notes] == ["numbers"]
    assert "Numbers were left as words" in notes[0].message and "RuntimeError: boom" in notes[0].detail
    assert "twenty" in " ".join(s.text for s in result).lower()  # punctuation ran on the words as heard


def test_a_stage_that_would_change_a_time_is_refused(monkeypatch):
    def shifts_times(words, options):
        return [Word(w.text, w.start_s + 0.01, w.end_s) for w in words]

    monkeypatch.setattr(readable, "numbers_as_digits", shifts_times)
    notes = []
    segments = heard_segments()
    assert make_readable(segments, TextOptions(numbers=True), notes.append) == segments
    assert "TimesChanged" in notes[0].detail
    with pytest.raises(TimesChanged, match="lost"):
        check_same_times(segments[0].words, segments[0].words[:-1])


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    require_tools()
    wav, _, _ = make_speech(tmp_path_factory.mktemp("readable"), SENTENCES[:4], pause_s=1.2)
    return wav


def test_transcribe_file_runs_the_text_stages_after_the_engine(speech, tiny_model_dir, punctuation_dir):
    engine = load_ctc_engine(str(tiny_model_dir), "fp32")
    split = SplitOptions(min_space_s=3.0, max_space_s=6.0)
    raw = transcribe_file(speech, engine, TranscribeOptions(split=split))
    calls, notes = [], []
    readable_transcript = transcribe_file(
        speech,
        engine,
        TranscribeOptions(split=split, text=TextOptions(numbers=True, punctuation_model=str(punctuation_dir))),
        on_text_stages=lambda: calls.append("text stages"),
        on_note=notes.append,
    )
    assert calls == ["text stages"] and notes == []
    heard = [w for s in raw.segments for w in s.words]
    assert [w for s in readable_transcript.segments for w in s.heard_words] == heard
    check_same_times(heard, [w for s in readable_transcript.segments for w in s.words])
    assert readable_transcript.segments[0].start_s == raw.segments[0].start_s
    assert readable_transcript.segments[-1].end_s == raw.segments[-1].end_s
