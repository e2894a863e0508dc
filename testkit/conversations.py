"""Conversations with known speakers, made from real recordings of different
people (../shared/testdata/speech/: seven LibriSpeech readers and one public
speech) and espeak-ng voices, joined with turns and pauses (or overlaps).

Each speaker's recordings are joined into one stream, and a turn takes the next
piece of that stream, so no speaker ever runs out of words. The reference turn
is the piece trimmed to where it is loud, so its edges are speech, not silence.
"""

import random
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from testkit.speech import SENTENCES

SAMPLE_RATE = 16_000
SHARED_SPEECH = Path(__file__).resolve().parent.parent.parent / "shared" / "testdata" / "speech"
# Recordings by reader (two files are by reader 1272).
RECORDINGS = {
    "ls-1272": ["ls-dev-clean-1272-141231-0002.flac", "ls-dev-clean-1272-128104-0004-8k.wav"],
    "ls-2412": ["ls-dev-clean-2412-153948-0000.flac"],
    "ls-1089": ["ls-test-clean-1089-134691-0000.flac"],
    "ls-1995": ["ls-test-clean-1995-1837-0001.wav"],
    "ls-61": ["ls-test-clean-61-70968-0002.wav"],
    "ls-2033": ["ls-test-other-2033-164915-0001.flac"],
    "jfk": ["jfk.flac"],
}
# espeak-ng voices and variants that sound like different people.
ESPEAK_VOICES = {"espeak-us-m": "en-us+m3", "espeak-gb-f": "en-gb+f3", "espeak-sc-m": "en-gb-scotland+m7"}
LOUD_FRAME_S = 0.02
LOUD_BELOW_PEAK_DB = 35.0


@dataclass(frozen=True)
class ReferenceTurn:
    start_s: float
    end_s: float
    speaker: str


@dataclass(frozen=True)
class Conversation:
    audio: np.ndarray  # float32, 16 kHz mono
    turns: tuple[ReferenceTurn, ...]

    @property
    def duration_s(self):
        return self.audio.size / SAMPLE_RATE

    @property
    def speakers(self):
        return sorted({turn.speaker for turn in self.turns})


def read_audio(path):
    """Any file as 16 kHz mono float32, through ffmpeg (resampling the 8-kHz
    and 44.1-kHz recordings)."""
    raw = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", "-"],
        check=True,
        capture_output=True,
    ).stdout
    return np.frombuffer(raw, dtype=np.float32).copy()


def espeak_audio(voice, folder):
    path = Path(folder) / f"{voice}.wav"
    if not path.exists():
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), ". ".join(SENTENCES)], check=True, capture_output=True)
    return read_audio(path)


def speaker_streams(names, folder):
    """name → one stream of that speaker's speech, loudness-matched."""
    if not SHARED_SPEECH.is_dir():
        raise FileNotFoundError(f"the shared speech recordings are missing: {SHARED_SPEECH}")
    streams = {}
    for name in names:
        if name in RECORDINGS:
            audio = np.concatenate([trimmed(read_audio(SHARED_SPEECH / file)) for file in RECORDINGS[name]])
        else:
            audio = trimmed(espeak_audio(ESPEAK_VOICES[name], folder))
        streams[name] = (audio * (0.1 / max(float(np.sqrt(np.mean(audio**2))), 1e-6))).astype(np.float32)
    return streams


def loud_frames(audio):
    frame = int(LOUD_FRAME_S * SAMPLE_RATE)
    count = audio.size // frame
    energy = np.sqrt(np.mean(audio[: count * frame].reshape(count, frame) ** 2, axis=1) + 1e-12)
    return energy > energy.max() * 10 ** (-LOUD_BELOW_PEAK_DB / 20)


def trimmed(audio):
    """Without silence at the ends."""
    loud = np.flatnonzero(loud_frames(audio))
    if loud.size == 0:
        return audio[:0]
    frame = int(LOUD_FRAME_S * SAMPLE_RATE)
    return audio[loud[0] * frame : (loud[-1] + 1) * frame]


def make_conversation(names, folder, seconds=60.0, turn_s=(2.0, 5.0), pause_s=(0.2, 1.0), overlap_share=0.0,
                      overlap_s=0.5, seed=0):
    """Speakers take turns at random (never the same twice in a row) until
    `seconds` of audio. A change of speaker is an overlap of `overlap_s` with
    probability `overlap_share`, otherwise a pause drawn from `pause_s`."""
    chooser = random.Random(seed)
    streams = speaker_streams(names, folder)
    positions = dict.fromkeys(names, 0)
    pieces, turns = [], []
    position_s, previous = 0.3, None
    while position_s < seconds:
        speaker = chooser.choice([name for name in names if name != previous])
        piece = next_piece(streams[speaker], positions, speaker, chooser.uniform(*turn_s))
        loud = np.flatnonzero(loud_frames(piece))
        if loud.size == 0:
            continue
        frame_s = LOUD_FRAME_S
        pieces.append((position_s, piece))
        turns.append(ReferenceTurn(position_s + loud[0] * frame_s, position_s + (loud[-1] + 1) * frame_s, speaker))
        end_s = position_s + piece.size / SAMPLE_RATE
        overlap = previous is not None and chooser.random() < overlap_share
        position_s = end_s - overlap_s if overlap else end_s + chooser.uniform(*pause_s)
        previous = speaker
    total = int((max(start + piece.size / SAMPLE_RATE for start, piece in pieces) + 0.5) * SAMPLE_RATE)
    audio = np.zeros(total, dtype=np.float32)
    for start_s, piece in pieces:
        first = int(round(start_s * SAMPLE_RATE))
        audio[first : first + piece.size] += piece
    return Conversation(audio, tuple(turns))


def next_piece(stream, positions, speaker, seconds):
    """The next `seconds` of a speaker's stream, wrapping round at its end."""
    length = min(int(seconds * SAMPLE_RATE), stream.size)
    start = positions[speaker]
    if start + length > stream.size:
        start = 0
    positions[speaker] = start + length
    return stream[start : start + length]


def write_conversation(names, folder, seconds=20.0, seed=3):
    """A conversation as a 16-kHz WAV file: (path, Conversation)."""
    import soundfile

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    conversation = make_conversation(names, folder, seconds=seconds, seed=seed)
    path = folder / f"conversation-{'-'.join(names)}-{seed}.wav"
    soundfile.write(path, conversation.audio, SAMPLE_RATE, subtype="PCM_16")
    return path, conversation
