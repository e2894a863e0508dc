"""From voice embeddings to who spoke when: clustering and turns. Plain numpy
and scipy, no models, so every rule here is tested with hand-made embeddings."""

from dataclasses import dataclass

import numpy as np

from ..types import Span, SpeakerOptions

# Above this many windows the distance matrix (n²/2 floats) would grow with
# the file: a spread sample is clustered and every window joins its nearest
# centre. 3000 windows are 12 minutes of speech and a 36 MB matrix.
MAX_CLUSTERED_WINDOWS = 3000
# Who speaks is decided on this grid.
FRAME_S = 0.05
# A run of frames shorter than this is not a turn (bench/: 1-s turns survive).
MIN_TURN_S = 0.4


@dataclass(frozen=True)
class Turn:
    start_s: float
    end_s: float
    speaker: int  # 0 for the first voice heard, 1 for the next new one, ...


def window_spans(regions, window_s, step_s):
    """Windows over each speech region, every step_s; the last one ends at the
    region's end, and a region shorter than a window is one shorter window."""
    windows = []
    for region in regions:
        if region.duration_s <= window_s:
            windows.append(region)
            continue
        starts = np.arange(region.start_s, region.end_s - window_s, step_s)
        windows += [Span(float(s), float(s) + window_s) for s in starts]
        windows.append(Span(region.end_s - window_s, region.end_s))
    return windows


def cluster(embeddings, options: SpeakerOptions):
    """A speaker index per embedding (rows L2-normalised)."""
    count = len(embeddings)
    if count == 0:
        return np.zeros(0, dtype=int)
    if count == 1:
        return np.zeros(1, dtype=int)
    if count <= MAX_CLUSTERED_WINDOWS:
        return cluster_all(embeddings, options)
    sample = np.linspace(0, count - 1, MAX_CLUSTERED_WINDOWS).round().astype(int)
    sample_labels = cluster_all(embeddings[sample], options)
    return nearest_centre(embeddings, centres(embeddings[sample], sample_labels))


def cluster_all(embeddings, options):
    from scipy.cluster.hierarchy import fcluster, linkage

    tree = linkage(embeddings, method="average", metric="cosine")
    labels = fcluster(tree, t=options.threshold, criterion="distance")
    fewest, most = options.bounds
    found = labels.max()
    wanted = max(found, fewest or 1)
    if most:
        wanted = min(wanted, most)
    # Never more speakers than windows: asking for more is not an error.
    wanted = min(wanted, len(embeddings))
    if wanted != found:
        labels = fcluster(tree, t=wanted, criterion="maxclust")
    return labels - 1


def centres(embeddings, labels):
    sums = np.zeros((labels.max() + 1, embeddings.shape[1]), dtype=np.float64)
    np.add.at(sums, labels, embeddings)
    return sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)


def nearest_centre(embeddings, centre_rows):
    # Batches, so that a 3-hour file never holds windows × centres twice.
    return np.concatenate(
        [np.argmax(embeddings[i : i + 4096] @ centre_rows.T, axis=1) for i in range(0, len(embeddings), 4096)]
    )


def turns_from_windows(windows, labels, regions):
    """Turns from a speaker label per window (see turns_from_scores)."""
    if len(labels) == 0:
        return []
    return turns_from_scores(windows, np.eye(int(labels.max()) + 1, dtype=np.float32)[labels], regions)


def turns_from_scores(windows, scores, regions):
    """Turns inside the speech regions. `scores`: how much each window sounds
    like each speaker (windows × speakers). Each 50-ms frame goes to the speaker
    with the highest total over the windows that cover it, so a change of
    speaker lands between the windows that heard each voice."""
    if not regions or len(scores) == 0:
        return []
    end_s = max(region.end_s for region in regions)
    votes = np.zeros((int(np.ceil(end_s / FRAME_S)) + 1, scores.shape[1]), dtype=np.float32)
    for window, row in zip(windows, scores):
        votes[int(window.start_s / FRAME_S) : int(np.ceil(window.end_s / FRAME_S))] += row
    turns = []
    for region in regions:
        first = int(round(region.start_s / FRAME_S))
        last = max(int(round(region.end_s / FRAME_S)), first + 1)
        winners = without_blips(votes[first:last])
        changes = np.flatnonzero(np.diff(winners)) + 1
        bounds = [0, *changes.tolist(), len(winners)]
        for start, stop in zip(bounds, bounds[1:]):
            turns.append(
                Turn(
                    max(region.start_s, (first + start) * FRAME_S),
                    min(region.end_s, (first + stop) * FRAME_S),
                    int(winners[start]),
                )
            )
    return renumbered(merged(turns))


def without_blips(votes):
    """The winning speaker per frame, with runs shorter than MIN_TURN_S given to
    a neighbour (the one the run's frames vote for more): one word's flicker to
    another voice is noise, not a turn."""
    winners = np.argmax(votes, axis=1)
    shortest = int(round(MIN_TURN_S / FRAME_S))
    while True:
        bounds = [0, *(np.flatnonzero(np.diff(winners)) + 1).tolist(), len(winners)]
        runs = list(zip(bounds, bounds[1:]))
        if len(runs) < 2:
            return winners
        index = min(range(len(runs)), key=lambda i: runs[i][1] - runs[i][0])
        start, stop = runs[index]
        if stop - start >= shortest:
            return winners
        neighbours = [winners[runs[i][0]] for i in (index - 1, index + 1) if 0 <= i < len(runs)]
        winners[start:stop] = max(neighbours, key=lambda speaker: votes[start:stop, speaker].sum())


def merged(turns):
    """Neighbouring turns of one speaker joined across the pause between them."""
    joined = []
    for turn in turns:
        if joined and joined[-1].speaker == turn.speaker:
            joined[-1] = Turn(joined[-1].start_s, turn.end_s, turn.speaker)
        else:
            joined.append(turn)
    return joined


def renumbered(turns):
    """Speakers numbered in order of first appearance, with no gaps: a cluster
    that won no frame is not a speaker."""
    order = {}
    for turn in turns:
        order.setdefault(turn.speaker, len(order))
    return [Turn(turn.start_s, turn.end_s, order[turn.speaker]) for turn in turns]
