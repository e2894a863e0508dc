"""Speakers through the real queue and a burst worker: the tiny speech model
hears the words, the real packaged voice models tell two real people apart,
and the speakers are saved with the segments."""

import pytest

from testkit.conversations import write_conversation
from tests.support.jobs_factory import queued_transcription
from timedtext.formats import render
from transcripts.models import Speaker, SpeakersMode, Transcription

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

Status = Transcription.Status


@pytest.fixture(scope="session")
def two_people(tmp_path_factory):
    path, _ = write_conversation(["ls-2412", "jfk"], tmp_path_factory.mktemp("two-people"), seconds=20.0)
    return path


@pytest.fixture
def split_small(settings):
    settings.SPLIT_MIN_SPACE_S = 3.0
    settings.SPLIT_MAX_SPACE_S = 6.0


def test_a_job_that_asks_for_speakers_saves_them_with_the_segments(owner, two_people, tiny_model, split_small,
                                                                    burst_worker):
    transcription = queued_transcription(owner, two_people, speakers_mode=SpeakersMode.AUTO)
    burst_worker()
    transcription.refresh_from_db()
    assert transcription.status == Status.DONE and transcription.notes == []
    names = list(Speaker.objects.filter(transcription=transcription).values_list("name", flat=True))
    assert names == ["Speaker 1", "Speaker 2"]
    said = [segment.speaker for segment in transcription.segments.all() if segment.text]
    assert set(said) == {0, 1}
    # Every word of a segment is its speaker's, in the stored words too.
    for segment in transcription.segments.all():
        assert {word.get("speaker") for word in segment.words} <= {segment.speaker}
    assert "Speaker 2:" in render("txt", transcription.transcript())[0]


@pytest.mark.once  # real weights; saving speakers is tested on both databases above
def test_exactly_one_speaker_asked_for_is_one(owner, two_people, tiny_model, burst_worker):
    transcription = queued_transcription(owner, two_people, speakers_mode=SpeakersMode.COUNT, speakers_min=1,
                                         speakers_max=1)
    burst_worker()
    assert list(Speaker.objects.filter(transcription=transcription).values_list("index", flat=True)) == [0]


def test_speakers_off_for_the_site_or_the_job_run_no_speakers_stage(owner, two_people, tiny_model, settings,
                                                                     burst_worker):
    settings.DIARIZATION = True
    not_asked = queued_transcription(owner, two_people)
    burst_worker()
    settings.DIARIZATION = False
    switched_off = queued_transcription(owner, two_people, speakers_mode=SpeakersMode.AUTO)
    burst_worker()
    for transcription in (switched_off, not_asked):
        transcription.refresh_from_db()
        assert transcription.status == Status.DONE
        assert not Speaker.objects.filter(transcription=transcription).exists()
        assert all(segment.speaker is None for segment in transcription.segments.all())


def test_a_speaker_model_that_cannot_load_leaves_a_note_and_the_transcript(owner, two_people, tiny_model, settings,
                                                                            tmp_path, burst_worker):
    settings.SPEAKER_ENCODER = str(tmp_path / "no-encoder.pt")
    transcription = queued_transcription(owner, two_people, speakers_mode=SpeakersMode.AUTO)
    burst_worker()
    transcription.refresh_from_db()
    assert transcription.status == Status.DONE and transcription.segments.exists()
    assert transcription.notes == ["Speakers were not told apart: the speaker model is not available on the server "
                                   "right now."]
    assert "SPEAKER_ENCODER" in transcription.error_detail and str(tmp_path) not in transcription.notes[0]
    assert not Speaker.objects.filter(transcription=transcription).exists()
