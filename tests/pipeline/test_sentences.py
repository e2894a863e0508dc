"""Segments re-cut at sentence ends (stages/sentences.py)."""

from timedtext import Segment, Word
from workers.pipeline.stages.sentences import SentenceOptions, sentence_segments


def timed(text, start_s, step_s=0.5):
    return tuple(Word(token, start_s + i * step_s, start_s + i * step_s + 0.4) for i, token in enumerate(text.split()))


def chunk(start_s, end_s, words):
    lowered = tuple(Word(w.text.lower().strip(".,?!"), w.start_s, w.end_s) for w in words)
    return Segment(start_s, end_s, " ".join(w.text for w in words), words, heard_words=lowered)


def test_a_sentence_cut_by_a_chunk_boundary_is_whole_again():
    first = timed("We met on Monday. The weather", 0.2)
    second = timed("was fine. Then it rained.", 3.5)
    segments = sentence_segments((chunk(0.0, 3.2, first), chunk(3.2, 6.5, second)), SentenceOptions(max_s=3.0))
    assert [s.text for s in segments] == ["We met on Monday.", "The weather was fine.", "Then it rained."]
    # Every word keeps its time; the heard words go with their segment.
    assert [w for s in segments for w in s.words] == list(first + second)
    assert [w.text for w in segments[1].heard_words] == ["the", "weather", "was", "fine"]
    # Contiguous: the transcript's own start and end, boundaries in the pauses.
    assert segments[0].start_s == 0.0 and segments[-1].end_s == 6.5
    for before, after in zip(segments, segments[1:]):
        assert before.end_s == after.start_s
        assert before.words[-1].end_s <= after.start_s <= after.words[0].start_s


def test_short_sentences_share_a_segment_within_the_limits():
    words = timed("Yes. I agree. Let us go now.", 0.0)
    segments = sentence_segments((chunk(0.0, 4.0, words),), SentenceOptions(max_s=30.0, max_chars=15))
    assert [s.text for s in segments] == ["Yes. I agree.", "Let us go now."]


def test_a_long_pause_between_sentences_ends_a_segment_and_the_lead_in_is_short():
    words = timed("Hello there.", 0.0) + timed("Anyone home?", 20.0)
    segments = sentence_segments((chunk(0.0, 22.0, words),), SentenceOptions(pause_s=2.0, max_lead_s=1.0))
    assert [s.text for s in segments] == ["Hello there.", "Anyone home?"]
    assert segments[1].start_s == 19.0  # one second before its first word, not the middle of the pause


def test_a_sentence_over_the_limit_is_cut_at_its_longest_pause():
    words = timed("and so we went on and on", 0.0) + timed("until the end of the day.", 4.0)
    segments = sentence_segments((chunk(0.0, 7.0, words),), SentenceOptions(max_s=4.0))
    assert [s.text for s in segments] == ["and so we went on and on", "until the end of the day."]


def test_segments_without_words_are_left_as_they_are():
    silent = (Segment(0.0, 30.0, ""), Segment(30.0, 60.0, ""))
    assert sentence_segments(silent) == silent
