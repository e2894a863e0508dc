"""Silence search (a vectorised pydub.detect_silence) and the cut planner."""

import numpy as np
import pytest
from pydub import AudioSegment
from pydub.silence import detect_silence

from testkit.speech import SENTENCES, convert, make_speech, with_video
from tests.conftest import require_tools
from workers.pipeline import Span, SplitOptions, chunk_spans, decode_audio, find_silences, plan_cuts
from workers.pipeline.cuts import silence_cut_points
from workers.pipeline.silence import merged_ranges

SMALL = SplitOptions(min_space_s=4.0, max_space_s=8.0)  # the 25/45 s rule, scaled to short audio
# Pauses between the eight sentences: long ones, a very long one, and a run of
# tiny ones that leaves no silence for more than max_space_s (forced cut).
PAUSES_S = [1.2, 0.1, 0.1, 0.1, 2.0, 5.0, 0.9]
SAME_CUT_TOLERANCE_S = 0.03


@pytest.fixture(scope="module")
def spoken(tmp_path_factory):
    require_tools()
    wav, speech_spans, pause_spans = make_speech(tmp_path_factory.mktemp("pauses"), SENTENCES, pause_s=PAUSES_S)
    return wav, speech_spans, pause_spans


def as_pydub(audio):
    samples = np.clip(np.round(audio * 32767), -32768, 32767).astype(np.int16)
    return AudioSegment(samples.tobytes(), frame_rate=16000, sample_width=2, channels=1)


def pydub_silences(audio):
    segment = as_pydub(audio)
    return [Span(start / 1000, end / 1000) for start, end in detect_silence(segment, 750, segment.dBFS - 14, 1)]


def test_silences_match_pydub_on_speech(spoken):
    audio = decode_audio(spoken[0])
    assert find_silences(audio) == pydub_silences(audio)


def test_silences_match_pydub_with_background_noise_and_a_click(spoken):
    audio = decode_audio(spoken[0])
    noisy = audio + np.random.default_rng(7).normal(0, 0.003, audio.size).astype(np.float32)
    noisy[19 * 16000 : 19 * 16000 + 160] = 0.5  # a 10 ms click inside the 5 s pause
    assert find_silences(noisy) == pydub_silences(noisy)


def test_silent_starts_up_to_one_window_apart_merge_like_pydub():
    starts_ms = np.concatenate([np.arange(0, 101), np.arange(700, 801), np.arange(1600, 1701)])
    # 100 → 700 is within 750 ms: one range; 800 → 1600 is not: a new one.
    assert merged_ranges(starts_ms, 750) == [Span(0.0, 1.55), Span(1.6, 2.45)]


def test_every_pause_of_750_ms_or_more_lies_in_a_silence(spoken):
    _, _, pause_spans = spoken
    silences = find_silences(decode_audio(spoken[0]))
    for start_s, end_s in pause_spans:
        if end_s - start_s >= 0.75:
            assert any(s.start_s <= start_s and end_s <= s.end_s for s in silences), (start_s, end_s)


def test_digital_silence_is_one_silence_like_pydub():
    audio = np.zeros(16000 * 5, dtype=np.float32)
    assert find_silences(audio) == [Span(0.0, 5.0)] == pydub_silences(audio)


def test_audio_shorter_than_a_silence_has_none():
    assert find_silences(np.zeros(16000 // 2, dtype=np.float32)) == []
    assert find_silences(np.zeros(0, dtype=np.float32)) == []


def test_cuts_on_speech_lie_in_silences_or_are_forced(spoken):
    audio = decode_audio(spoken[0])
    duration_s = audio.size / 16000
    silences = find_silences(audio)
    cuts = plan_cuts(silences, duration_s, SMALL)
    candidates = silence_cut_points(silences, duration_s)
    previous_s, forced = 0.0, 0
    for cut_s in cuts:
        window = [c for c in candidates if previous_s + SMALL.min_space_s <= c <= previous_s + SMALL.max_space_s]
        if window:
            assert cut_s == max(window)
            assert any(s.start_s < cut_s < s.end_s for s in silences)
        else:
            assert cut_s == pytest.approx(previous_s + SMALL.max_space_s)
            forced += 1
        previous_s = cut_s
    assert forced == 1  # the first window (4–8 s) falls in speech: 0.1 s pauses only
    for span in chunk_spans(cuts, duration_s):
        assert SMALL.min_space_s <= span.duration_s <= SMALL.max_space_s


def test_mp3_stereo_and_mp4_with_video_give_the_same_cuts(spoken, tmp_path):
    wav = spoken[0]
    mp3 = convert(wav, tmp_path / "stereo.mp3", "-ac", "2", "-ar", "44100")
    mp4 = with_video(wav, tmp_path / "video.mp4")
    plans = []
    for path in (wav, mp3, mp4):
        audio = decode_audio(path)
        plans.append(plan_cuts(find_silences(audio), audio.size / 16000, SMALL))
    assert len(plans[0]) == len(plans[1]) == len(plans[2]) == 3
    for other in plans[1:]:
        assert np.allclose(other, plans[0], atol=SAME_CUT_TOLERANCE_S), (plans[0], other)


def test_real_recordings_are_single_chunks(shared_speech):
    for path in sorted(shared_speech.glob("*.*")):
        if path.suffix not in (".wav", ".flac"):
            continue
        audio = decode_audio(path)
        duration_s = audio.size / 16000
        assert plan_cuts(find_silences(audio), duration_s, SplitOptions()) == [], path.name


# The planner on hand-made silences (default 25/45 s bounds).


def test_no_silence_at_all_forces_cuts_and_rebalances_the_tail():
    # 100 s: forced at 45 and 90; the 10 s tail does not fit into the 45 s
    # before it, so the last 55 s are split in the middle.
    assert plan_cuts([], 100.0) == [45.0, 72.5]


def test_audio_shorter_than_min_space_is_one_chunk():
    assert plan_cuts([Span(5.0, 6.0)], 20.0) == []
    assert chunk_spans([], 20.0) == [Span(0.0, 20.0)]


def test_audio_up_to_max_space_is_one_chunk_even_with_silences():
    assert plan_cuts([Span(30.0, 31.0)], 45.0) == []


def test_cut_in_the_middle_of_the_silence_nearest_the_window_end():
    silences = [Span(26.0, 27.0), Span(40.0, 41.0), Span(47.0, 48.0)]
    assert plan_cuts(silences, 80.0) == [40.5]


def test_silences_at_the_very_start_and_end_give_no_cut():
    silences = [Span(0.0, 2.0), Span(68.0, 70.0)]
    assert plan_cuts(silences, 70.0) == [45.0]  # forced: both silences lie outside every window
    assert plan_cuts([Span(0.0, 30.0)], 60.0) == [28.5]  # a long leading silence: its late cut is usable


def test_a_long_silence_gets_two_cuts_inset_from_its_ends():
    assert silence_cut_points([Span(10.0, 14.0), Span(20.0, 23.0)], 60.0) == [11.5, 12.5, 21.5]


def test_one_very_long_silence():
    # 0–20 s speech, 20–200 s silence, 200–230 s speech. The silence's cuts (21.5
    # and 198.5) never fall in a 25–45 s window, so cuts are forced every 45 s;
    # the 5 s tail would make a 50 s chunk, so 180–230 is split in the middle.
    assert plan_cuts([Span(20.0, 200.0)], 230.0) == [45.0, 90.0, 135.0, 180.0, 205.0]
    # With the speech resuming at 75 s, the late cut (73.5) falls in the second window.
    assert plan_cuts([Span(20.0, 75.0)], 100.0) == [45.0, 73.5]


def test_short_tail_merges_into_the_previous_chunk_when_it_fits():
    # Cut at 30 (nearest the window end), then 10 s left: merged chunk 40 s <= 45.
    assert plan_cuts([Span(29.5, 30.5)], 70.0) == [30.0]
    # The same file with a forced first cut: 45 + 10 would be 55 s, too long.
    assert plan_cuts([Span(29.5, 30.5), Span(44.5, 45.5)], 55.0) == [30.0]


def test_tail_too_long_to_merge_resplits_at_a_silence_that_fits_both_bounds():
    # Walk: 40, then 82 (nearest the window end); the 18 s tail would make
    # 40–100 a 60 s chunk, so it is split again at 70, where both halves fit.
    silences = [Span(39.5, 40.5), Span(69.5, 70.5), Span(81.5, 82.5)]
    assert plan_cuts(silences, 100.0) == [40.0, 70.0]


def test_tail_too_long_to_merge_without_a_fitting_silence_splits_in_the_middle():
    # Walk: 44, then forced at 89; 44–90 is 46 s, and no cut gives two 25 s halves.
    assert plan_cuts([Span(43.5, 44.5)], 90.0) == [44.0, 67.0]


def test_chunk_spans_cover_the_range_without_gaps_and_carry_the_offset():
    spans = chunk_spans([30.0, 70.0], 100.0, offset_s=12.5)
    assert spans == [Span(12.5, 42.5), Span(42.5, 82.5), Span(82.5, 112.5)]
    assert all(a.end_s == b.start_s for a, b in zip(spans, spans[1:]))


@pytest.mark.parametrize("duration_s", [0.0, 10.0, 45.0, 45.1, 69.9, 70.1, 90.0, 135.0, 1000.0])
def test_no_chunk_ever_exceeds_max_space(duration_s):
    for silences in ([], [Span(d, d + 1.0) for d in np.arange(5.0, duration_s, 17.0)]):
        spans = chunk_spans(plan_cuts(silences, duration_s), duration_s)
        assert all(span.duration_s <= 45.0 + 1e-9 for span in spans)
        assert sum(span.duration_s for span in spans) == pytest.approx(duration_s)
