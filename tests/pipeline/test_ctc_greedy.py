"""Greedy CTC decoding: our decoder against the tokenizer's, and the pitfalls
that made us write our own."""

import numpy as np
import pytest
from transformers import Wav2Vec2CTCTokenizer

from testkit.tiny_models import VOCAB
from timedtext import Word
from workers.pipeline.engines.ctc_greedy import Vocabulary, decode_ids

FRAME_S = 0.02  # hubert's 20 ms frames

# The hand-made sequence of SETUP-NOTES: double letters on both sides of a blank.
CARRY_SEE = "<pad> C C A R <pad> R Y | | S E <pad> E <pad>".split()


def ids_of(tokens):
    return [VOCAB[token] for token in tokens]


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    return Wav2Vec2CTCTokenizer.from_pretrained(tiny_model_dir)


@pytest.fixture(scope="module")
def vocabulary(tokenizer):
    return Vocabulary.from_tokenizer(tokenizer)


def test_double_letters_survive_and_word_frames_are_right(vocabulary):
    assert decode_ids(ids_of(CARRY_SEE), vocabulary, FRAME_S) == [Word("carry", 0.02, 0.16), Word("see", 0.2, 0.28)]


def test_word_times_are_offset_by_the_chunk_start(vocabulary):
    words = decode_ids(ids_of(CARRY_SEE), vocabulary, FRAME_S, offset_s=30.0)
    assert words == [Word("carry", 30.02, 30.16), Word("see", 30.2, 30.28)]


def test_matches_the_tokenizers_word_offsets(tokenizer, vocabulary):
    decoded = tokenizer.decode(ids_of(CARRY_SEE), output_word_offsets=True, skip_special_tokens=False)
    theirs = [(w["word"].lower(), int(w["start_offset"]), int(w["end_offset"])) for w in decoded["word_offsets"]]
    ours = [(w.text, round(w.start_s / FRAME_S), round(w.end_s / FRAME_S)) for w in decode_ids(ids_of(CARRY_SEE), vocabulary, FRAME_S)]
    assert ours == theirs
    assert decoded["text"].lower() == "carry see"


def test_skip_special_tokens_loses_double_letters(tokenizer):
    """The pitfall: blanks dropped before repeats merge, so "RR" and "EE" collapse."""
    assert tokenizer.decode(ids_of(CARRY_SEE), skip_special_tokens=True) == "CARY SE"
    offsets = tokenizer.decode(ids_of(CARRY_SEE), output_word_offsets=True, skip_special_tokens=True)["word_offsets"]
    assert [(w["word"], w["start_offset"], w["end_offset"]) for w in offsets] != [("CARRY", 1, 8), ("SEE", 10, 14)]


def test_bos_eos_and_unknown_symbols_never_reach_the_text(tokenizer, vocabulary):
    tokens = "<s> C <unk> A T </s> | D O G".split()
    assert "<s>" in tokenizer.decode(ids_of(tokens))  # the tokenizer prints them by default
    assert [w.text for w in decode_ids(ids_of(tokens), vocabulary, FRAME_S)] == ["cat", "dog"]


def test_delimiters_at_the_edges_and_repeated_make_no_empty_words(vocabulary):
    tokens = "| | <pad> H I | <pad> | | Y O U |".split()
    assert decode_ids(ids_of(tokens), vocabulary, FRAME_S) == [Word("hi", 0.06, 0.1), Word("you", 0.18, 0.24)]


def test_all_blank_or_empty_input_decodes_to_nothing(vocabulary):
    assert decode_ids(ids_of(["<pad>"] * 50), vocabulary, FRAME_S) == []
    assert decode_ids(np.array([], dtype=np.int64), vocabulary, FRAME_S) == []


def test_vocabulary_is_read_from_the_tokenizer(vocabulary):
    assert vocabulary.blank_id == VOCAB["<pad>"]
    assert vocabulary.word_delimiter_id == VOCAB["|"]
    assert vocabulary.dropped_ids == {VOCAB["<s>"], VOCAB["</s>"], VOCAB["<unk>"]}
    assert vocabulary.symbols[VOCAB["Q"]] == "Q"
