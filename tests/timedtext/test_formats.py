"""The renderers as pure functions of a Transcript: SRT and WebVTT parse with
their reference parsers, plain text is paragraphs, JSON carries every segment,
and the OpenAI and whisper shapes are what their clients read."""

import html
import json

import pytest
import srt
import webvtt

from timedtext import Segment, Transcript, Word
from timedtext.cues import CueOptions
from timedtext.formats import FORMATS, RenderOptions, render, timestamp, to_srt, to_txt, to_vtt
from timedtext.words import words_for_text


def spoken(start_s, text, word_s=0.3, gap_s=0.05):
    """A segment the model heard: one word every word_s + gap_s."""
    words, position_s = [], start_s
    for token in text.split():
        words.append(Word(token, position_s, position_s + word_s))
        position_s += word_s + gap_s
    return Segment(start_s, position_s, text, tuple(words))


def edited(segment, new_text):
    """The segment as a person corrected it: the one rule times its words."""
    words = words_for_text(new_text, segment.words, segment.start_s, segment.end_s)
    return Segment(segment.start_s, segment.end_s, new_text, words, edited=True)


SEGMENTS = (
    spoken(0.5, "the quick brown fox jumps over the lazy dog and runs far away into the deep green forest"),
    spoken(9.0, "she sells sea shells"),
    spoken(14.0, "yes"),
)
TALK = Transcript(SEGMENTS, duration_s=15.0, title="A talk")


def words_of(text):
    return text.split()


def test_srt_parses_and_keeps_every_word_in_order():
    content, content_type = render("srt", TALK)
    assert content_type.startswith("application/x-subrip")
    cues = list(srt.parse(content))
    assert [cue.index for cue in cues] == list(range(1, len(cues) + 1))
    assert words_of(" ".join(cue.content for cue in cues)) == words_of(TALK.text)
    assert cues[0].start.total_seconds() == pytest.approx(0.5)
    assert all(cue.end > cue.start for cue in cues)
    assert all(len(line) <= 42 for cue in cues for line in cue.content.splitlines())
    assert "00:00:00,500 --> " in content


def test_vtt_parses_with_the_same_cues_as_srt():
    vtt_text, content_type = render("vtt", TALK)
    assert content_type.startswith("text/vtt")
    assert vtt_text.startswith("WEBVTT\n")
    captions = webvtt.from_string(vtt_text).captions
    srt_cues = list(srt.parse(to_srt(TALK)))
    assert [caption.text for caption in captions] == [cue.content for cue in srt_cues]
    assert [caption.start_in_seconds for caption in captions] == [int(c.start.total_seconds()) for c in srt_cues]


def test_vtt_escapes_markup_in_edited_text():
    talk = Transcript((edited(spoken(0.0, "a b c d"), "a <b> & c --> d"),), duration_s=2.0)
    captions = webvtt.from_string(to_vtt(talk)).captions
    assert captions[0].text == "a &lt;b&gt; &amp; c --&gt; d"
    assert html.unescape(captions[0].text) == "a <b> & c --> d"


def test_rewritten_segment_keeps_the_heard_times_and_pauses():
    heard = Segment(10.0, 14.0, "x y", (Word("x", 10.0, 10.5), Word("y", 13.0, 14.0)))
    talk = Transcript((edited(heard, "completely different words here"),), duration_s=14.0)
    cues = list(srt.parse(to_srt(talk)))
    # Paired with "x" and "y"; the last two words share "y"'s time (no pause after it).
    assert [cue.content for cue in cues] == ["completely", "different words here"]
    assert cues[0].start.total_seconds() == pytest.approx(10.0)
    assert cues[1].start.total_seconds() == pytest.approx(13.0)
    assert cues[-1].end.total_seconds() == pytest.approx(14.0)


def test_segment_without_word_times_is_split_by_characters():
    long_text = " ".join(["word"] * 40)
    talk = Transcript((Segment(0.0, 20.0, long_text, words_for_text(long_text, (), 0.0, 20.0)),), duration_s=20.0)
    cues = list(srt.parse(to_srt(talk)))
    assert len(cues) >= 3
    assert all((cue.end - cue.start).total_seconds() <= 7.0 for cue in cues)
    assert cues[-1].end.total_seconds() == pytest.approx(20.0)


def test_cue_options_change_the_cues():
    default = list(srt.parse(to_srt(TALK)))
    narrow_options = RenderOptions(cues=CueOptions(max_chars=20, max_lines=1, max_cue_s=2.0))
    narrow = list(srt.parse(to_srt(TALK, narrow_options)))
    assert len(narrow) > len(default)
    assert all(len(cue.content) <= 20 for cue in narrow)


def test_txt_is_paragraphs_split_at_long_pauses():
    content, content_type = render("txt", TALK)
    assert content_type.startswith("text/plain")
    paragraphs = content.strip().split("\n\n")
    assert paragraphs == [segment.text for segment in SEGMENTS]


def test_txt_of_a_long_talk_is_not_one_line():
    segments = tuple(spoken(index * 30.0, " ".join(["talking"] * 70)) for index in range(6))
    paragraphs = to_txt(Transcript(segments, duration_s=180.0)).strip().split("\n\n")
    assert len(paragraphs) >= 3
    assert all(len(paragraph) < 1200 for paragraph in paragraphs)


def test_json_has_title_duration_and_segments():
    fixed = edited(spoken(20.0, "fixd"), "fixed")
    content, content_type = render("json", Transcript((*SEGMENTS, fixed), duration_s=22.5, title="A talk"))
    assert content_type == "application/json"
    document = json.loads(content)
    assert document["title"] == "A talk"
    assert document["duration"] == 22.5
    assert [segment["index"] for segment in document["segments"]] == [0, 1, 2, 3]
    assert document["segments"][1]["text"] == "she sells sea shells"
    assert document["segments"][1]["start"] == 9.0
    assert document["segments"][1]["words"][0] == {"word": "she", "start": 9.0, "end": 9.3}
    assert document["segments"][3]["edited"] is True
    assert document["segments"][3]["words"] == [{"word": "fixed", "start": 20.0, "end": 20.3}]
    assert document["text"].endswith("yes fixed")


def test_openai_verbose_json_lists_what_was_asked_for():
    both = json.loads(render("openai_verbose_json", TALK, RenderOptions(granularities=("word", "segment")))[0])
    assert both["language"] == "english" and both["duration"] == 15.0 and both["text"] == TALK.text
    assert [segment["text"] for segment in both["segments"]] == [segment.text for segment in SEGMENTS]
    assert [word["word"] for word in both["words"]] == TALK.text.split()
    only_words = json.loads(render("openai_verbose_json", TALK, RenderOptions(granularities=("word",)))[0])
    assert "segments" not in only_words and len(only_words["words"]) == len(TALK.text.split())
    default = json.loads(render("openai_verbose_json", TALK)[0])
    assert "words" not in default and len(default["segments"]) == 3
    assert json.loads(render("openai_json", TALK)[0]) == {"text": TALK.text}


def test_whisper_json_and_tsv():
    document = json.loads(render("whisper_json", TALK)[0])
    assert document["language"] == "en" and document["text"] == TALK.text
    assert document["segments"][1]["words"][0] == {"word": "she", "start": 9.0, "end": 9.3, "probability": 1.0}
    rows = [line.split("\t") for line in render("tsv", TALK)[0].splitlines()]
    assert rows == [["start", "end", "text"], ["500", "6800", SEGMENTS[0].text], ["9000", "10400", "she sells sea shells"], ["14000", "14350", "yes"]]


def untimed(words):
    return [word for word in words], None


def timed(words):
    words = list(words)
    return [word["word"] for word in words], [word["start"] for word in words]


# How to read the words back out of each format, with their start times where it has them.
WORDS_SHOWN = {
    "txt": lambda content: untimed(content.split()),
    "srt": lambda content: untimed(word for cue in srt.parse(content) for word in cue.content.split()),
    "vtt": lambda content: untimed(word for cue in webvtt.from_string(content).captions for word in cue.text.split()),
    "tsv": lambda content: untimed(word for row in content.splitlines()[1:] for word in row.split("\t")[2].split()),
    "openai_json": lambda content: untimed(json.loads(content)["text"].split()),
    "openai_diarized_json": lambda content: untimed(
        word for segment in json.loads(content)["segments"] for word in segment["text"].split()
    ),
    "openai_verbose_json": lambda content: timed(json.loads(content)["words"]),
    "json": lambda content: timed(word for segment in json.loads(content)["segments"] for word in segment["words"]),
    "whisper_json": lambda content: timed(word for segment in json.loads(content)["segments"] for word in segment["words"]),
}


def test_every_format_is_checked_for_edited_segments():
    assert set(WORDS_SHOWN) == set(FORMATS)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_shows_an_edited_segment_by_the_one_rule(fmt):
    """A corrected word keeps the time of the word it replaces; an added word
    takes the pause before the next heard word (timedtext/words.py)."""
    heard = Segment(0.0, 3.0, "i saw doctor smyth today", (
        Word("i", 0.0, 0.2), Word("saw", 0.3, 0.6), Word("doctor", 0.7, 1.1), Word("smyth", 1.2, 1.6), Word("today", 2.4, 2.9),
    ))
    talk = Transcript((edited(heard, "I saw Dr. Smith again today."),), duration_s=3.0)
    words, starts = WORDS_SHOWN[fmt](render(fmt, talk, RenderOptions(granularities=("word",)))[0])
    assert words == ["I", "saw", "Dr.", "Smith", "again", "today."]
    if starts is not None:
        assert starts == [0.0, 0.3, 0.7, 1.2, 1.6, 2.4]


def test_pipeline_segments_render_too():
    segment = Segment(1.0, 2.0, "hello world", (Word("hello", 1.0, 1.4), Word("world", 1.5, 2.0)))
    talk = Transcript((segment,), duration_s=2.0, title="t")
    cues = list(srt.parse(render("srt", talk)[0]))
    assert [cue.content for cue in cues] == ["hello world"]
    document = json.loads(render("json", talk)[0])
    assert document["segments"][0]["words"][1] == {"word": "world", "start": 1.5, "end": 2.0}
    assert document["duration"] == 2.0


def test_empty_transcript_renders_empty_documents():
    empty = Transcript((), duration_s=0.0)
    assert to_txt(empty) == ""
    assert list(srt.parse(to_srt(empty))) == []
    assert webvtt.from_string(to_vtt(empty)).captions == []


def test_unknown_format_is_refused():
    with pytest.raises(ValueError):
        render("doc", TALK)


def test_timestamps_past_an_hour():
    assert timestamp(3723.4567, ",") == "01:02:03,457"
    assert timestamp(59.9996, ".") == "00:01:00.000"


@pytest.mark.parametrize("code, name", [("de", "german"), ("pt", "portuguese"), ("haw", "hawaiian"), ("", "")])
def test_every_format_carries_the_transcripts_language(code, name):
    german = Transcript(segments=(Segment(0.0, 2.0, "Guten Tag.", (Word("Guten", 0.1, 0.5), Word("Tag.", 0.6, 1.0))),),
                        duration_s=2.0, language=code)
    assert json.loads(render("openai_verbose_json", german)[0])["language"] == name  # OpenAI names it
    assert json.loads(render("whisper_json", german)[0])["language"] == code  # whisper gives the code
    assert json.loads(render("json", german)[0])["language"] == code
