"""Who spoke when: speech regions (silero-vad), a voice embedding per short
window (Resemblyzer's encoder), clustering, turns, and a speaker for each word.

    find_speech_regions → window_spans → embed_windows → cluster → turns → words

Memory stays bounded for hours of audio: the voice detector and the encoder
read the decoded audio in fixed-size batches, and only the embeddings (1 KB a
window) are kept. See speaker_turns.py for the clustering rules.
"""

import traceback
from dataclasses import replace

import numpy as np

from ..errors import ModelLoadError
from ..types import SAMPLE_RATE, Span, SpeakerOptions, StageNote
from .speaker_models import load_vad, load_voice_encoder
from .speaker_turns import Turn, centres, cluster, turns_from_scores, window_spans

VAD_CHUNK = 512  # silero-vad's input at 16 kHz: 32 ms
VAD_ROW_S = 30.0  # audio is cut into rows of this length, run side by side
VAD_ROWS = 64
SPEECH_ABOVE = 0.5  # silero-vad's own defaults: enter speech above, leave below
SILENCE_BELOW = 0.35
MIN_SPEECH_S = 0.25
MIN_PAUSE_S = 0.3  # shorter pauses stay inside one region
EMBED_BATCH = 64
# The second pass's windows: short enough to place a change of speaker within
# a tenth of a second, long enough to still sound like someone (bench/).
REFINE_WINDOW_S = 0.5
REFINE_STEP_S = 0.1
# Resemblyzer normalises each utterance's loudness to -30 dBFS before embedding.
TARGET_RMS = 10 ** (-30 / 20)


SPEAKERS_UNAVAILABLE = "Speakers were not told apart: the speaker model is not available on the server right now."
SPEAKERS_FAILED = "Speakers were not told apart: that step failed on our side."


def add_speakers(transcript, audio, offset_s, options: SpeakerOptions, on_note=None):
    """The transcript with speakers (with_speakers), or as it was with a
    StageNote when this stage cannot load its models or fails: a transcript
    without speakers is still a transcript."""
    try:
        vad, encoder = load_vad(), load_voice_encoder(options.encoder)
        return with_speakers(transcript, diarize(audio, vad, encoder, options, offset_s))
    except ModelLoadError as exc:
        detail = str(exc)
        message = SPEAKERS_UNAVAILABLE
    except Exception:
        detail = traceback.format_exc()
        message = SPEAKERS_FAILED
    if on_note is not None:
        on_note(StageNote("speakers", message, detail))
    return transcript


def diarize(audio, vad, encoder, options: SpeakerOptions = SpeakerOptions(), offset_s=0.0):
    """Turns (times relative to the file: `offset_s` is where `audio` starts).

    Two passes: 1-s windows are long enough to tell voices apart and are
    clustered into speakers; then shorter windows, each scored against every
    speaker's centre, place the changes of speaker (turns of about a second,
    which a 1-s window always straddles, need them)."""
    regions = find_speech_regions(audio, vad)
    windows = window_spans(regions, options.window_s, options.step_s)
    embeddings = embed_windows(audio, windows, encoder)
    labels = cluster(embeddings, options)
    if len(labels) == 0:
        return []
    speaker_centres = centres(embeddings, labels)
    del embeddings
    short_windows = window_spans(regions, REFINE_WINDOW_S, REFINE_STEP_S)
    scores = embed_windows(audio, short_windows, encoder, project_on=speaker_centres)
    turns = turns_from_scores(short_windows, scores, regions)
    return [Turn(turn.start_s + offset_s, turn.end_s + offset_s, turn.speaker) for turn in turns]


def speech_probabilities(audio, vad):
    """silero-vad's speech probability per 32-ms chunk. The audio is cut into
    30-s rows run as one batch; each row starts with a fresh state, which costs
    the detector a few chunks of warm-up every 30 s and saves 60 × the calls."""
    import torch

    chunks = -(-audio.size // VAD_CHUNK)
    row_chunks = int(VAD_ROW_S * SAMPLE_RATE) // VAD_CHUNK
    probabilities = np.zeros(chunks, dtype=np.float32)
    with torch.inference_mode():
        for first_row in range(0, chunks, row_chunks * VAD_ROWS):
            rows = min(VAD_ROWS, -(-(chunks - first_row) // row_chunks))
            block = np.zeros(rows * row_chunks * VAD_CHUNK, dtype=np.float32)
            piece = audio[first_row * VAD_CHUNK : (first_row + rows * row_chunks) * VAD_CHUNK]
            block[: piece.size] = piece
            block = torch.from_numpy(block.reshape(rows, row_chunks * VAD_CHUNK))
            vad.reset_states()
            out = np.stack(
                [vad(block[:, i * VAD_CHUNK : (i + 1) * VAD_CHUNK], SAMPLE_RATE)[:, 0].numpy() for i in range(row_chunks)],
                axis=1,
            ).reshape(-1)
            count = min(out.size, chunks - first_row)
            probabilities[first_row : first_row + count] = out[:count]
    return probabilities


def find_speech_regions(audio, vad):
    """Speech as spans of seconds: hysteresis on the probabilities, short
    pauses bridged, blips dropped."""
    if audio.size == 0:
        return []
    probabilities = speech_probabilities(audio, vad)
    chunk_s = VAD_CHUNK / SAMPLE_RATE
    regions, start, speaking = [], 0, False
    for index, probability in enumerate(probabilities):
        if not speaking and probability >= SPEECH_ABOVE:
            start, speaking = index, True
        elif speaking and probability < SILENCE_BELOW:
            regions.append([start * chunk_s, index * chunk_s])
            speaking = False
    if speaking:
        regions.append([start * chunk_s, len(probabilities) * chunk_s])
    joined = []
    for region in regions:
        if joined and region[0] - joined[-1][1] < MIN_PAUSE_S:
            joined[-1][1] = region[1]
        else:
            joined.append(region)
    end_s = audio.size / SAMPLE_RATE
    return [Span(s, min(e, end_s)) for s, e in joined if e - s >= MIN_SPEECH_S]


def embed_windows(audio, windows, encoder, project_on=None):
    """One embedding per window, EMBED_BATCH windows at a time; windows of one
    length share a batch (all but the short regions). With `project_on` (rows
    of unit vectors), each window's cosine similarity to each row instead: a
    few numbers a window, so hours of short windows stay small."""
    width = 256 if project_on is None else len(project_on)
    embeddings = np.zeros((len(windows), width), dtype=np.float32)
    by_length = {}
    for index, window in enumerate(windows):
        samples = sample_range(window)
        by_length.setdefault(samples[1] - samples[0], []).append((index, samples))
    for members in by_length.values():
        for first in range(0, len(members), EMBED_BATCH):
            batch = members[first : first + EMBED_BATCH]
            mels = [encoder.mel_frames(loudness_normalised(audio[a:b])) for _, (a, b) in batch]
            embedded = encoder.embed(encoder.torch.stack(mels))
            embeddings[[index for index, _ in batch]] = embedded if project_on is None else embedded @ project_on.T
    return embeddings


def sample_range(span):
    return int(round(span.start_s * SAMPLE_RATE)), int(round(span.end_s * SAMPLE_RATE))


def loudness_normalised(samples):
    rms = float(np.sqrt(np.mean(np.square(samples), dtype=np.float64))) if samples.size else 0.0
    return samples * (TARGET_RMS / rms) if rms > 1e-5 else samples


def speaker_at(start_s, end_s, turns):
    """The speaker of the turn that overlaps [start_s, end_s] most; for a word
    in a pause, the nearest turn's. None without turns."""
    if not turns:
        return None
    best = max(turns, key=lambda turn: min(turn.end_s, end_s) - max(turn.start_s, start_s))
    if min(best.end_s, end_s) - max(best.start_s, start_s) > 0:
        return best.speaker
    middle_s = (start_s + end_s) / 2
    return min(turns, key=lambda turn: max(turn.start_s - middle_s, middle_s - turn.end_s)).speaker


def with_speakers(transcript, turns):
    """The transcript with a speaker on every word and segment, segments split
    where the speaker changes, and `speakers` listing those who said a word
    (numbered again in order of first word, so no speaker is empty)."""
    segments = [piece for segment in transcript.segments for piece in split_by_speaker(segment, turns)]
    order = {}
    for word in (word for segment in segments for word in segment.words):
        if word.speaker is not None:
            order.setdefault(word.speaker, len(order))
    renamed = [renumbered_segment(segment, order) for segment in segments]
    return replace(transcript, segments=tuple(renamed), speakers=tuple(f"Speaker {i + 1}" for i in range(len(order))))


def split_by_speaker(segment, turns):
    if not segment.words:
        return [segment]
    labels = [speaker_at(word.start_s, word.end_s, turns) for word in segment.words]
    words = tuple(replace(word, speaker=label) for word, label in zip(segment.words, labels))
    runs = [0] + [i for i in range(1, len(labels)) if labels[i] != labels[i - 1]] + [len(labels)]
    # An edited text cannot be cut at words with certainty: it keeps one
    # speaker, the one who said most of its words.
    if len(runs) == 2 or segment.text != " ".join(word.text for word in segment.words):
        majority = max(set(labels), key=lambda label: (labels.count(label), label is not None))
        return [replace(segment, words=words, speaker=majority)]
    pieces = []
    for index, (first, stop) in enumerate(zip(runs, runs[1:])):
        start_s = segment.start_s if index == 0 else words[first].start_s
        end_s = segment.end_s if stop == len(words) else words[stop].start_s
        heard = tuple(word for word in segment.heard_words if start_s <= (word.start_s + word.end_s) / 2 < end_s)
        pieces.append(
            replace(
                segment,
                start_s=start_s,
                end_s=end_s,
                text=" ".join(word.text for word in words[first:stop]),
                words=words[first:stop],
                heard_words=heard,
                speaker=labels[first],
            )
        )
    return pieces


def renumbered_segment(segment, order):
    def number(label):
        return None if label is None else order.get(label)

    return replace(
        segment,
        speaker=number(segment.speaker),
        words=tuple(replace(word, speaker=number(word.speaker)) for word in segment.words),
    )
