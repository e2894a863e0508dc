"""Test speech with known words and known pauses, made with espeak-ng and sox."""

import subprocess
from pathlib import Path

SENTENCES = [
    "the quick brown fox jumps over the lazy dog",
    "she sells sea shells by the sea shore",
    "a journey of a thousand miles begins with a single step",
    "all that glitters is not gold",
    "the early bird catches the worm",
    "actions speak louder than words",
    "practice makes perfect every single day",
    "better late than never they said",
]


def run(*command):
    subprocess.run(command, check=True, capture_output=True)


def speak(text, path, rate=16000, speed=170):
    """One sentence as mono WAV at `rate`."""
    raw = Path(path).with_suffix(".raw.wav")
    run("espeak-ng", "-s", str(speed), "-w", str(raw), text)
    run("sox", str(raw), "-r", str(rate), "-c", "1", "-b", "16", str(path))
    raw.unlink()
    return Path(path)


def duration_s(path):
    out = subprocess.run(["soxi", "-D", str(path)], check=True, capture_output=True, text=True).stdout
    return float(out)


def make_speech(folder, sentences, pause_s=1.5, lead_s=0.3, rate=16000):
    """Sentences separated by `pause_s` of digital silence (a float or one per gap).

    Returns (wav_path, speech_spans, pause_spans) with spans as (start_s, end_s)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    pauses = pause_s if isinstance(pause_s, (list, tuple)) else [pause_s] * (len(sentences) - 1)
    parts, speech_spans, pause_spans = [], [], []
    position = 0.0
    lead = folder / "lead.wav"
    run("sox", "-n", "-r", str(rate), "-c", "1", "-b", "16", str(lead), "trim", "0", str(lead_s))
    parts.append(lead)
    position += lead_s
    for index, sentence in enumerate(sentences):
        spoken = speak(sentence, folder / f"sentence-{index}.wav", rate=rate)
        length = duration_s(spoken)
        parts.append(spoken)
        speech_spans.append((position, position + length))
        position += length
        if index < len(sentences) - 1:
            gap = folder / f"gap-{index}.wav"
            run("sox", "-n", "-r", str(rate), "-c", "1", "-b", "16", str(gap), "trim", "0", str(pauses[index]))
            parts.append(gap)
            pause_spans.append((position, position + pauses[index]))
            position += pauses[index]
    out = folder / "speech.wav"
    run("sox", *map(str, parts), str(out))
    return out, speech_spans, pause_spans


def convert(source, target, *ffmpeg_args):
    """ffmpeg conversion, e.g. convert(wav, "x.mp3", "-ac", "2", "-ar", "44100")."""
    run("ffmpeg", "-nostdin", "-y", "-v", "error", "-i", str(source), *ffmpeg_args, str(target))
    return Path(target)


def with_video(source, target):
    """An mp4 with a small video track beside the audio."""
    run(
        "ffmpeg", "-nostdin", "-y", "-v", "error",
        "-f", "lavfi", "-i", "color=c=blue:s=64x48:r=5",
        "-i", str(source),
        "-shortest", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-ac", "2", "-ar", "44100",
        str(target),
    )
    return Path(target)
