"""Accuracy on real speech, for real: the packaged Whisper tiny.en through our
whole pipeline (guarded decode, silence split, batched engine) against
faster-whisper's own `transcribe` of the same recordings. The goals are the
benchmark's (bench/wer.py, README): the pipeline adds no error."""

import pytest

from testkit.real_speech import join_with_pauses, write_wav
from testkit.wer import word_error_rate
from workers import pipeline
from workers.pipeline.engines import whisper

pytestmark = pytest.mark.slow  # real weights, the whole test set


@pytest.fixture(scope="module")
def tiny_en(whisper_tiny_en_dir):
    return whisper.load_whisper_engine(str(whisper_tiny_en_dir), "auto", None)


def faster_whisper_text(engine, audio):
    segments, _ = engine.model.transcribe(audio, language="en")
    return " ".join(segment.text.strip() for segment in segments)


def test_the_pipeline_adds_no_error_on_real_speech(tiny_en, real_speech, tmp_path):
    utterances = list(real_speech.values())
    references = [utterance.reference for utterance in utterances]
    job = tiny_en.with_options(whisper.WhisperOptions(language="en"))

    # (a) the engine on each utterance alone; (b) our pipeline on each file.
    alone = word_error_rate(references, [faster_whisper_text(tiny_en, u.audio) for u in utterances])
    ours = word_error_rate(references, [pipeline.transcribe_file(u.path, job).text for u in utterances])
    # (c) our pipeline on one long file: the utterances joined with pauses of
    # room noise (98 s, the benchmark's file has them three times), in chunks.
    long = join_with_pauses(utterances, repeats=1)
    transcript = pipeline.transcribe_file(write_wav(long.audio, tmp_path / "long.wav"), job)
    joined = word_error_rate([long.reference], [transcript.text])

    assert len(transcript.segments) >= 2
    assert alone.percent <= 8.0, alone  # measured 4.98 % (bench/README.md)
    assert ours.percent <= alone.percent + 0.5, (ours, alone)  # the goal
    # On the long file tiny.en misspells a few other words than on the
    # utterances alone (the context differs; 1 word = 0.45 points here), so
    # this bound is looser than the benchmark's goal on three times the words;
    # a sentence lost at a chunk or window boundary would show as deletions.
    assert joined.percent <= alone.percent + 2.0, (joined, alone)
    assert joined.deletions <= alone.deletions + 2, (joined, alone)
