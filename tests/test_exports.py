"""Downloads as pure functions of segments: SRT and WebVTT parse with their
reference parsers, plain text is paragraphs, JSON carries every segment."""

import html
import json
from dataclasses import dataclass, field

import pytest
import srt
import webvtt

from transcripts import exports
from transcripts.subtitles import CueOptions


@dataclass
class Row:
    """Shaped like a Segment row: words are dicts, original_text marks edits."""

    index: int
    start_s: float
    end_s: float
    text: str
    original_text: str = None
    words: list = field(default_factory=list)

    def __post_init__(self):
        if self.original_text is None:
            self.original_text = self.text


def row(index, start_s, text, word_s=0.3, gap_s=0.05):
    words, position_s = [], start_s
    for token in text.split():
        words.append({"word": token, "start": position_s, "end": position_s + word_s})
        position_s += word_s + gap_s
    return Row(index, start_s, position_s, text, words=words)


SEGMENTS = [
    row(0, 0.5, "the quick brown fox jumps over the lazy dog and runs far away into the deep green forest"),
    row(1, 9.0, "she sells sea shells"),
    row(2, 14.0, "yes"),
]


def words_of(text):
    return text.split()


def test_srt_parses_and_keeps_every_word_in_order():
    content, content_type = exports.render("srt", SEGMENTS)
    assert content_type.startswith("application/x-subrip")
    cues = list(srt.parse(content))
    assert [cue.index for cue in cues] == list(range(1, len(cues) + 1))
    assert words_of(" ".join(cue.content for cue in cues)) == words_of(" ".join(s.text for s in SEGMENTS))
    assert cues[0].start.total_seconds() == pytest.approx(0.5)
    assert all(cue.end > cue.start for cue in cues)
    assert all(len(line) <= 42 for cue in cues for line in cue.content.splitlines())
    assert "00:00:00,500 --> " in content


def test_vtt_parses_with_the_same_cues_as_srt():
    vtt_text, content_type = exports.render("vtt", SEGMENTS)
    assert content_type.startswith("text/vtt")
    assert vtt_text.startswith("WEBVTT\n")
    captions = webvtt.from_string(vtt_text).captions
    srt_cues = list(srt.parse(exports.to_srt(SEGMENTS)))
    assert [caption.text for caption in captions] == [cue.content for cue in srt_cues]
    assert [caption.start_in_seconds for caption in captions] == [int(c.start.total_seconds()) for c in srt_cues]


def test_vtt_escapes_markup_in_edited_text():
    edited = Row(0, 0.0, 2.0, "a <b> & c --> d", original_text="a b c d")
    captions = webvtt.from_string(exports.to_vtt([edited])).captions
    assert captions[0].text == "a &lt;b&gt; &amp; c --&gt; d"
    assert html.unescape(captions[0].text) == "a <b> & c --> d"


def test_edited_segment_uses_its_new_text_with_proportional_times():
    edited = Row(0, 10.0, 14.0, "completely different words here", original_text="x y", words=[
        {"word": "x", "start": 10.0, "end": 10.5}, {"word": "y", "start": 13.0, "end": 14.0}])
    cues = list(srt.parse(exports.to_srt([edited])))
    assert [cue.content for cue in cues] == ["completely different words here"]
    assert cues[0].start.total_seconds() == pytest.approx(10.0)
    assert cues[0].end.total_seconds() == pytest.approx(14.0)


def test_segment_without_word_times_is_split_by_characters():
    long_text = " ".join(["word"] * 40)
    cues = list(srt.parse(exports.to_srt([Row(0, 0.0, 20.0, long_text)])))
    assert len(cues) >= 3
    assert all((cue.end - cue.start).total_seconds() <= 7.0 for cue in cues)
    assert cues[-1].end.total_seconds() == pytest.approx(20.0)


def test_cue_options_change_the_cues():
    default = list(srt.parse(exports.to_srt(SEGMENTS)))
    narrow = list(srt.parse(exports.to_srt(SEGMENTS, CueOptions(max_chars=20, max_lines=1, max_cue_s=2.0))))
    assert len(narrow) > len(default)
    assert all(len(cue.content) <= 20 for cue in narrow)


def test_txt_is_paragraphs_split_at_long_pauses():
    content, content_type = exports.render("txt", SEGMENTS)
    assert content_type.startswith("text/plain")
    paragraphs = content.strip().split("\n\n")
    assert paragraphs == [segment.text for segment in SEGMENTS]


def test_txt_of_a_long_talk_is_not_one_line():
    segments = [row(index, index * 30.0, " ".join(["talking"] * 70), gap_s=0.05) for index in range(6)]
    paragraphs = exports.to_txt(segments).strip().split("\n\n")
    assert len(paragraphs) >= 3
    assert all(len(paragraph) < 1200 for paragraph in paragraphs)


def test_json_has_title_duration_and_segments():
    edited = Row(3, 20.0, 21.0, "fixed", original_text="fixd", words=[{"word": "fixd", "start": 20.0, "end": 21.0}])
    content, content_type = exports.render("json", [*SEGMENTS, edited], title="A talk", duration_s=22.5)
    assert content_type == "application/json"
    document = json.loads(content)
    assert document["title"] == "A talk"
    assert document["duration"] == 22.5
    assert [segment["id"] for segment in document["segments"]] == [0, 1, 2, 3]
    assert document["segments"][1]["text"] == "she sells sea shells"
    assert document["segments"][1]["start"] == 9.0
    assert document["segments"][1]["words"][0] == {"word": "she", "start": 9.0, "end": 9.3}
    assert document["segments"][3]["edited"] is True and document["segments"][3]["words"] == []
    assert document["text"].endswith("yes fixed")


def test_pipeline_segments_render_too():
    # Imported here: the pipeline package loads torch.
    from workers.pipeline.types import TimedSegment, Word

    segment = TimedSegment(1.0, 2.0, "hello world", (Word("hello", 1.0, 1.4), Word("world", 1.5, 2.0)))
    cues = list(srt.parse(exports.render("srt", [segment])[0]))
    assert [cue.content for cue in cues] == ["hello world"]
    document = json.loads(exports.render("json", [segment], title="t")[0])
    assert document["segments"][0]["words"][1] == {"word": "world", "start": 1.5, "end": 2.0}
    assert document["duration"] == 2.0


def test_empty_transcript_renders_empty_documents():
    assert exports.to_txt([]) == ""
    assert list(srt.parse(exports.to_srt([]))) == []
    assert webvtt.from_string(exports.to_vtt([])).captions == []


def test_unknown_format_is_refused():
    with pytest.raises(ValueError):
        exports.render("doc", SEGMENTS)


def test_timestamps_past_an_hour():
    assert exports.timestamp(3723.4567, ",") == "01:02:03,457"
    assert exports.timestamp(59.9996, ".") == "00:01:00.000"
