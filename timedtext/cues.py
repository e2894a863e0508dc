"""Subtitle cues that read well: at most two lines of about 42 characters, on
screen for at most about 7 seconds, broken at word boundaries and preferably at
sentence ends, clause ends and pauses. Pure functions of timed words; formats.py
turns cues into SRT and WebVTT.
"""

from dataclasses import dataclass

MAX_CHARS_PER_LINE = 42
MAX_LINES = 2
MAX_CUE_S = 7.0
# A pause this long always ends a cue: a subtitle must not hang over silence.
MAX_PAUSE_IN_CUE_S = 1.5
# Readers need a moment even for one short word; a cue is stretched to this
# length when the next cue leaves room.
MIN_CUE_S = 1.0
# A gap shorter than this between two cues is closed, so that subtitles do not flicker.
MIN_GAP_S = 0.5

# Costs for choosing where cues break (see _best_breaks): every cue costs
# CUE_COST, so the fewest cues win; among as many cues, breaks after a sentence
# end win over balanced lengths (a new sentence starts a new cue where that
# costs no extra cue), then breaks after a clause (",", ";", ":") and at pauses.
CUE_COST = 10_000.0
SENTENCE_END_BONUS = 6_000.0
CLAUSE_END_BONUS = 1_500.0
PAUSE_BONUS_PER_S = 400.0
CLOSING_MARKS = "\"')]”’"


@dataclass(frozen=True)
class Cue:
    start_s: float
    end_s: float
    lines: tuple[str, ...]

    @property
    def text(self):
        return "\n".join(self.lines)


@dataclass(frozen=True)
class CueOptions:
    """max_chars: characters per line; max_lines: lines per cue; max_cue_s:
    longest time a cue stays on screen (a single word that is longer is kept whole)."""

    max_chars: int = MAX_CHARS_PER_LINE
    max_lines: int = MAX_LINES
    max_cue_s: float = MAX_CUE_S

    def __post_init__(self):
        if not 10 <= self.max_chars <= 200:
            raise ValueError("max_chars must be between 10 and 200")
        if not 1 <= self.max_lines <= 4:
            raise ValueError("max_lines must be between 1 and 4")
        if not 1.0 <= self.max_cue_s <= 60.0:
            raise ValueError("max_cue_s must be between 1 and 60 seconds")


def wrap_lines(words, max_chars, max_lines):
    """The words as at most `max_lines` lines of at most `max_chars`, as even in
    length as possible; None when they do not fit. A single word longer than a
    line is allowed a line of its own."""
    if len(words) == 1:
        return (words[0],)
    total = sum(len(word) for word in words) + len(words) - 1
    if total <= max_chars:
        return (" ".join(words),)
    longest_word = max(len(word) for word in words)
    if longest_word > max_chars or len(_greedy_wrap(words, max_chars)) > max_lines:
        return None
    # The narrowest width that still fits in max_lines gives balanced lines.
    low, high = max(longest_word, -(-total // max_lines)), max_chars
    while low < high:
        middle = (low + high) // 2
        if len(_greedy_wrap(words, middle)) <= max_lines:
            high = middle
        else:
            low = middle + 1
    return tuple(_greedy_wrap(words, low))


def _greedy_wrap(words, width):
    lines, current = [], ""
    for word in words:
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    lines.append(current)
    return lines


def build_cues(words, options=CueOptions()):
    """Cues for a stream of timed words (in time order, across segments)."""
    cues = []
    for run in _split_at_long_pauses(words):
        for start, end in _best_breaks(run, options):
            group = run[start:end]
            lines = wrap_lines([word.text for word in group], options.max_chars, options.max_lines)
            cues.append(Cue(group[0].start_s, group[-1].end_s, lines))
    return _smooth_timing(cues)


def _split_at_long_pauses(words):
    runs, current = [], []
    for word in words:
        if current and word.start_s - current[-1].end_s > MAX_PAUSE_IN_CUE_S:
            runs.append(current)
            current = []
        current.append(word)
    if current:
        runs.append(current)
    return runs


def break_bonus(text):
    """How much a cue break after a word with this text is worth."""
    last = text.rstrip(CLOSING_MARKS)[-1:]
    if last in ".?!":
        return SENTENCE_END_BONUS
    if last in ",;:":
        return CLAUSE_END_BONUS
    return 0.0


def _best_breaks(words, options):
    """Where to break a run of words into cues: the fewest cues, then breaks
    at sentence ends, the most even lengths, breaks at clause ends and the
    longest pauses (dynamic programming over break positions; a cue never spans
    more words than fit on its lines).

    The inner loop is written for speed: a 2,000-segment transcript has some
    25,000 words, and the SRT download must stay well under a second."""
    max_chars, max_lines, max_cue_s = options.max_chars, options.max_lines, options.max_cue_s
    capacity = max_chars * max_lines
    lengths = [len(word.text) for word in words]
    starts_s = [word.start_s for word in words]
    ends_s = [word.end_s for word in words]
    best_cost = [0.0] + [float("inf")] * len(words)
    best_start = [0] * (len(words) + 1)
    for end in range(1, len(words) + 1):
        pause_after_s = starts_s[end] - ends_s[end - 1] if end < len(words) else MAX_PAUSE_IN_CUE_S
        bonus = PAUSE_BONUS_PER_S * pause_after_s if pause_after_s > 0 else 0.0
        bonus += break_bonus(words[end - 1].text)
        cue_end_s = ends_s[end - 1]
        # The group words[start:end] grows to the left. Lines are filled from
        # the right, which, like filling from the left, uses the fewest lines.
        chars, lines, line_chars, longest = -1, 1, -1, 0
        for start in range(end - 1, -1, -1):
            length = lengths[start]
            chars += length + 1
            if length > longest:
                longest = length
            if line_chars < 0:
                line_chars = length
            elif line_chars + 1 + length <= max_chars:
                line_chars += 1 + length
            else:
                lines += 1
                line_chars = length
            # A longer group fits even less: stop at the first misfit. An
            # over-long word only ever stands alone.
            if start < end - 1 and (lines > max_lines or longest > max_chars or cue_end_s - starts_s[start] > max_cue_s):
                break
            slack = capacity - chars if chars < capacity else 0
            cost = best_cost[start] + CUE_COST + slack * slack - bonus
            if cost < best_cost[end]:
                best_cost[end] = cost
                best_start[end] = start
    breaks, end = [], len(words)
    while end > 0:
        breaks.append((best_start[end], end))
        end = best_start[end]
    return breaks[::-1]


def _smooth_timing(cues):
    """Stretch very short cues and close tiny gaps, never overlapping the next cue."""
    smoothed = []
    for index, cue in enumerate(cues):
        next_start_s = cues[index + 1].start_s if index + 1 < len(cues) else None
        end_s = max(cue.end_s, cue.start_s + MIN_CUE_S)
        if next_start_s is not None:
            if next_start_s - end_s < MIN_GAP_S:
                end_s = next_start_s
            end_s = min(end_s, next_start_s)
        end_s = max(end_s, cue.start_s + 0.001)  # never zero-length
        smoothed.append(Cue(cue.start_s, end_s, cue.lines))
    return smoothed
