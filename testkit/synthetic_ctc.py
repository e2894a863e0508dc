"""Synthetic CTC log-probabilities over the 32-symbol character vocabulary of
facebook/hubert-large-ls960-ft: for tests (a name the greedy decoder gets
wrong) and for speed benchmarks (peaky, speech-like frames)."""

import numpy as np

from .tiny_models import VOCAB

SYMBOLS = tuple(sorted(VOCAB, key=VOCAB.get))
BLANK, DELIMITER = 0, 4
NOISE = 1e-4  # probability each unlisted symbol gets in a frame


def frame_matrix(frames: list[dict[str, float]]) -> np.ndarray:
    """log-probabilities, one row per frame; each frame lists the symbols it
    favours ("_" is the blank, " " the word delimiter) with their probability;
    the rest share what is left."""
    probs = np.full((len(frames), len(SYMBOLS)), NOISE)
    for row, favoured in enumerate(frames):
        for symbol, p in favoured.items():
            probs[row, symbol_id(symbol)] = p
    probs /= probs.sum(axis=1, keepdims=True)
    return np.log(probs).astype(np.float32)


def symbol_id(symbol: str) -> int:
    if symbol == "_":
        return BLANK
    if symbol == " ":
        return DELIMITER
    return VOCAB[symbol.upper()]


def spoken(text: str, p: float = 0.95) -> list[dict[str, float]]:
    """Frames that say `text` clearly: each character then a blank, a
    delimiter between words."""
    frames = [{"_": p}]
    for index, word in enumerate(text.split()):
        if index:
            frames += [{" ": p}, {"_": p}]
        for char in word:
            frames += [{char: p}, {"_": p}]
    return frames


def heard(pairs, p_greedy=0.55, p_right=0.42) -> list[dict[str, float]]:
    """Frames where the greedy choice and the right one differ: pairs of
    (greedy symbol, right symbol), each followed by a blank frame."""
    frames = []
    for greedy, right in pairs:
        frames += [{greedy: p_greedy, right: p_right} if greedy != right else {greedy: 0.95}, {"_": 0.95}]
    return frames


def speech_like(text: str, seed: int = 0, frames_per_second: int = 50, chars_per_second: float = 14.0) -> np.ndarray:
    """Peaky frames for `text` at a speaking rate: each symbol holds 1-2 frames,
    blanks fill the rest; one frame in ten is unsure between two symbols."""
    rng = np.random.default_rng(seed)
    symbols = [" " if c == " " else c for c in " ".join(text.split()).upper() if c == " " or c in VOCAB]
    frames_per_symbol = frames_per_second / chars_per_second
    frames = []
    for symbol in symbols:
        span = max(2, int(rng.poisson(frames_per_symbol)))
        held = 1 + int(rng.random() < 0.3)
        for offset in range(span):
            target = symbol if offset < held else "_"
            if rng.random() < 0.1:
                rival = SYMBOLS[rng.integers(5, len(SYMBOLS))]
                p = rng.uniform(0.4, 0.7)
                frames.append({target: p, rival: (1 - p) * 0.9})
            else:
                frames.append({target: rng.uniform(0.8, 0.99)})
    return frame_matrix(frames)
