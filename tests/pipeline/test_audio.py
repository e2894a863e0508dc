"""Decoding: any input becomes 16 kHz mono float32, once, trimmed, with errors a
user can read."""

import subprocess
import tracemalloc

import numpy as np
import pytest

from guards.media import DecodeError, EmptyAudioError, NoAudioError, probe_media
from testkit.speech import convert, speak, with_video
from tests.conftest import require_tools
from workers.pipeline import decode_audio
from workers.pipeline.errors import TrimError

# Durations in ../shared/testdata/speech/AUDIO_INFO.tsv.
REAL_DURATIONS_S = {
    "jfk.flac": 11.0,
    "ls-test-clean-1995-1837-0001.wav": 8.73,
    "ls-test-clean-1089-134691-0000.flac": 2.085,
    "ls-test-clean-61-70968-0002.wav": 2.97,
    "ls-test-other-2033-164915-0001.flac": 8.94,
    "ls-dev-clean-2412-153948-0000.flac": 11.66,
    "ls-dev-clean-1272-141231-0002.flac": 13.335,
    "ls-dev-clean-1272-128104-0004-8k.wav": 29.4,
}


def tone(path, seconds, rate=44100, channels=2, frequency=440):
    subprocess.run(
        ["sox", "-n", "-r", str(rate), "-c", str(channels), str(path), "synth", str(seconds), "sine", str(frequency)],
        check=True,
        capture_output=True,
    )
    return path


@pytest.fixture(scope="module")
def sentence(tmp_path_factory):
    require_tools()
    return speak("actions speak louder than words", tmp_path_factory.mktemp("audio") / "sentence.wav")


def test_real_recordings_decode_to_16_khz_mono_with_the_right_duration(shared_speech):
    for name, duration_s in REAL_DURATIONS_S.items():
        audio = decode_audio(shared_speech / name)
        assert audio.dtype == np.float32 and audio.ndim == 1
        assert audio.size / 16000 == pytest.approx(duration_s, abs=0.01), name
        assert 0.01 < np.abs(audio).max() < 1.5, name  # float output: resampling may overshoot 1.0 a little


def test_8_khz_input_is_resampled_not_reinterpreted(shared_speech):
    info = probe_media(shared_speech / "ls-dev-clean-1272-128104-0004-8k.wav")
    assert (info.sample_rate, info.channels) == (8000, 1)
    audio = decode_audio(shared_speech / "ls-dev-clean-1272-128104-0004-8k.wav")
    assert audio.size == pytest.approx(29.4 * 16000, abs=16)
    # Upsampled telephone band: nothing above 4 kHz.
    spectrum = np.abs(np.fft.rfft(audio)) ** 2
    frequencies = np.fft.rfftfreq(audio.size, 1 / 16000)
    assert spectrum[frequencies > 4200].sum() < 0.001 * spectrum.sum()


def test_stereo_44_khz_24_bit_flac_is_downmixed(shared_speech):
    info = probe_media(shared_speech / "jfk.flac")
    assert (info.sample_rate, info.channels, info.format_name) == (44100, 2, "flac")
    assert decode_audio(shared_speech / "jfk.flac").size == pytest.approx(11.0 * 16000, abs=16)


def test_a_440_hz_tone_stays_440_hz_after_resampling(tmp_path):
    audio = decode_audio(tone(tmp_path / "tone.wav", 2.0))
    peak_hz = np.argmax(np.abs(np.fft.rfft(audio))) * 16000 / audio.size
    assert peak_hz == pytest.approx(440, abs=1)


def test_mp3_and_mp4_with_video_decode_to_the_same_samples(sentence, tmp_path):
    reference = decode_audio(sentence)
    mp3 = decode_audio(convert(sentence, tmp_path / "s.mp3", "-ac", "2", "-ar", "44100"))
    mp4_path = with_video(sentence, tmp_path / "s.mp4")
    info = probe_media(mp4_path)
    assert info.has_video and info.has_audio
    mp4 = decode_audio(mp4_path)
    for other in (mp3, mp4):
        assert abs(other.size - reference.size) < 0.05 * 16000
        length = min(other.size, reference.size)
        correlation = np.corrcoef(reference[:length], other[:length])[0, 1]
        assert correlation > 0.9


def test_probe_reports_what_the_file_holds(sentence, tmp_path):
    info = probe_media(sentence)
    assert (info.has_audio, info.has_video, info.format_name, info.sample_rate, info.channels) == (
        True, False, "wav", 16000, 1
    )
    assert info.duration_s == pytest.approx(decode_audio(sentence).size / 16000, abs=0.01)


def test_cover_art_in_an_mp3_is_not_a_video(sentence, tmp_path):
    cover = tmp_path / "cover.png"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=red:s=32x32", "-frames:v", "1", str(cover)], check=True
    )
    mp3 = tmp_path / "with-cover.mp3"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(sentence), "-i", str(cover), "-map", "0:a", "-map", "1:v",
         "-c:v", "png", "-disposition:v", "attached_pic", str(mp3)],
        check=True,
    )
    info = probe_media(mp3)
    assert info.has_audio and not info.has_video


def test_trim_keeps_exactly_the_asked_range(tmp_path):
    # A tone that changes pitch each second: the trimmed part must start in second 2.
    parts = [tone(tmp_path / f"t{i}.wav", 1.0, frequency=300 + 100 * i) for i in range(5)]
    whole = tmp_path / "steps.wav"
    subprocess.run(["sox", *map(str, parts), str(whole)], check=True)
    trimmed = decode_audio(whole, start_s=2.0, end_s=3.5)
    assert trimmed.size == pytest.approx(1.5 * 16000, abs=32)
    first_half_second = trimmed[: 8000]
    peak_hz = np.argmax(np.abs(np.fft.rfft(first_half_second))) * 16000 / first_half_second.size
    assert peak_hz == pytest.approx(500, abs=4)
    assert decode_audio(whole, start_s=4.0).size == pytest.approx(16000, abs=32)
    assert decode_audio(whole, end_s=1.0).size == pytest.approx(16000, abs=32)
    assert decode_audio(whole, end_s=60.0).size == pytest.approx(5 * 16000, abs=32)  # an end past the file: to the end


def test_trim_start_beyond_the_end_is_a_trim_error(tmp_path):
    with pytest.raises(TrimError, match=r"start \(0:09\) is after the end of the file \(0:02\)"):
        decode_audio(tone(tmp_path / "t.wav", 2.0), start_s=9.0)


def test_a_video_without_sound_has_no_audio(tmp_path):
    video = tmp_path / "silent-film.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=blue:s=64x48:r=5", "-t", "2", "-c:v", "libx264",
         "-pix_fmt", "yuv420p", str(video)],
        check=True,
    )
    info = probe_media(video)
    assert info.has_video and not info.has_audio
    with pytest.raises(NoAudioError, match="no sound track"):
        decode_audio(video)


def test_zero_byte_file_is_empty(tmp_path):
    (tmp_path / "empty.mp3").write_bytes(b"")
    with pytest.raises(EmptyAudioError, match="empty"):
        decode_audio(tmp_path / "empty.mp3")


def test_a_missing_file_says_so(tmp_path):
    with pytest.raises(DecodeError, match="missing"):
        decode_audio(tmp_path / "gone.wav")


def test_decoding_fills_one_array_without_copies_of_the_whole_output(tmp_path):
    """A long file is streamed into one preallocated array: peak memory stays
    close to the decoded size (joining ffmpeg's output would need twice that)."""
    path = tmp_path / "ten-minutes.flac"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=f=200:r=16000", "-t", "600", str(path)], check=True
    )
    tracemalloc.start()
    try:
        audio = decode_audio(path)
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert audio.size == 600 * 16000
    assert peak_bytes < 1.15 * audio.nbytes
