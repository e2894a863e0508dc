"""Punctuation and true casing by a token-classification model.

Words in (lower case, as the CTC model writes them), the same words out with
punctuation attached and capitals restored; every word keeps its start and
end. The model sees the whole transcript in overlapping windows of subword
tokens, so a sentence that crosses a chunk boundary is punctuated with its
context.

Two label styles are understood (see `mark_of`):
- rpunct style, two characters: the punctuation after the word ("O" for none)
  and the case of the word ("U" capitalised, "O" as it is). The default model,
  felflare/bert-restore-punctuation, uses 15 of them; its config.json names them
  LABEL_0..LABEL_14 only (simpletransformers wrote no names), in the order of
  `RPUNCT_LABELS`.
- fullstop style, one mark: "0" for none, else the punctuation itself
  (oliverguhr/fullstop-punctuation-multilang-large). No casing: only sentence
  starts are capitalised.
"""

import functools
import re
from dataclasses import dataclass, replace

import numpy as np

from timedtext import Word

from ..errors import ModelLoadError, load_failure_reason

# felflare/bert-restore-punctuation's labels, in the order of its output ids
# (rpunct's `valid_labels`, also Alvenir punctfix's config).
RPUNCT_LABELS = ("OU", "OO", ".O", "!O", ",O", ".U", "!U", ",U", ":O", ";O", ":U", "'O", "-O", "?O", "?U")
SENTENCE_ENDS = frozenset(".?!")
# A "-" label cannot say whether it joins a compound ("well-known") or starts a
# dash; appended to a word it reads "well- known", so it is dropped.
DROPPED_MARKS = frozenset("-")
_GENERIC_LABEL = re.compile(r"LABEL_\d+")


@dataclass(frozen=True)
class Mark:
    """What one label asks of its word."""

    after: str  # punctuation appended to the word, "" for none
    capitalise: bool


NO_MARK = Mark("", False)


@dataclass(frozen=True)
class PunctuationOptions:
    """window_tokens: subword tokens per model input, special tokens included.
    overlap_tokens: tokens shared by neighbouring windows; each token takes its
    labels from the window where it lies farthest from a cut edge.
    batch_windows: windows per forward."""

    window_tokens: int = 256
    overlap_tokens: int = 64
    batch_windows: int = 8

    def __post_init__(self):
        if not 0 <= self.overlap_tokens < self.window_tokens - 2:
            raise ValueError("need 0 <= overlap_tokens < window_tokens - 2")
        if self.batch_windows < 1:
            raise ValueError("batch_windows must be at least 1")


def mark_of(label: str) -> Mark:
    if len(label) == 2 and label[1] in "OU":  # rpunct style
        after = "" if label[0] == "O" else label[0]
        capitalise = label[1] == "U"
    elif len(label) == 1:  # fullstop style
        after = "" if label == "0" else label
        capitalise = False
    else:
        raise ValueError(f"unknown punctuation label {label!r}")
    return Mark("" if after in DROPPED_MARKS else after, capitalise)


def marks_of_config(config) -> tuple[Mark, ...]:
    """The Mark of each output id of a token-classification config."""
    names = [config.id2label[i] for i in range(config.num_labels)]
    if all(_GENERIC_LABEL.fullmatch(name) for name in names):
        if len(names) != len(RPUNCT_LABELS):
            raise ValueError(f"its {len(names)} labels have no names; only rpunct's 15 unnamed labels are known")
        names = RPUNCT_LABELS
    return tuple(mark_of(name) for name in names)


def plan_windows(token_count: int, window: int, overlap: int) -> list[tuple[int, int]]:
    """[start, end) token ranges of at most `window` tokens, neighbours sharing
    at least `overlap`; the last one is pushed back to end at the last token,
    so that every window is full (full context) when the text is long enough."""
    if token_count <= window:
        return [(0, token_count)] if token_count else []
    stride = window - overlap
    starts = list(range(0, token_count - window, stride)) + [token_count - window]
    return [(start, start + window) for start in starts]


def stitch(windows, window_logits, token_count: int) -> np.ndarray:
    """One row of logits per token, each taken from the window in which the
    token lies farthest from a cut edge (an edge of the transcript itself is no
    cut: nothing is missing beyond it)."""
    label_count = window_logits[0].shape[-1]
    stitched = np.zeros((token_count, label_count), dtype=np.float32)
    best_margin = np.full(token_count, -1.0)
    for (start, end), logits in zip(windows, window_logits):
        positions = np.arange(start, end)
        before = positions - start if start > 0 else np.full(positions.size, np.inf)
        after = end - 1 - positions if end < token_count else np.full(positions.size, np.inf)
        margin = np.minimum(before, after)
        better = margin > best_margin[start:end]
        stitched[positions[better]] = logits[better]
        best_margin[positions[better]] = margin[better]
    return stitched


def word_label_ids(token_logits: np.ndarray, token_word_ids) -> dict[int, int]:
    """{word index: label id}, each word's label that of its first subword token
    (as the rpunct models were trained: later subwords carry no label)."""
    labels = {}
    for token, word_index in enumerate(token_word_ids):
        if word_index is not None and word_index not in labels:
            labels[word_index] = int(token_logits[token].argmax())
    return labels


def capitalised(text: str) -> str:
    # Only the first letter: str.capitalize() would lower "McDonald" to "Mcdonald".
    return text[:1].upper() + text[1:]


def apply_marks(words, marks) -> list[Word]:
    """The words with their marks applied. A sentence starts capitalised
    whatever the model says, and the transcript ends with a sentence end."""
    restored, sentence_start = [], True
    for word, mark in zip(words, marks, strict=True):
        text = capitalised(word.text) if mark.capitalise or sentence_start else word.text
        if mark.after and not text.endswith(mark.after):
            text += mark.after
        restored.append(replace(word, text=text))
        sentence_start = text[-1:] in SENTENCE_ENDS
    if restored and not sentence_start:
        last = restored[-1]
        restored[-1] = replace(last, text=last.text.rstrip(",;:'") + ".")
    return restored


@dataclass(frozen=True)
class PunctuationModel:
    tokenizer: object  # a fast tokenizer: word_ids() maps tokens to words
    model: object  # a transformers *ForTokenClassification
    marks: tuple[Mark, ...]
    device: str


@functools.cache
def load_punctuation_model(model_name: str) -> PunctuationModel:
    """The tokenizer and model of `model_name` (a hub id or a local folder),
    loaded once per process, on the GPU when there is one. Raises ModelLoadError."""
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(model_name)
        model = AutoModelForTokenClassification.from_pretrained(model_name).eval()
        marks = marks_of_config(model.config)
    except Exception as exc:  # hub, file system and format errors mean the same to an operator
        raise ModelLoadError(model_name, load_failure_reason(model_name, exc)) from exc
    if not tokenizer.is_fast:
        raise ModelLoadError(model_name, "it has no fast tokenizer (needed to map tokens to words)")
    device = "cuda" if torch.cuda.is_available() else "cpu"
    return PunctuationModel(tokenizer, model.to(device), marks, device)


def token_logits(punctuation: PunctuationModel, token_ids: list[int], options: PunctuationOptions) -> np.ndarray:
    """Logits of every token of the transcript, from overlapping windows."""
    import torch

    tokenizer = punctuation.tokenizer
    windows = plan_windows(len(token_ids), options.window_tokens - 2, options.overlap_tokens)
    # [CLS] ... [SEP] for BERT, <s> ... </s> for XLM-R: both tokenizers name them
    # cls and sep (transformers 5 has no build_inputs_with_special_tokens).
    inputs = [[tokenizer.cls_token_id, *token_ids[start:end], tokenizer.sep_token_id] for start, end in windows]
    window_logits = []
    for first in range(0, len(inputs), options.batch_windows):
        batch = inputs[first : first + options.batch_windows]
        longest = max(len(ids) for ids in batch)
        ids = torch.full((len(batch), longest), tokenizer.pad_token_id)
        mask = torch.zeros((len(batch), longest), dtype=torch.long)
        for row, row_ids in enumerate(batch):
            ids[row, : len(row_ids)] = torch.tensor(row_ids)
            mask[row, : len(row_ids)] = 1
        with torch.inference_mode():
            output = punctuation.model(input_ids=ids.to(punctuation.device), attention_mask=mask.to(punctuation.device))
        logits = output.logits.float().cpu().numpy()
        # Drop the leading [CLS]/<s> and everything from the closing [SEP]/</s> on.
        window_logits += [logits[row, 1 : len(row_ids) - 1] for row, row_ids in enumerate(batch)]
    return stitch(windows, window_logits, len(token_ids))


def restore_punctuation(words, punctuation: PunctuationModel, options=PunctuationOptions()) -> list[Word]:
    """`words` with punctuation and capitals; times unchanged."""
    words = list(words)
    if not words:
        return []
    # The whole transcript in one encoding: the windows are cut from its tokens.
    encoding = punctuation.tokenizer(
        [word.text for word in words], is_split_into_words=True, add_special_tokens=False, verbose=False
    )
    if not encoding["input_ids"]:
        return apply_marks(words, [NO_MARK] * len(words))
    logits = token_logits(punctuation, encoding["input_ids"], options)
    labels = word_label_ids(logits, encoding.word_ids())
    # A word the tokenizer drops entirely (only characters it strips) has no
    # token; it keeps its text and takes no mark.
    marks = [punctuation.marks[labels[i]] if i in labels else NO_MARK for i in range(len(words))]
    return apply_marks(words, marks)
