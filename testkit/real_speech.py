"""The real recordings with reference transcripts in ../shared/testdata/speech
(MANIFEST.tsv: seven LibriSpeech speakers and one public speech), and a long
recording made of them, for the accuracy tests and bench/wer.py."""

import csv
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from workers.pipeline import SAMPLE_RATE, decode_audio

SPEECH_DIR = Path(__file__).resolve().parents[2] / "shared" / "testdata" / "speech"


@dataclass(frozen=True)
class Utterance:
    name: str
    path: Path
    audio: np.ndarray  # 16 kHz mono float32, decoded by the pipeline's own guarded decode
    reference: str


def load_utterances(folder=SPEECH_DIR) -> list[Utterance]:
    """Every recording of MANIFEST.tsv, in its order. A missing folder is an
    error, never an empty set."""
    folder = Path(folder)
    manifest = folder / "MANIFEST.tsv"
    if not manifest.is_file():
        raise FileNotFoundError(f"the real speech test data is missing: {manifest}")
    with open(manifest, newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream, delimiter="\t"))
    return [
        Utterance(row["file"], folder / row["file"], decode_audio(folder / row["file"]), row["reference_text"])
        for row in rows
    ]


@dataclass(frozen=True)
class LongRecording:
    audio: np.ndarray
    reference: str
    spans_s: tuple[tuple[float, float], ...]  # where each utterance lies

    @property
    def duration_s(self):
        return self.audio.size / SAMPLE_RATE


def join_with_pauses(utterances, repeats=3, pause_s=(0.6, 2.0), noise_dbfs=-60.0, seed=0) -> LongRecording:
    """The utterances `repeats` times (each round in a new order), separated by
    pauses of uniform random length in pause_s filled with low white noise
    (noise_dbfs RMS, like room tone, so that no pause is digital silence)."""
    rng = np.random.default_rng(seed)
    noise_rms = 10.0 ** (noise_dbfs / 20.0)
    order = [int(index) for _ in range(repeats) for index in rng.permutation(len(utterances))]
    parts, references, spans, position = [], [], [], 0
    for count, index in enumerate(order):
        if count:
            gap = int(rng.uniform(*pause_s) * SAMPLE_RATE)
            parts.append((rng.standard_normal(gap) * noise_rms).astype(np.float32))
            position += gap
        utterance = utterances[index]
        parts.append(utterance.audio)
        spans.append((position / SAMPLE_RATE, (position + utterance.audio.size) / SAMPLE_RATE))
        position += utterance.audio.size
        references.append(utterance.reference)
    return LongRecording(np.concatenate(parts), " ".join(references), tuple(spans))


def write_wav(audio, path) -> Path:
    """32-bit float 16 kHz mono WAV, for the pipeline to decode like an upload.
    Float, not 16-bit: the pipeline then reads exactly the samples that the
    engine alone is given. Whisper is that sensitive: the long benchmark file
    written as 16-bit WAV scored 6.94 % for tiny.en, as float 5.88 % (bench/README.md)."""
    command = [
        "ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", "1", "-i", "pipe:0",
        "-c:a", "pcm_f32le", str(path),
    ]
    subprocess.run(command, input=np.ascontiguousarray(audio, dtype="<f4").tobytes(), check=True, capture_output=True)
    return Path(path)
