"""The text stages of a transcription run, in order, each failing alone:

    numbers as digits (per segment) -> punctuation and capitals (the whole
    transcript) -> segments re-cut at sentence ends

A stage that cannot load its model or raises is skipped with a StageNote; the
words go on to the next stage as they were. After each stage the words are
checked to span the words before it, in order: a stage that would lose or
re-time a word is a failed stage, not a damaged transcript.
"""

import traceback
from dataclasses import replace

from ..errors import ModelLoadError
from ..types import StageNote, TextOptions
from .numerals import numbers_as_digits
from .punctuation import load_punctuation_model, restore_punctuation
from .sentences import sentence_segments

NUMBERS_FAILED = "Numbers were left as words: that step failed on our side."
PUNCTUATION_UNAVAILABLE = (
    "Punctuation and capitals were skipped: the punctuation model is not available on the server right now."
)
PUNCTUATION_FAILED = "Punctuation and capitals were skipped: that step failed on our side."


class TimesChanged(Exception):
    """A stage returned words that are not runs of its input words, in order."""


def check_same_times(before, after):
    """Every word of `after` spans a run of consecutive words of `before`
    (start of the first, end of the last), the runs in order, covering all."""
    position = 0
    for word in after:
        if position >= len(before) or before[position].start_s != word.start_s:
            raise TimesChanged(f"{word!r} does not start where the next heard word does")
        while position < len(before) and before[position].end_s != word.end_s:
            position += 1
        if position == len(before):
            raise TimesChanged(f"{word!r} does not end where a heard word does")
        position += 1
    if position != len(before):
        raise TimesChanged(f"{len(before) - position} words were lost")


def with_numbers(segments, options: TextOptions):
    result = []
    for segment in segments:
        words = tuple(numbers_as_digits(segment.words, options.number_options))
        check_same_times(segment.words, words)
        result.append(replace(segment, words=words, text=" ".join(word.text for word in words)))
    return tuple(result)


def with_punctuation(segments, options: TextOptions):
    model = load_punctuation_model(options.punctuation_model)
    words = [word for segment in segments for word in segment.words]
    restored = restore_punctuation(words, model, options.punctuation_options)
    check_same_times(words, restored)
    result, position = [], 0
    for segment in segments:
        own = tuple(restored[position : position + len(segment.words)])
        position += len(segment.words)
        result.append(replace(segment, words=own, text=" ".join(word.text for word in own)))
    return sentence_segments(result, options.sentence_options)


def make_readable(segments, options: TextOptions, on_note=None):
    """`segments` (with their heard_words set) after the stages `options` ask for."""
    segments = tuple(segments)

    def note(stage, message, detail):
        if on_note is not None:
            on_note(StageNote(stage, message, detail))

    if options.numbers:
        try:
            segments = with_numbers(segments, options)
        except Exception:
            note("numbers", NUMBERS_FAILED, traceback.format_exc())
    if options.punctuation_model:
        try:
            segments = with_punctuation(segments, options)
        except ModelLoadError as exc:
            note("punctuation", PUNCTUATION_UNAVAILABLE, str(exc))
        except Exception:
            note("punctuation", PUNCTUATION_FAILED, traceback.format_exc())
    return segments
