"""Diarization error rate, as NIST's md-eval counts it: missed speech, false
alarm and speaker confusion over the reference's speech time, with reference
speakers mapped one-to-one to found speakers to match the most time, and a
collar around each reference boundary left out of the count."""

from dataclasses import dataclass

import numpy as np

STEP_S = 0.01


@dataclass(frozen=True)
class DiarizationError:
    missed_s: float
    false_alarm_s: float
    confusion_s: float
    reference_s: float

    @property
    def rate(self):
        if self.reference_s == 0:
            return 0.0 if self.false_alarm_s == 0 else 1.0
        return (self.missed_s + self.false_alarm_s + self.confusion_s) / self.reference_s


def activity(turns, frames):
    """speaker → boolean frames. `turns`: (start_s, end_s, speaker) tuples."""
    active = {}
    for start_s, end_s, speaker in turns:
        row = active.setdefault(speaker, np.zeros(frames, dtype=bool))
        row[int(round(start_s / STEP_S)) : int(round(end_s / STEP_S))] = True
    return active


def diarization_error(reference, hypothesis, collar_s=0.25):
    """`reference` and `hypothesis`: iterables of (start_s, end_s, speaker)."""
    from scipy.optimize import linear_sum_assignment

    reference, hypothesis = list(reference), list(hypothesis)
    end_s = max([end for _, end, _ in reference + hypothesis], default=0.0)
    frames = int(np.ceil(end_s / STEP_S)) + 1
    counted = np.ones(frames, dtype=bool)
    collar = int(round(collar_s / STEP_S))
    for start_s, end_s, _ in reference:
        for edge in (int(round(start_s / STEP_S)), int(round(end_s / STEP_S))):
            counted[max(0, edge - collar) : edge + collar] = False
    ref, hyp = activity(reference, frames), activity(hypothesis, frames)
    ref_names, hyp_names = list(ref), list(hyp)
    ref_rows = np.array([ref[name] & counted for name in ref_names]).reshape(len(ref_names), frames)
    hyp_rows = np.array([hyp[name] & counted for name in hyp_names]).reshape(len(hyp_names), frames)
    ref_count, hyp_count = ref_rows.sum(axis=0), hyp_rows.sum(axis=0)
    matched = 0
    if ref_names and hyp_names:
        overlap = ref_rows.astype(np.int64) @ hyp_rows.T.astype(np.int64)
        rows, cols = linear_sum_assignment(-overlap)
        matched = int(overlap[rows, cols].sum())
    missed = np.maximum(ref_count - hyp_count, 0).sum()
    false_alarm = np.maximum(hyp_count - ref_count, 0).sum()
    confusion = np.minimum(ref_count, hyp_count).sum() - matched
    return DiarizationError(missed * STEP_S, false_alarm * STEP_S, confusion * STEP_S, ref_count.sum() * STEP_S)
