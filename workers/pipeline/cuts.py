"""Where to cut the audio into chunks for the model: the tutorial's rule."""

from .types import Span, SplitOptions

LONG_SILENCE_S = 3.5  # a silence longer than this gets two cuts …
LONG_SILENCE_INSET_S = 1.5  # … this far inside each of its ends


def silence_cut_points(silences, duration_s):
    """Candidate cuts: the middle of each silence, or two cuts inside a long one
    (so that a long pause is not glued to either neighbour). Only points strictly
    inside the audio; a cut at 0 or at the end would make an empty chunk."""
    points = []
    for silence in silences:
        if silence.duration_s > LONG_SILENCE_S:
            points += [silence.start_s + LONG_SILENCE_INSET_S, silence.end_s - LONG_SILENCE_INSET_S]
        else:
            points.append((silence.start_s + silence.end_s) / 2)
    return sorted(point for point in points if 0 < point < duration_s)


def plan_cuts(silences: list[Span], duration_s: float, options: SplitOptions = SplitOptions()) -> list[float]:
    """Cut times in seconds (relative to the audio given, increasing), so that
    every chunk lasts between min_space_s and max_space_s.

    Walking from the start, each chunk ends at the silence cut nearest to the end
    of the window [min_space_s, max_space_s] after the previous cut; with no
    silence in the window the cut is forced at max_space_s.

    The tutorial merges a final tail shorter than min_space_s into the previous
    chunk, which can make that chunk longer than max_space_s. Here max_space_s
    wins: the tail merges when the merged chunk fits; otherwise the last two
    chunks are split again, at the silence cut nearest the window end that keeps
    both within [min_space_s, max_space_s], or else in the middle. (A middle cut
    can leave both a little under min_space_s: when max_space_s < 2 × min_space_s
    some lengths cannot be split within both bounds.)

    Audio no longer than max_space_s is one chunk; a silence at the very start or
    end never yields a cut, since its cut is closer to the edge than min_space_s.
    """
    candidates = silence_cut_points(silences, duration_s)
    cuts = []
    position_s = 0.0
    while duration_s - position_s > options.max_space_s:
        position_s = next_cut(candidates, position_s, options.min_space_s, options.max_space_s)
        cuts.append(position_s)
    if cuts and duration_s - cuts[-1] < options.min_space_s:
        merged_start_s = cuts[-2] if len(cuts) > 1 else 0.0
        cuts.pop()
        if duration_s - merged_start_s > options.max_space_s:
            cuts.append(resplit(candidates, merged_start_s, duration_s, options))
    return cuts


def next_cut(candidates, position_s, min_space_s, max_space_s):
    in_window = [c for c in candidates if position_s + min_space_s <= c <= position_s + max_space_s]
    return in_window[-1] if in_window else position_s + max_space_s


def resplit(candidates, start_s, end_s, options):
    """One cut splitting [start_s, end_s] (longer than max_space_s) in two."""
    fitting = [
        c
        for c in candidates
        if options.min_space_s <= c - start_s <= options.max_space_s
        and options.min_space_s <= end_s - c <= options.max_space_s
    ]
    return fitting[-1] if fitting else (start_s + end_s) / 2


def chunk_spans(cuts: list[float], duration_s: float, offset_s: float = 0.0) -> list[Span]:
    """The chunks between cuts, covering [0, duration_s] with no gap or overlap,
    shifted by offset_s (a trim start) so that times are relative to the file."""
    edges = [0.0, *cuts, duration_s]
    return [Span(offset_s + start, offset_s + end) for start, end in zip(edges, edges[1:]) if end > start]
