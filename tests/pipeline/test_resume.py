"""Resuming: given the plan and the chunks an earlier attempt finished, the
pipeline transcribes only the others, and the transcript is the one a full run
makes."""

import pytest

from testkit.speech import SENTENCES, make_speech
from tests.conftest import require_tools
from workers.pipeline import Span, SplitOptions, TranscribeOptions, load_ctc_engine, transcribe_file

SMALL = TranscribeOptions(split=SplitOptions(min_space_s=3.0, max_space_s=6.0))


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    require_tools()
    wav, _, _ = make_speech(tmp_path_factory.mktemp("resume"), SENTENCES[:5], pause_s=1.2)
    return wav


class CountingEngine:
    """The tiny model, noting which chunks (by offset) it was given."""

    def __init__(self, engine):
        self.engine = engine
        self.offsets_s = []

    def prepare(self, decoding):
        return self.engine.prepare(decoding)

    def transcribe(self, chunks, offsets_s, *rest):
        self.offsets_s += offsets_s
        return self.engine.transcribe(chunks, offsets_s, *rest)


@pytest.fixture(scope="module")
def full_run(speech, tiny_model_dir):
    engine = CountingEngine(load_ctc_engine(str(tiny_model_dir), "fp32"))
    plans = []
    transcript = transcribe_file(speech, engine, SMALL, on_plan=plans.append)
    return plans[0], transcript


def test_a_resumed_run_transcribes_only_the_chunks_left(speech, tiny_model_dir, full_run):
    plan, full = full_run
    assert len(plan) >= 4
    done = {index: full.segments[index] for index in (0, 2)}  # batches end in any order
    engine = CountingEngine(load_ctc_engine(str(tiny_model_dir), "fp32"))
    plans, reports = [], []

    resumed = transcribe_file(
        speech, engine, SMALL, on_plan=plans.append, on_progress=lambda *report: reports.append(report),
        plan=plan, done=done,
    )

    assert plans == [plan]
    assert sorted(engine.offsets_s) == [span.start_s for index, span in enumerate(plan) if index not in done]
    assert resumed == full
    assert reports[-1][:2] == (len(plan), len(plan))
    assert all(set(report[2]).isdisjoint(done) for report in reports)


def test_a_plan_that_does_not_fit_the_audio_is_made_again(speech, tiny_model_dir, full_run):
    plan, full = full_run
    shorter = [*plan[:-1], Span(plan[-1].start_s, plan[-1].end_s - 1.0)]
    engine = CountingEngine(load_ctc_engine(str(tiny_model_dir), "fp32"))
    plans = []

    resumed = transcribe_file(speech, engine, SMALL, on_plan=plans.append, plan=shorter, done={0: full.segments[0]})

    assert plans == [plan]
    assert sorted(engine.offsets_s) == [span.start_s for span in plan]
    assert resumed == full
