"""Find silences with the tutorial's rule, vectorised.

This is pydub.silence.detect_silence(audio, min_silence_len=750 ms,
silence_thresh=audio.dBFS - 14, seek_step=1) computed with numpy:

- every window of min_silence_len starting at each whole millisecond is tested;
  it is silent when its RMS is at most the file's RMS lowered by
  silence_below_average_db (compared as mean squares, no square roots);
- silent window starts become ranges with pydub's merge rule: a new range begins
  only where the next silent start is more than min_silence_len after the
  previous one; a range ends min_silence_len after its last silent start.

Energy is summed per millisecond first (16 samples at 16 kHz), and the window
sums are differences of a cumulative sum over those per-ms sums: 3.6 M values
for an hour of audio, instead of 57.6 M if taken over samples.

Digital silence (a file of zeros, dBFS -inf) follows pydub too: the threshold
becomes 0 and every window of zeros is silent, so the whole file is one silence.
"""

import numpy as np

from .types import SAMPLE_RATE, Span, SplitOptions

MS_PER_S = 1000
BLOCK_MS = 60_000  # per-ms energies are computed a minute at a time: small float64 temporaries


def find_silences(audio: np.ndarray, sample_rate: int = SAMPLE_RATE, options: SplitOptions = SplitOptions()) -> list[Span]:
    """Silences in `audio` (mono float), as spans in seconds from its start."""
    energy_per_ms = energy_per_millisecond(audio, sample_rate)
    window_ms = int(round(options.min_silence_s * MS_PER_S))
    length_ms = energy_per_ms.size
    if length_ms < window_ms or length_ms == 0:
        return []  # pydub: no silence can be longer than the sound

    samples_per_ms = sample_rate // MS_PER_S
    file_mean_square = energy_per_ms.sum() / (length_ms * samples_per_ms)
    threshold_mean_square = file_mean_square * 10.0 ** (-options.silence_below_average_db / 10.0)

    cumulative = np.concatenate([[0.0], np.cumsum(energy_per_ms)])
    window_energy = cumulative[window_ms:] - cumulative[:-window_ms]  # one per start ms 0 … length_ms - window_ms
    # Cumulative sums round: a window of zeros can come out as ±1e-16, not 0.
    tolerance = np.finfo(np.float64).eps * cumulative[-1] * 4
    silent_starts_ms = np.flatnonzero(window_energy <= threshold_mean_square * window_ms * samples_per_ms + tolerance)
    return merged_ranges(silent_starts_ms, window_ms)


def energy_per_millisecond(audio, sample_rate):
    """Sum of squares of each whole millisecond of `audio`, as float64."""
    samples_per_ms = sample_rate // MS_PER_S
    if sample_rate % MS_PER_S:
        raise ValueError("sample_rate must be a whole number of samples per millisecond")
    length_ms = audio.size // samples_per_ms
    energy = np.empty(length_ms, dtype=np.float64)
    for start_ms in range(0, length_ms, BLOCK_MS):
        end_ms = min(start_ms + BLOCK_MS, length_ms)
        block = audio[start_ms * samples_per_ms : end_ms * samples_per_ms].astype(np.float64)
        energy[start_ms:end_ms] = np.einsum("ij,ij->i", *(block.reshape(-1, samples_per_ms),) * 2)
    return energy


def merged_ranges(silent_starts_ms, window_ms):
    """pydub's merge of silent window starts into [start, end) ranges, in seconds."""
    if silent_starts_ms.size == 0:
        return []
    # Starts 1 ms apart continue a range; pydub also joins starts up to one
    # window apart ("two small blips" inside one silence). Larger gaps split.
    breaks = np.flatnonzero(np.diff(silent_starts_ms) > window_ms)
    first_starts = silent_starts_ms[np.concatenate([[0], breaks + 1])]
    last_starts = silent_starts_ms[np.concatenate([breaks, [silent_starts_ms.size - 1]])]
    return [
        Span(int(first) / MS_PER_S, (int(last) + window_ms) / MS_PER_S)
        for first, last in zip(first_starts, last_starts)
    ]
