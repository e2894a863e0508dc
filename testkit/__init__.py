"""Helpers the tests and the benchmarks share: generated speech with known words
and pauses (speech.py), synthetic CTC log-probabilities (synthetic_ctc.py), small
ARPA language models (arpa.py) and tiny randomly initialised models saved like
hub checkpoints (tiny_models.py). Not part of the product."""
