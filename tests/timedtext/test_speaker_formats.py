"""Speakers in every download: txt paragraphs, SRT prefixes, WebVTT voice tags,
json fields and OpenAI's diarized_json, parsed back by the packages players and
clients use."""

import io
import json

import srt
import webvtt

from timedtext import Segment, Transcript
from timedtext.formats import render
from timedtext.words import Word


def spoken(text, start_s, speaker, step_s=0.4):
    words = tuple(Word(token, start_s + i * step_s, start_s + i * step_s + 0.3) for i, token in enumerate(text.split()))
    return Segment(start_s, words[-1].end_s, text, words, speaker=speaker)


def conversation():
    return Transcript(
        segments=(
            spoken("Hello, how are you?", 0.0, 0),
            spoken("Fine, thanks.", 2.0, 1),
            spoken("And you?", 3.0, 1),
            spoken("Good.", 5.0, 0),
        ),
        duration_s=6.0,
        speakers=("Ann <Lee>", "Speaker 2"),
    )


def test_txt_is_name_colon_text_paragraphs():
    text, _ = render("txt", conversation())
    assert text.split("\n\n") == [
        "Ann <Lee>: Hello, how are you?",
        "Speaker 2: Fine, thanks. And you?",
        "Ann <Lee>: Good.\n",
    ]


def test_srt_names_the_speaker_where_it_changes():
    subtitles = list(srt.parse(render("srt", conversation())[0]))
    assert [subtitle.content for subtitle in subtitles] == [
        "Ann <Lee>: Hello, how are you?",
        "Speaker 2: Fine, thanks. And you?",
        "Ann <Lee>: Good.",
    ]
    assert all(a.end <= b.start for a, b in zip(subtitles, subtitles[1:]))


def test_vtt_has_voice_tags_that_webvtt_py_reads():
    captions = webvtt.from_buffer(io.StringIO(render("vtt", conversation())[0])).captions
    assert [caption.voice for caption in captions] == ["Ann &lt;Lee&gt;", "Speaker 2", "Ann &lt;Lee&gt;"]
    assert [caption.text for caption in captions] == ["Hello, how are you?", "Fine, thanks. And you?", "Good."]


def test_a_cue_never_holds_two_speakers():
    short_turns = Transcript(
        segments=(spoken("yes", 0.0, 0), spoken("no", 0.5, 1), spoken("maybe", 1.0, 0)),
        duration_s=2.0,
        speakers=("A", "B"),
    )
    captions = webvtt.from_buffer(io.StringIO(render("vtt", short_turns)[0])).captions
    assert [(caption.voice, caption.text) for caption in captions] == [("A", "yes"), ("B", "no"), ("A", "maybe")]


def test_json_has_a_speaker_per_segment_and_word_and_the_list():
    document = json.loads(render("json", conversation())[0])
    assert document["speakers"] == [{"id": 0, "name": "Ann <Lee>"}, {"id": 1, "name": "Speaker 2"}]
    assert [segment["speaker"] for segment in document["segments"]] == ["Ann <Lee>", "Speaker 2", "Speaker 2", "Ann <Lee>"]
    assert {word["speaker"] for word in document["segments"][1]["words"]} == {"Speaker 2"}


def test_without_speakers_the_downloads_are_as_before():
    plain = Transcript(segments=(spoken("Hello there.", 0.0, None),), duration_s=1.0)
    assert render("txt", plain)[0] == "Hello there.\n"
    assert "<v" not in render("vtt", plain)[0]
    document = json.loads(render("json", plain)[0])
    assert document["speakers"] == [] and document["segments"][0]["speaker"] is None
    assert "speaker" not in document["segments"][0]["words"][0]


def test_openai_shapes_keep_theirs():
    verbose = json.loads(render("openai_verbose_json", conversation())[0])
    assert all("speaker" not in segment for segment in verbose["segments"])
    whisper = json.loads(render("whisper_json", conversation())[0])
    assert all("speaker" not in word for segment in whisper["segments"] for word in segment["words"])


def test_diarized_json_is_parsed_by_the_official_client():
    from openai.types.audio import TranscriptionDiarized

    parsed = TranscriptionDiarized.model_validate(json.loads(render("openai_diarized_json", conversation())[0]))
    assert [(segment.speaker, segment.text) for segment in parsed.segments] == [
        ("Ann <Lee>", "Hello, how are you?"),
        ("Speaker 2", "Fine, thanks."),
        ("Speaker 2", "And you?"),
        ("Ann <Lee>", "Good."),
    ]
    assert parsed.task == "transcribe" and parsed.duration == 6.0
    assert len({segment.id for segment in parsed.segments}) == 4


def test_stored_words_keep_their_speaker():
    word = Word("hi", 0.0, 0.5, speaker=1)
    assert Word.from_dict(word.as_dict()) == word
    assert "speaker" not in Word("hi", 0.0, 0.5).as_dict()
