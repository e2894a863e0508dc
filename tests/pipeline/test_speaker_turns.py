"""Clustering and turns, with hand-made embeddings: the rules without the models."""

import numpy as np
import pytest

from testkit.der import diarization_error
from workers.pipeline.stages.speaker_turns import Turn, cluster, turns_from_windows, window_spans, without_blips
from workers.pipeline.types import Span, SpeakerOptions


def voices(counts, seed=0, spread=0.15):
    """Unit embeddings around one random direction per speaker."""
    generator = np.random.default_rng(seed)
    rows, labels = [], []
    for speaker, count in enumerate(counts):
        centre = generator.normal(size=256)
        for _ in range(count):
            rows.append(centre / np.linalg.norm(centre) + generator.normal(scale=spread / 16, size=256))
            labels.append(speaker)
    rows = np.array(rows)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True), np.array(labels)


def same_partition(found, expected):
    return len(set(zip(found, expected))) == len(set(expected)) == len(set(found))


def test_clusters_found_without_a_count():
    embeddings, truth = voices([20, 15, 10])
    assert same_partition(cluster(embeddings, SpeakerOptions()), truth)


def test_one_voice_is_one_speaker():
    embeddings, _ = voices([30])
    assert set(cluster(embeddings, SpeakerOptions())) == {0}


def test_exact_count_is_honoured():
    embeddings, truth = voices([20, 20, 20])
    assert len(set(cluster(embeddings, SpeakerOptions(speakers=2)))) == 2
    assert same_partition(cluster(embeddings, SpeakerOptions(speakers=3)), truth)


def test_min_and_max_bound_the_count():
    embeddings, _ = voices([20, 20, 20])
    assert len(set(cluster(embeddings, SpeakerOptions(max_speakers=2)))) == 2
    one_voice, _ = voices([20])
    assert len(set(cluster(one_voice, SpeakerOptions(min_speakers=2)))) == 2


def test_more_speakers_asked_for_than_windows():
    embeddings, _ = voices([2])
    labels = cluster(embeddings, SpeakerOptions(speakers=5))
    assert len(labels) == 2 and set(labels) <= {0, 1}


def test_no_windows_no_labels():
    assert cluster(np.zeros((0, 256)), SpeakerOptions()).size == 0


def test_long_files_cluster_a_sample_and_assign_the_rest(monkeypatch):
    import workers.pipeline.stages.speaker_turns as speaker_turns

    monkeypatch.setattr(speaker_turns, "MAX_CLUSTERED_WINDOWS", 30)
    embeddings, truth = voices([60, 50])
    assert same_partition(cluster(embeddings, SpeakerOptions()), truth)


def test_windows_cover_each_region_to_its_end():
    windows = window_spans([Span(0.0, 2.2), Span(5.0, 5.4)], window_s=1.0, step_s=0.5)
    assert windows[0] == Span(0.0, 1.0)
    assert windows[-2].end_s == pytest.approx(2.2)
    assert windows[-1] == Span(5.0, 5.4)
    assert all(window.duration_s <= 1.0 + 1e-9 for window in windows)


def test_turns_change_between_the_windows_of_each_voice():
    region = Span(0.0, 8.0)
    windows = window_spans([region], window_s=1.0, step_s=0.25)
    labels = np.array([0 if (w.start_s + w.end_s) / 2 < 4.0 else 1 for w in windows])
    turns = turns_from_windows(windows, labels, [region])
    assert [turn.speaker for turn in turns] == [0, 1]
    assert turns[0].end_s == pytest.approx(4.0, abs=0.15)
    assert (turns[0].start_s, turns[-1].end_s) == (0.0, 8.0)


def test_speakers_are_numbered_by_first_appearance_and_never_empty():
    regions = [Span(0.0, 1.0), Span(2.0, 3.0)]
    windows = regions
    turns = turns_from_windows(windows, np.array([2, 0]), regions)
    assert turns == [Turn(0.0, 1.0, 0), Turn(2.0, 3.0, 1)]


def test_neighbouring_turns_of_one_speaker_are_joined():
    regions = [Span(0.0, 1.0), Span(1.5, 2.5)]
    assert turns_from_windows(regions, np.array([1, 1]), regions) == [Turn(0.0, 2.5, 0)]


@pytest.mark.parametrize(
    "kwargs", [{"speakers": 0}, {"min_speakers": 3, "max_speakers": 2}, {"threshold": 0}, {"step_s": 2.0}]
)
def test_options_are_checked(kwargs):
    with pytest.raises(ValueError):
        SpeakerOptions(**kwargs)


def test_der_counts_miss_false_alarm_and_confusion():
    reference = [(0.0, 10.0, "a"), (10.0, 20.0, "b")]
    assert diarization_error(reference, [(0.0, 10.0, 7), (10.0, 20.0, 8)]).rate == 0.0
    # Names do not matter, only the best one-to-one mapping.
    assert diarization_error(reference, [(0.0, 10.0, "b"), (10.0, 20.0, "a")]).rate == 0.0
    confused = diarization_error(reference, [(0.0, 20.0, 1)], collar_s=0.0)
    assert confused.confusion_s == pytest.approx(10.0) and confused.rate == pytest.approx(0.5)
    missed = diarization_error(reference, [(0.0, 10.0, 1)], collar_s=0.0)
    assert missed.missed_s == pytest.approx(10.0)
    extra = diarization_error(reference, [(0.0, 10.0, 1), (10.0, 20.0, 2), (25.0, 30.0, 2)], collar_s=0.0)
    assert extra.false_alarm_s == pytest.approx(5.0)


def test_der_collar_forgives_boundaries():
    reference = [(0.0, 10.0, "a"), (10.0, 20.0, "b")]
    late_change = [(0.0, 10.2, 1), (10.2, 20.0, 2)]
    assert diarization_error(reference, late_change, collar_s=0.25).rate == 0.0
    assert diarization_error(reference, late_change, collar_s=0.0).rate > 0.0


def test_der_counts_overlapped_speech_twice():
    reference = [(0.0, 10.0, "a"), (5.0, 15.0, "b")]
    error = diarization_error(reference, [(0.0, 7.5, 1), (7.5, 15.0, 2)], collar_s=0.0)
    assert error.reference_s == pytest.approx(20.0)
    assert error.missed_s == pytest.approx(5.0)


def test_a_flicker_to_another_voice_is_not_a_turn():
    votes = np.zeros((60, 2), dtype=np.float32)
    votes[:, 0] = 1.0
    votes[10:14, 1] = 2.0  # 0.2 s that sound like speaker 1: a blip
    votes[30:50, 1] = 2.0  # 1 s of speaker 1: a turn
    winners = without_blips(votes)
    assert winners[:30].tolist() == [0] * 30
    assert winners[30:50].tolist() == [1] * 20 and winners[50:].tolist() == [0] * 10
