"""transcribe_file: the whole chain on generated speech, with the tiny model."""

import subprocess
import time
import tracemalloc

import pytest

from testkit.speech import SENTENCES, make_speech
from tests.conftest import require_tools
from workers.pipeline import SplitOptions, TranscribeOptions, decode_audio, load_ctc_engine, transcribe_file

SMALL = SplitOptions(min_space_s=4.0, max_space_s=8.0)


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    require_tools()
    wav, _, _ = make_speech(tmp_path_factory.mktemp("run"), SENTENCES[:6], pause_s=[1.2, 0.1, 1.5, 0.1, 2.0])
    return wav


@pytest.fixture(scope="module")
def engine(tiny_model_dir):
    return load_ctc_engine(str(tiny_model_dir), "fp32")


def assert_contiguous(segments, start_s, end_s):
    assert segments[0].start_s == pytest.approx(start_s)
    assert segments[-1].end_s == pytest.approx(end_s, abs=1e-3)
    for before, after in zip(segments, segments[1:]):
        assert before.end_s == after.start_s  # no gap, no overlap
        assert before.start_s < before.end_s


def test_segments_cover_the_file_in_order_and_match_the_plan(speech, engine):
    plans, reports = [], []
    transcript = transcribe_file(
        speech,
        engine,
        TranscribeOptions(split=SMALL),
        on_plan=plans.append,
        on_progress=lambda *report: reports.append(report),
    )
    duration_s = decode_audio(speech).size / 16000
    assert transcript.duration_s == pytest.approx(duration_s)
    segments = transcript.segments
    assert_contiguous(segments, 0.0, duration_s)
    assert [(s.start_s, s.end_s) for s in segments] == [(p.start_s, p.end_s) for p in plans[0]]
    assert all(SMALL.min_space_s <= s.end_s - s.start_s <= SMALL.max_space_s for s in segments)
    # Progress: the last report says all done; together they carry every segment.
    assert reports[-1][0] == reports[-1][1] == len(segments)
    assert {i: s for *_, finished in reports for i, s in finished.items()} == dict(enumerate(segments))
    assert any(s.text for s in segments)
    for segment in segments:
        assert all(segment.start_s <= w.start_s < w.end_s <= segment.end_s + 0.02 for w in segment.words)


def test_segment_text_is_what_the_model_says_on_that_chunk_alone(speech, engine):
    transcript = transcribe_file(speech, engine, TranscribeOptions(split=SMALL))
    audio = decode_audio(speech)
    for segment in transcript.segments:
        chunk = audio[round(segment.start_s * 16000) : round(segment.end_s * 16000)]
        assert engine.transcribe([chunk], [segment.start_s])[0].text == segment.text


def test_trim_offsets_are_added_back(speech, engine):
    transcript = transcribe_file(speech, engine, TranscribeOptions(start_s=2.5, end_s=17.0, split=SMALL))
    assert transcript.duration_s == pytest.approx(14.5, abs=0.002)
    assert_contiguous(transcript.segments, 2.5, 17.0)
    # The same cuts as the trimmed audio planned on its own, shifted by 2.5 s.
    trimmed = decode_audio(speech, 2.5, 17.0)
    first = transcript.segments[0]
    chunk = trimmed[: round((first.end_s - 2.5) * 16000)]
    assert engine.transcribe([chunk], [2.5])[0].words == first.words


@pytest.mark.slow
def test_two_hours_of_digital_silence_finish_quickly_with_empty_text(tmp_path, engine):
    path = tmp_path / "silent.flac"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "7200", str(path)], check=True
    )
    reports = []
    started = time.monotonic()
    tracemalloc.start()
    try:
        transcript = transcribe_file(path, engine, on_progress=lambda *report: reports.append(report))
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed_s = time.monotonic() - started
    assert transcript.duration_s == pytest.approx(7200.0)
    assert transcript.text == ""
    assert len(transcript.segments) == 160  # forced cuts every 45 s
    assert_contiguous(transcript.segments, 0.0, 7200.0)
    assert reports == [(160, 160, dict(enumerate(transcript.segments)))]  # no forward was needed
    assert peak_bytes < 2.5 * 7200 * 16000 * 4  # the decoded samples (460 MB) plus per-ms energies
    assert elapsed_s < 30


def test_the_first_words_show_after_one_chunk_even_when_one_batch_could_take_them_all(speech, engine):
    # The tiny model's memory budget fits every chunk in one forward; the file
    # still goes to the engine in waves of 1, 2, 4 ... chunks, in time order.
    assert len(engine.plan_batches([16000 * 4] * 8)) == 1
    reports = []
    tiny_chunks = SplitOptions(min_space_s=2.0, max_space_s=4.0)
    transcribe_file(speech, engine, TranscribeOptions(split=tiny_chunks), on_progress=lambda *report: reports.append(report))
    total = reports[-1][1]
    assert total >= 6
    assert [sorted(finished) for *_, finished in reports][:3] == [[0], [1, 2], [3, 4, 5, 6][: total - 3]]
    assert [done for done, *_ in reports] == [min(done, total) for done in (1, 3, 7, 15, 31)][: len(reports)]
