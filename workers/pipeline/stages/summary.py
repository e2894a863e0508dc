"""A summary of a finished transcript by a transformers seq2seq model
(BART/T5/Pegasus class), map-reduce over long text.

Map: the text is cut into windows of at most `window_tokens` tokens at
sentence ends (the punctuation stage made them), each window summarised.
Reduce: the window summaries, joined, are summarised again, windowed the same
way, until one window remains; that window's summary is the summary.

transformers 5 removed the "summarization" pipeline; seq2seq models still load
with AutoModelForSeq2SeqLM and summarise with `generate`, which is what this does.
"""

import functools
import re
from dataclasses import dataclass

from ..errors import ModelLoadError, PipelineError, load_failure_reason

SENTENCE_END = re.compile(r"(?<=[.?!])\s+")


class SummaryError(PipelineError):
    """The summary failed; the transcript is untouched."""


@dataclass(frozen=True)
class SummaryOptions:
    """window_tokens: most input tokens per model call (capped by the model's
    own limit). summary_tokens: most tokens of each summary. max_rounds: reduce
    rounds before giving up (each round shortens the text several times)."""

    window_tokens: int = 1000
    summary_tokens: int = 150
    min_summary_tokens: int = 30
    num_beams: int = 2
    batch_windows: int = 4
    max_rounds: int = 4

    def __post_init__(self):
        if self.window_tokens < 16 or not 0 < self.min_summary_tokens <= self.summary_tokens:
            raise ValueError("need window_tokens >= 16 and 0 < min_summary_tokens <= summary_tokens")
        if self.summary_tokens * 2 > self.window_tokens:
            raise ValueError("summary_tokens must be at most half of window_tokens, or reducing never ends")


@dataclass(frozen=True)
class Summarizer:
    tokenizer: object
    model: object  # a transformers *ForConditionalGeneration
    prefix: str  # "summarize: " for T5, "" for BART
    max_input_tokens: int
    device: str


@functools.cache
def load_summarizer(model_name: str) -> Summarizer:
    """Tokenizer and model of `model_name` (a hub id or a local folder),
    loaded once per process. Raises ModelLoadError."""
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(model_name)
        model = AutoModelForSeq2SeqLM.from_pretrained(model_name).eval()
    except Exception as exc:  # hub, file system and format errors mean the same to an operator
        raise ModelLoadError(model_name, load_failure_reason(model_name, exc)) from exc
    task = (getattr(model.config, "task_specific_params", None) or {}).get("summarization", {})
    # BART and Pegasus learn positions up to max_position_embeddings; T5 has
    # relative positions and no such limit, its tokenizer's model_max_length is.
    limits = [getattr(model.config, "max_position_embeddings", None), tokenizer.model_max_length]
    max_input = min(limit for limit in limits if isinstance(limit, int) and 0 < limit < 1_000_000)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    return Summarizer(tokenizer, model.to(device), task.get("prefix", ""), max_input, device)


def windows_of(text: str, count_tokens, window_tokens: int) -> list[str]:
    """`text` in pieces of at most window_tokens, cut at sentence ends where a
    sentence fits, else between words."""
    pieces, current, current_tokens = [], [], 0
    for sentence in SENTENCE_END.split(text.strip()):
        for part in split_long(sentence, count_tokens, window_tokens):
            tokens = count_tokens(part)
            if current and current_tokens + tokens > window_tokens:
                pieces.append(" ".join(current))
                current, current_tokens = [], 0
            current.append(part)
            current_tokens += tokens
    if current:
        pieces.append(" ".join(current))
    return pieces


def split_long(sentence: str, count_tokens, window_tokens: int) -> list[str]:
    """A sentence over the limit in pieces between words. Each word is counted
    once (a text without punctuation is one long "sentence": counting growing
    pieces would take quadratic time); the sum may be off by a token or two at
    the joins, and the model's input is truncated at its limit anyway."""
    if count_tokens(sentence) <= window_tokens:
        return [sentence]
    parts, current, current_tokens = [], [], 0
    for word in sentence.split():
        tokens = count_tokens(" " + word)
        if current and current_tokens + tokens > window_tokens:
            parts.append(" ".join(current))
            current, current_tokens = [], 0
        current.append(word)
        current_tokens += tokens
    return parts + ([" ".join(current)] if current else [])


def summarise_windows(summarizer: Summarizer, windows: list[str], options: SummaryOptions, summary_tokens) -> list[str]:
    import torch

    summaries = []
    for first in range(0, len(windows), options.batch_windows):
        batch = [summarizer.prefix + window for window in windows[first : first + options.batch_windows]]
        inputs = summarizer.tokenizer(
            batch, return_tensors="pt", padding=True, truncation=True, max_length=summarizer.max_input_tokens
        )
        inputs.pop("token_type_ids", None)
        inputs = {name: tensor.to(summarizer.device) for name, tensor in inputs.items()}
        with torch.inference_mode():
            # For an encoder-decoder, max_length counts the summary's tokens only; it
            # overrides the checkpoint's own (bart-large-cnn: 142) without the
            # warning max_new_tokens gives next to it. The checkpoint's other
            # settings (no_repeat_ngram_size, length_penalty) stay.
            output = summarizer.model.generate(
                **inputs,
                max_length=summary_tokens,
                min_length=min(options.min_summary_tokens, summary_tokens),
                num_beams=options.num_beams,
            )
        summaries += [text.strip() for text in summarizer.tokenizer.batch_decode(output, skip_special_tokens=True)]
    return summaries


def summarise(
    text: str, summarizer: Summarizer, options=SummaryOptions(), on_round=lambda round_number, windows: None
) -> str:
    """The summary of `text`. on_round(round_number, windows) is called before
    each round. Raises SummaryError with a readable reason."""
    if not text.strip():
        raise SummaryError("There is nothing to summarise: the transcript is empty.")
    window_tokens = min(options.window_tokens, summarizer.max_input_tokens - 2 - count_prefix(summarizer))
    # A model with few positions (the decoder's too) gets shorter summaries, and
    # each round still halves the text.
    summary_tokens = min(options.summary_tokens, window_tokens // 2)

    def count_tokens(piece):
        return len(summarizer.tokenizer(piece, add_special_tokens=False)["input_ids"])

    windows = windows_of(text, count_tokens, window_tokens)
    for round_number in range(1, options.max_rounds + 1):
        on_round(round_number, len(windows))
        try:
            summaries = summarise_windows(summarizer, windows, options, summary_tokens)
        except Exception as exc:  # out of memory, a model that cannot generate: the reason is what a user needs
            raise SummaryError(f"The summary failed: {type(exc).__name__}: {exc}") from exc
        if len(windows) == 1:
            return summaries[0]
        windows = windows_of(" ".join(summaries), count_tokens, window_tokens)
    raise SummaryError(f"The transcript is too long to summarise in {options.max_rounds} rounds.")


def count_prefix(summarizer: Summarizer) -> int:
    return (
        len(summarizer.tokenizer(summarizer.prefix, add_special_tokens=False)["input_ids"]) if summarizer.prefix else 0
    )
