"""Subtitle line-breaking: cues of at most two lines of about 42 characters and
at most about 7 seconds, broken at word boundaries, preferably at pauses."""

import pytest

from timedtext import Word
from timedtext.cues import MAX_CHARS_PER_LINE, CueOptions, build_cues, wrap_lines


def spoken(text, start_s=0.0, word_s=0.3, gap_s=0.05):
    words, position_s = [], start_s
    for token in text.split():
        words.append(Word(token, position_s, position_s + word_s))
        position_s += word_s + gap_s
    return words


LONG_TEXT = (
    "the quick brown fox jumps over the lazy dog and then it runs away into the forest "
    "where nobody can find it ever again because it is very clever indeed and it knows "
    "every path between the old oak trees and the river that flows down to the sea"
)


def assert_readable(cues, words, options=CueOptions()):
    assert " ".join(" ".join(cue.lines) for cue in cues).split() == [word.text for word in words]
    for cue in cues:
        assert 1 <= len(cue.lines) <= options.max_lines
        assert all(len(line) <= options.max_chars for line in cue.lines)
        assert cue.end_s - cue.start_s <= options.max_cue_s + 1e-9
        assert cue.end_s > cue.start_s
    for previous, following in zip(cues, cues[1:]):
        assert previous.end_s <= following.start_s


def test_long_segment_becomes_several_two_line_cues():
    words = spoken(LONG_TEXT)
    cues = build_cues(words)
    assert len(cues) >= 3
    assert_readable(cues, words)
    assert any(len(cue.lines) == 2 for cue in cues)


def test_cues_are_balanced_not_one_full_cue_and_an_orphan():
    # 90 characters: two cues of about 45, not 84 and 6.
    words = spoken("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixt")
    cues = build_cues(words)
    assert len(cues) == 2
    sizes = [len(" ".join(cue.lines)) for cue in cues]
    assert abs(sizes[0] - sizes[1]) < 20


def test_slow_speech_is_cut_by_duration():
    words = spoken("so we have a long slow sentence here", word_s=1.2, gap_s=0.1)
    cues = build_cues(words)
    assert len(cues) >= 2
    assert_readable(cues, words)


def test_a_long_pause_ends_a_cue():
    words = spoken("hello there") + spoken("general kenobi", start_s=4.0)
    cues = build_cues(words)
    assert [" ".join(cue.lines) for cue in cues] == ["hello there", "general kenobi"]
    assert cues[0].end_s <= 4.0


def test_short_segment_is_one_line():
    words = spoken("all that glitters is not gold")
    cues = build_cues(words)
    assert [cue.lines for cue in cues] == [("all that glitters is not gold",)]
    assert cues[0].start_s == 0.0 and cues[0].end_s == pytest.approx(words[-1].end_s)


def test_single_short_word_stays_on_screen_for_a_second():
    cues = build_cues([Word("yes", 2.0, 2.2)])
    assert [cue.lines for cue in cues] == [("yes",)]
    assert cues[0].end_s == pytest.approx(3.0)


def test_single_word_longer_than_a_line_is_kept_whole():
    word = "x" * (MAX_CHARS_PER_LINE + 10)
    cues = build_cues([Word(word, 0.0, 1.0)])
    assert [cue.lines for cue in cues] == [(word,)]


def test_stretching_never_overlaps_the_next_cue():
    words = [Word("yes", 0.0, 0.2), Word("no", 0.6, 0.8)]
    cues = build_cues(words, CueOptions(max_chars=10, max_lines=1))
    assert len(cues) == 1 or cues[0].end_s <= cues[1].start_s


def test_wrap_lines_balances_two_lines():
    lines = wrap_lines("the quick brown fox jumps over the lazy dog and the cat".split(), 42, 2)
    assert len(lines) == 2
    assert abs(len(lines[0]) - len(lines[1])) <= 8


def test_wrap_lines_refuses_what_does_not_fit():
    assert wrap_lines(["word"] * 30, 42, 2) is None


def test_options_are_validated():
    with pytest.raises(ValueError):
        CueOptions(max_chars=3)
    with pytest.raises(ValueError):
        CueOptions(max_cue_s=0)


def test_narrow_options_are_respected():
    words = spoken(LONG_TEXT)
    options = CueOptions(max_chars=20, max_lines=1, max_cue_s=3.0)
    cues = build_cues(words, options)
    assert_readable(cues, words, options)


def test_an_over_long_word_among_others_gets_its_own_cue():
    long_word = "y" * (MAX_CHARS_PER_LINE + 5)
    words = spoken(f"before it {long_word} and after it")
    cues = build_cues(words)
    assert (long_word,) in [cue.lines for cue in cues]
    assert " ".join(" ".join(cue.lines) for cue in cues).split() == [word.text for word in words]


def test_cues_break_at_sentence_ends_where_that_costs_no_extra_cue():
    words = spoken(
        "We went down to the river early this morning. The water was cold, but the children swam "
        "anyway and laughed the whole time."
    )
    cues = build_cues(words)
    assert_readable(cues, words)
    assert cues[0].text.replace("\n", " ").endswith("morning.")
    assert cues[1].text.replace("\n", " ").startswith("The water")
    unpunctuated = build_cues([Word(w.text.rstrip(".,"), w.start_s, w.end_s) for w in words])
    assert len(cues) == len(unpunctuated)  # still the fewest cues that fit
    assert not unpunctuated[0].text.replace("\n", " ").endswith("morning")  # balanced, not at the sentence


def test_a_short_sentence_does_not_get_a_cue_of_its_own():
    words = spoken("Yes. I think so too.")
    assert [cue.text for cue in build_cues(words)] == ["Yes. I think so too."]
