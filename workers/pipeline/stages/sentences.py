"""Segments re-cut at sentence ends, once punctuation has marked them.

The engine's segments are its chunks (25-45 s, cut at silences, blind to
sentences). After punctuation a segment is one or more whole sentences,
within `SentenceOptions`' limits; a sentence longer than them is cut at its
longest pauses. Segments stay contiguous: each boundary lies in the pause
between two words (a segment starts at most max_lead_s before its first word),
the first starts and the last ends where the transcript does. The words the
model heard go with the segment their start falls in.
"""

from dataclasses import dataclass

from timedtext import Segment

SENTENCE_ENDS = frozenset(".?!")
CLOSING = "\"')]”’"


@dataclass(frozen=True)
class SentenceOptions:
    """max_s: longest segment, first word's start to last word's end.
    max_chars: most characters of text in a segment.
    pause_s: a pause at least this long between two sentences ends a segment.
    max_lead_s: a segment starts at most this long before its first word; the
    rest of a long pause stays with the segment before it."""

    max_s: float = 30.0
    max_chars: int = 400
    pause_s: float = 2.0
    max_lead_s: float = 1.0

    def __post_init__(self):
        if self.max_s <= 0 or self.max_chars < 1 or self.pause_s <= 0 or self.max_lead_s < 0:
            raise ValueError("need max_s > 0, max_chars >= 1, pause_s > 0 and max_lead_s >= 0")


def ends_sentence(text):
    return text.rstrip(CLOSING)[-1:] in SENTENCE_ENDS


def sentences_of(words):
    sentences, current = [], []
    for word in words:
        current.append(word)
        if ends_sentence(word.text):
            sentences.append(current)
            current = []
    if current:
        sentences.append(current)
    return sentences


def chars(words):
    return sum(len(word.text) for word in words) + len(words) - 1


def fits(words, options):
    return words[-1].end_s - words[0].start_s <= options.max_s and chars(words) <= options.max_chars


def cut_to_fit(words, options):
    """`words` (one sentence) in pieces that fit, cut at the longest pause each time."""
    if len(words) == 1 or fits(words, options):
        return [words]
    cut = max(range(1, len(words)), key=lambda i: (words[i].start_s - words[i - 1].end_s, -abs(2 * i - len(words))))
    return cut_to_fit(words[:cut], options) + cut_to_fit(words[cut:], options)


def grouped(words, options):
    """Runs of whole sentences (or pieces of an over-long one) within the limits."""
    groups = []
    for sentence in sentences_of(words):
        for piece in cut_to_fit(sentence, options):
            if groups:
                candidate = groups[-1] + piece
                pause_s = piece[0].start_s - groups[-1][-1].end_s
                if pause_s < options.pause_s and ends_sentence(groups[-1][-1].text) and fits(candidate, options):
                    groups[-1] = candidate
                    continue
            groups.append(piece)
    return groups


def sentence_segments(segments, options=SentenceOptions()) -> tuple[Segment, ...]:
    """`segments` (in time order) re-cut at sentence ends; unchanged when they have no words."""
    words = [word for segment in segments for word in segment.words]
    if not words:
        return tuple(segments)
    heard = [word for segment in segments for word in segment.heard_words]
    groups = grouped(words, options)
    boundaries = [segments[0].start_s]
    for before, after in zip(groups, groups[1:]):
        pause_start_s, pause_end_s = before[-1].end_s, after[0].start_s
        middle_s = (pause_start_s + pause_end_s) / 2
        boundaries.append(min(pause_end_s, max(middle_s, pause_end_s - options.max_lead_s)))
    boundaries.append(segments[-1].end_s)
    result, position = [], 0
    for index, group in enumerate(groups):
        end_s = boundaries[index + 1]
        last = index == len(groups) - 1
        first_heard = position
        while position < len(heard) and (last or heard[position].start_s < end_s):
            position += 1
        result.append(
            Segment(
                start_s=boundaries[index],
                end_s=end_s,
                text=" ".join(word.text for word in group),
                words=tuple(group),
                heard_words=tuple(heard[first_heard:position]),
            )
        )
    return tuple(result)
