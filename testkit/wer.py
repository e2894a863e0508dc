"""Word error rate on English text, with jiwer and a stated normalisation.

Both sides go through `normalize_english` before scoring, so the score counts
wrong words, not style: Whisper writes "Mr. Foster's idylls, and" where
LibriSpeech writes "MISTER FOSTER'S IDYLLS AND".

The normalisation, in order:
1. Unicode NFKC, then lower case; curly apostrophes become "'".
2. Spoken titles: "mr", "mrs", "dr" (with or without a dot) become "mister",
   "missus", "doctor", as LibriSpeech transcribes them.
3. Hyphens, dashes and slashes separate words ("up-guards" = "up guards").
4. Apostrophes stay inside a word ("mason's") and go at its edges ("'em" = "em").
5. Every other punctuation mark or symbol is dropped; whitespace is collapsed.
Numbers are NOT rewritten: "1961" and "nineteen sixty one" differ (the
references in testdata/speech hold no numbers, so a digit there is an error).
British and American spellings are not unified either.
"""

import re
import unicodedata
from dataclasses import dataclass

import jiwer

TITLES = {"mr": "mister", "mrs": "missus", "dr": "doctor"}


def normalize_english(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"\b(mrs|mr|dr)\b\.?", lambda match: TITLES[match.group(1)], text)
    text = re.sub(r"[-\u2010-\u2015/]", " ", text)
    text = re.sub(r"[^\w\s']", " ", text)
    text = re.sub(r"(?<!\w)'|'(?!\w)", " ", text)
    return " ".join(text.split())


@dataclass(frozen=True)
class WerResult:
    wer: float  # errors / reference words, over all pairs together
    substitutions: int
    deletions: int
    insertions: int
    reference_words: int

    @property
    def percent(self):
        return 100.0 * self.wer


def word_error_rate(references: list[str], hypotheses: list[str]) -> WerResult:
    """Corpus WER: the errors of all pairs over all their reference words (not
    a mean of per-pair rates, which would weigh a 4-word utterance like a 60-word one)."""
    if len(references) != len(hypotheses):
        raise ValueError("need one hypothesis per reference")
    refs = [normalize_english(text) for text in references]
    hyps = [normalize_english(text) for text in hypotheses]
    if not all(refs):
        raise ValueError("a reference is empty after normalisation")
    result = jiwer.process_words(refs, hyps)
    return WerResult(
        wer=result.wer,
        substitutions=result.substitutions,
        deletions=result.deletions,
        insertions=result.insertions,
        reference_words=sum(len(ref.split()) for ref in refs),
    )
