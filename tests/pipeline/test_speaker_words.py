"""A speaker for every word, and segments cut where the speaker changes."""

import numpy as np

from timedtext import Segment, Transcript
from timedtext.words import Word
from workers.pipeline.stages.speaker_turns import Turn
from workers.pipeline.stages.speakers import (
    SPEAKERS_FAILED,
    SPEAKERS_UNAVAILABLE,
    add_speakers,
    speaker_at,
    with_speakers,
)
from workers.pipeline.types import SpeakerOptions


def segment(text, start_s, step_s=0.5, **kwargs):
    words = tuple(Word(token, start_s + i * step_s, start_s + i * step_s + 0.4) for i, token in enumerate(text.split()))
    return Segment(start_s, words[-1].end_s + 0.1, text, words, heard_words=words, **kwargs)


def test_a_segment_is_cut_where_the_speaker_changes():
    talk = Transcript((segment("hi there how are you", 0.0),), duration_s=3.0)
    result = with_speakers(talk, [Turn(0.0, 0.95, 5), Turn(1.0, 3.0, 2)])
    assert result.speakers == ("Speaker 1", "Speaker 2")
    assert [(s.text, s.speaker) for s in result.segments] == [("hi there", 0), ("how are you", 1)]
    first, second = result.segments
    assert (first.start_s, first.end_s, second.start_s, second.end_s) == (0.0, 1.0, 1.0, talk.segments[0].end_s)
    assert [w.speaker for w in second.words] == [1, 1, 1]
    assert [w.text for w in second.heard_words] == ["how", "are", "you"]


def test_one_speaker_keeps_the_segments_whole():
    talk = Transcript((segment("one two", 0.0), segment("three four", 2.0)), duration_s=3.0)
    result = with_speakers(talk, [Turn(0.0, 3.0, 0)])
    assert [s.text for s in result.segments] == ["one two", "three four"]
    assert result.speakers == ("Speaker 1",)


def test_no_turns_no_speakers():
    talk = Transcript((segment("one two", 0.0), Segment(1.0, 2.0, "")), duration_s=2.0)
    result = with_speakers(talk, [])
    assert result.speakers == () and all(s.speaker is None for s in result.segments)


def test_a_word_in_a_pause_goes_to_the_nearest_turn():
    turns = [Turn(0.0, 1.0, 0), Turn(3.0, 4.0, 1)]
    assert speaker_at(1.2, 1.4, turns) == 0
    assert speaker_at(2.6, 2.8, turns) == 1
    assert speaker_at(0.0, 1.0, []) is None


def test_an_edited_segment_keeps_one_speaker_the_one_of_most_words():
    edited = Segment(0.0, 2.0, "Hello, Dr. Smith here!", segment("hello doctor smith here", 0.0).words, edited=True)
    result = with_speakers(Transcript((edited,), duration_s=2.0), [Turn(0.0, 0.45, 0), Turn(0.5, 2.0, 1)])
    assert [(s.text, s.speaker) for s in result.segments] == [("Hello, Dr. Smith here!", 1)]


def test_a_speaker_who_says_no_word_is_not_listed():
    talk = Transcript((segment("only me", 5.0),), duration_s=6.0)
    result = with_speakers(talk, [Turn(0.0, 2.0, 0), Turn(4.5, 6.0, 1)])
    assert result.speakers == ("Speaker 1",)
    assert result.segments[0].speaker == 0


def test_a_failed_speakers_stage_leaves_the_transcript_and_says_why(tmp_path):
    talk = Transcript((segment("one two", 0.0),), duration_s=2.0)
    notes = []
    options = SpeakerOptions(encoder=str(tmp_path / "missing.pt"))
    assert add_speakers(talk, np.zeros(32000, dtype=np.float32), 0.0, options, notes.append) is talk
    assert [(note.stage, note.message) for note in notes] == [("speakers", SPEAKERS_UNAVAILABLE)]
    assert "no such file" in notes[0].detail

    notes.clear()
    assert add_speakers(talk, "not audio", 0.0, SpeakerOptions(), notes.append) is talk
    assert [note.message for note in notes] == [SPEAKERS_FAILED]
    assert "Traceback" in notes[0].detail
