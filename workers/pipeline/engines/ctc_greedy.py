"""Greedy CTC decoding of one chunk's frame-wise argmax ids into timed words,
independent of the tokenizer's decode paths.

Why our own: the tokenizer's `skip_special_tokens=True` drops the blank before
merging repeats, so "carry" decodes as "cary"; in transformers 5.x the word
delimiter "|" is itself a special token, and `<s>`, `</s>`, `<unk>` print
literally by default. Here the order is fixed: merge repeats, then drop blanks,
then split words at the delimiter and drop the other special symbols.
"""

from dataclasses import dataclass

import numpy as np

from timedtext import Word


@dataclass(frozen=True)
class Vocabulary:
    """What the decoder needs from a CTC tokenizer."""

    symbols: tuple[str, ...]  # symbol of each id
    blank_id: int  # the CTC blank: the tokenizer's pad token
    word_delimiter_id: int | None
    dropped_ids: frozenset[int]  # <s>, </s>, <unk>: never part of the text

    @classmethod
    def from_tokenizer(cls, tokenizer):
        vocab = tokenizer.get_vocab()
        symbols = [""] * (max(vocab.values()) + 1)
        for symbol, token_id in vocab.items():
            symbols[token_id] = symbol
        delimiter = getattr(tokenizer, "word_delimiter_token", None)
        dropped = {tokenizer.convert_tokens_to_ids(t) for t in (tokenizer.bos_token, tokenizer.eos_token, tokenizer.unk_token) if t}
        return cls(
            symbols=tuple(symbols),
            blank_id=tokenizer.pad_token_id,
            word_delimiter_id=vocab.get(delimiter) if delimiter else None,
            dropped_ids=frozenset(dropped - {None}),
        )


def decode_ids(ids, vocabulary: Vocabulary, seconds_per_frame, offset_s=0.0) -> list[Word]:
    """Words (lower-cased) of one sequence of argmax ids. A word lasts from its
    first letter's first frame to the end of its last letter's last frame, as
    transformers' output_word_offsets; times are offset_s plus frames."""

    def word(letters, start_frame, end_frame):
        return Word(
            "".join(letters).lower(),
            round(offset_s + start_frame * seconds_per_frame, 3),
            round(offset_s + end_frame * seconds_per_frame, 3),
        )

    ids = np.asarray(ids)
    if ids.size == 0:
        return []
    # Keep the blank until repeats are merged, or "carry" decodes as "cary".
    run_starts = np.flatnonzero(np.concatenate([[True], ids[1:] != ids[:-1]]))
    run_ends = np.concatenate([run_starts[1:], [ids.size]])
    words, letters, word_start, word_end = [], [], 0, 0
    for token_id, start, end in zip(ids[run_starts].tolist(), run_starts.tolist(), run_ends.tolist()):
        if token_id == vocabulary.blank_id or token_id in vocabulary.dropped_ids:
            continue
        if token_id == vocabulary.word_delimiter_id:
            if letters:
                words.append(word(letters, word_start, word_end))
                letters = []
            continue
        if not letters:
            word_start = start
        letters.append(vocabulary.symbols[token_id])
        word_end = end
    if letters:
        words.append(word(letters, word_start, word_end))
    return words
