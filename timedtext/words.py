"""Words and segments with times: the one shape a transcript has, from the
engine that heard it to the file a person downloads.

Times are seconds from the start of the source file. A Segment row in the
database stores its words as `Word.as_dict()` dicts: the readable words (after
punctuation and numbers) and, beside them, the words the model heard.

The words of an edited segment
------------------------------
A person may rewrite a segment's text. Its words are then the new text's
words, timed by one rule (`words_for_text`), the same in every download, API
answer and subtitle:

1. The new words are aligned with the segment's original words (the readable
   words the text stages made of what the model heard), ignoring case and
   punctuation. A word kept keeps its time.
2. Where new words replace original ones, they are paired in order, each taking
   the time of the word it replaces ("smyth" corrected to "Smith"); original
   words left over are dropped, new words left over count as added.
3. Added words share the pause between the words around them (the segment's
   start or end at its edges); where that pause is too short to hold them, they
   share the time of the word before them with it.

The segment's own start and end never move. Without any original words, the
words share the segment's time in proportion to their length.
"""

import difflib
import re
from dataclasses import dataclass

_NOT_WORD_CHARS = re.compile(r"[^\w']+")
# An added word needs at least this much of a pause to be placed in it.
MIN_ADDED_WORD_S = 0.1


@dataclass(frozen=True)
class Word:
    text: str
    start_s: float
    end_s: float
    speaker: int | None = None  # index into Transcript.speakers; None: not known

    def as_dict(self):
        stored = {"word": self.text, "start": round(self.start_s, 3), "end": round(self.end_s, 3)}
        if self.speaker is not None:
            stored["speaker"] = self.speaker
        return stored

    @classmethod
    def from_dict(cls, stored):
        return cls(stored["word"], float(stored["start"]), float(stored["end"]), stored.get("speaker"))


@dataclass(frozen=True)
class Segment:
    """A timed piece of a transcript: the unit stored as a Segment row and shown
    as one line on the job page. `words` are the words of `text` (readable:
    punctuated, numbers as digits); `heard_words` are what the speech model
    heard in the same time, before the text stages (the page's raw view)."""

    start_s: float
    end_s: float
    text: str
    words: tuple[Word, ...] = ()
    edited: bool = False  # the text is a person's, not the model's
    heard_words: tuple[Word, ...] = ()
    speaker: int | None = None  # index into Transcript.speakers; None: not known


@dataclass(frozen=True)
class Transcript:
    segments: tuple[Segment, ...]
    duration_s: float  # seconds of audio transcribed (after trimming)
    title: str = ""
    language: str = "en"
    summary: str = ""  # a summary of the text, when one was made
    # Speakers' names by index (Segment.speaker, Word.speaker): "Speaker 1"
    # until a person names them. Empty: speakers were not told apart.
    speakers: tuple[str, ...] = ()

    def speaker_name(self, speaker):
        """The name of speaker index `speaker`, or None when not known."""
        if speaker is None or not 0 <= speaker < len(self.speakers):
            return None
        return self.speakers[speaker]

    @property
    def text(self):
        return " ".join(segment.text for segment in self.segments if segment.text)

    @property
    def words(self):
        return [word for segment in self.segments for word in segment.words]


def comparable(text):
    """A word as alignment compares it: lower case, without punctuation."""
    return _NOT_WORD_CHARS.sub("", text.lower())


def words_for_text(text, original, start_s, end_s):
    """The words of `text`, timed from the segment's `original` words (see the module docstring)."""
    tokens = text.split()
    if [word.text for word in original] == tokens:
        return tuple(original)
    partners = original_partners(tokens, original)
    timed, position = [], 0
    while position < len(tokens):
        if partners[position] is not None:
            partner = partners[position]
            timed.append(Word(tokens[position], partner.start_s, partner.end_s))
            position += 1
            continue
        run_end = position
        while run_end < len(tokens) and partners[run_end] is None:
            run_end += 1
        added = tokens[position:run_end]
        pause_start_s = timed[-1].end_s if timed else start_s
        pause_end_s = partners[run_end].start_s if run_end < len(tokens) else end_s
        if not timed or pause_end_s - pause_start_s >= MIN_ADDED_WORD_S * len(added):
            timed += shared_span(added, pause_start_s, max(pause_start_s, pause_end_s))
        else:
            previous = timed.pop()
            timed += shared_span([previous.text, *added], previous.start_s, previous.end_s)
        position = run_end
    return tuple(timed)


def original_partners(tokens, original):
    """For each token, the original word whose time it takes, or None for an added word."""
    matcher = difflib.SequenceMatcher(
        a=[comparable(token) for token in tokens], b=[comparable(word.text) for word in original], autojunk=False
    )
    partners = [None] * len(tokens)
    for tag, token_start, token_end, original_start, original_end in matcher.get_opcodes():
        if tag in ("equal", "replace"):
            paired = min(token_end - token_start, original_end - original_start)
            partners[token_start : token_start + paired] = original[original_start : original_start + paired]
    return partners


def shared_span(tokens, start_s, end_s):
    """`tokens` sharing [start_s, end_s] in proportion to their length."""
    weights = [len(token) + 1 for token in tokens]
    total = sum(weights)
    words, position_s = [], start_s
    for token, weight in zip(tokens, weights):
        length_s = (end_s - start_s) * weight / total
        words.append(Word(token, position_s, position_s + length_s))
        position_s += length_s
    return tuple(words)
