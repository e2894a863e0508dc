"""The speakers stage with the real packaged weights (silero-vad, Resemblyzer's
encoder) on real recordings of different people."""

import numpy as np
import pytest

from testkit.conversations import SAMPLE_RATE, make_conversation, read_audio, trimmed
from testkit.der import diarization_error
from workers.pipeline.errors import ModelLoadError
from workers.pipeline.stages.speaker_models import load_vad, load_voice_encoder, mel_filterbank
from workers.pipeline.stages.speakers import diarize, find_speech_regions
from workers.pipeline.types import SpeakerOptions

from ..conftest import SHARED_SPEECH


@pytest.fixture(scope="module")
def models():
    return load_vad(), load_voice_encoder()


@pytest.fixture(scope="module")
def two_voices(tmp_path_factory):
    return make_conversation(["ls-2412", "jfk"], tmp_path_factory.mktemp("voices"), seconds=30.0, seed=3)


def as_tuples(turns):
    return [(turn.start_s, turn.end_s, turn.speaker) for turn in turns]


def test_two_people_taking_turns_are_told_apart(models, two_voices):
    turns = diarize(two_voices.audio, *models)
    assert {turn.speaker for turn in turns} == {0, 1}
    assert diarization_error(as_tuples(two_voices.turns), as_tuples(turns)).rate < 0.05


def test_one_speaker_is_one_label(models):
    audio = read_audio(SHARED_SPEECH / "ls-dev-clean-2412-153948-0000.flac")
    turns = diarize(audio, *models)
    assert turns and {turn.speaker for turn in turns} == {0}


def test_silence_has_no_speakers(models):
    assert diarize(np.zeros(10 * SAMPLE_RATE, dtype=np.float32), *models) == []
    quiet_noise = np.random.default_rng(0).normal(scale=1e-4, size=5 * SAMPLE_RATE).astype(np.float32)
    assert diarize(quiet_noise, *models) == []


def test_more_speakers_asked_for_than_there_are(models, two_voices):
    turns = diarize(two_voices.audio, *models, SpeakerOptions(speakers=6))
    found = {turn.speaker for turn in turns}
    # Numbered without gaps: every speaker returned has a turn.
    assert found == set(range(len(found))) and 2 <= len(found) <= 6


def test_a_three_second_file(models):
    audio = read_audio(SHARED_SPEECH / "ls-test-clean-61-70968-0002.wav")
    assert audio.size < 3.1 * SAMPLE_RATE
    turns = diarize(audio, *models, offset_s=10.0)
    assert {turn.speaker for turn in turns} == {0}
    assert 10.0 <= turns[0].start_s < turns[-1].end_s <= 13.1


def test_speech_regions_leave_out_the_pauses(models):
    silence = np.zeros(2 * SAMPLE_RATE, dtype=np.float32)
    speech = trimmed(read_audio(SHARED_SPEECH / "ls-test-clean-1089-134691-0000.flac"))
    regions = find_speech_regions(np.concatenate([silence, speech, silence]), models[0])
    assert len(regions) >= 1
    assert regions[0].start_s == pytest.approx(2.0, abs=0.3)
    assert regions[-1].end_s == pytest.approx(2.0 + speech.size / SAMPLE_RATE, abs=0.4)


def test_mel_frames_match_librosa_as_resemblyzer_computes_them(models):
    import librosa

    audio = np.random.default_rng(1).normal(scale=0.1, size=SAMPLE_RATE).astype(np.float32)
    ours = models[1].mel_frames(audio).numpy()
    theirs = librosa.feature.melspectrogram(y=audio, sr=SAMPLE_RATE, n_fft=400, hop_length=160, n_mels=40).T
    assert ours.shape == theirs.shape and np.allclose(ours, theirs, rtol=1e-3, atol=1e-6)
    assert mel_filterbank().shape == (40, 201)


def test_encoder_loads_from_a_folder_and_names_a_missing_file(models, tmp_path):
    import torch

    state = {name: tensor for name, tensor in models[1].lstm.state_dict().items()}
    checkpoint = {"model_state": {**{f"lstm.{k}": v for k, v in state.items()},
                                  **{f"linear.{k}": v for k, v in models[1].linear.state_dict().items()}}}
    torch.save(checkpoint, tmp_path / "pretrained.pt")
    copy = load_voice_encoder(str(tmp_path))
    mels = torch.rand(2, 100, 40)
    assert np.allclose(copy.embed(mels), models[1].embed(mels), atol=1e-6)
    with pytest.raises(ModelLoadError, match="no such file"):
        load_voice_encoder(str(tmp_path / "missing.pt"))
    (tmp_path / "wrong.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ModelLoadError, match="not a voice encoder"):
        load_voice_encoder(str(tmp_path / "wrong.pt"))
