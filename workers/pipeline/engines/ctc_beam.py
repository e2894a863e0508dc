"""How a CTC engine chooses its symbols: greedily (the likeliest symbol per
frame) or by beam search, with a person's own words (hotwords) and an optional
n-gram language model, through flashlight-text's lexicon-free decoder (its
wheel has KenLM built in).

Both return the best path as one symbol id per frame, the shape of greedy
decoding's argmax, so ctc_greedy.decode_ids (merge repeats, drop blanks, split
at "|") turns either into timed words.

Scores (natural log, added to a path's acoustic log-probabilities):
- a listed word: +hotword_weight per character while the path spells a prefix
  of it, taken back if the word is left unfinished, so that only a whole word
  keeps its bonus ("kuber" alone earns nothing);
- with a language model: lm_weight * ln P(word | history) + word_score per
  finished word; a path that spells what no word of the model or the list
  starts with gets UNKNOWN_WORD_SCORE once, so that it leaves the beam early
  (pyctcdecode's unk_score_offset: better and faster).
"""

import functools
import math
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..errors import ModelLoadError
from ..types import DecodingOptions

# Symbols tried per frame (the likeliest first), and how far (log) below the
# best path a path may fall before it is dropped: measured to halve or quarter
# the time of wider settings with the same output (see the README).
BEAM_SIZE_TOKEN = 4
BEAM_THRESHOLD = 10.0
UNKNOWN_WORD_SCORE = -10.0
# "T-Mobile" is spelled "T MOBILE", "Dr." "DR", "O’Brien" "O'BRIEN".
SEPARATORS = str.maketrans({"-": " ", "_": " ", "/": " ", ".": "", "’": "'"})


@dataclass(frozen=True)
class Hotwords:
    """A person's words as the model spells them, and how to write them back."""

    spelled: tuple[str, ...] = ()  # "KUBERNETES", "NEW YORK": the model's symbols, words split by a space
    # decoded words -> the person's: ("kubernetes",) -> ("Kubernetes",), ("t", "mobile") -> ("T-Mobile",)
    written: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)
    unusable: tuple[str, ...] = ()  # what the model cannot spell: "C++", "東京"

    @property
    def longest(self):
        return max((len(heard) for heard in self.written), default=0)


def spelled_as(text: str, letters: frozenset[str]) -> str:
    """`text` in the model's symbols, or "" if the model cannot spell it:
    accents dropped ("Zoë" -> "ZOE"), upper case; a character it has no symbol
    for ("C++", "3M", "東京", "<b>") makes the word unusable rather than
    half-spelled into a harmful one-letter hotword."""
    decomposed = unicodedata.normalize("NFKD", text.translate(SEPARATORS))
    kept = [c for c in decomposed.upper() if not unicodedata.combining(c)]
    if any(c not in letters and not c.isspace() for c in kept):
        return ""
    return " ".join("".join(kept).split())


def hotwords_of(words, symbols) -> Hotwords:
    letters = frozenset(s for s in symbols if len(s) == 1 and s != "|")
    spelled, written, unusable = [], {}, []
    for word in dict.fromkeys(w.strip() for w in words if w.strip()):
        spelling = spelled_as(word, letters)
        if not spelling:
            unusable.append(word)
            continue
        spelled.append(spelling)
        written[tuple(spelling.lower().split())] = tuple(word.split())
    return Hotwords(tuple(dict.fromkeys(spelled)), written, tuple(unusable))


def arpa_unigrams(path) -> list[str]:
    words, in_unigrams = [], False
    with open(path, encoding="utf-8") as arpa:
        for line in arpa:
            line = line.strip()
            if line.startswith("\\"):
                if in_unigrams:
                    break
                in_unigrams = line == "\\1-grams:"
            elif in_unigrams and line:
                words.append(line.split()[1])
    return words


@dataclass(frozen=True)
class LanguageModel:
    kenlm: object  # flashlight.lib.text.decoder.kenlm.KenLM
    word_index: dict[str, int]  # lower-cased word -> the model's index
    prefixes: frozenset[str]  # every prefix of every word

    @property
    def unknown_index(self):
        return self.word_index.get("<unk>", 0)


@functools.cache
def load_language_model(path: str) -> LanguageModel:
    """An ARPA file through flashlight's KenLM, loaded once per process (a
    large model takes seconds). Raises ModelLoadError."""
    from flashlight.lib.text.decoder.kenlm import KenLM
    from flashlight.lib.text.dictionary import Dictionary

    if not Path(path).is_file():
        raise ModelLoadError(path, "there is no such file")
    try:
        words = arpa_unigrams(path)
    except UnicodeDecodeError:
        raise ModelLoadError(path, "it is not an ARPA text file (binary KenLM files are not read)") from None
    if not words:
        raise ModelLoadError(path, "it has no \\1-grams: section (only ARPA text files are read)")
    try:
        kenlm = KenLM(path, Dictionary(words))
    except Exception as exc:  # unreadable, not ARPA, KenLM's own errors
        raise ModelLoadError(path, (str(exc).strip().splitlines() or [type(exc).__name__])[0]) from exc
    # Looked up in lower case: LibriSpeech's models are upper case, decoded words lower.
    word_index = {word.lower(): index for index, word in reversed(list(enumerate(words)))}
    prefixes = frozenset(word[:i] for word in word_index for i in range(1, len(word) + 1))
    return LanguageModel(kenlm, word_index, prefixes)


def make_bias_lm(symbols, delimiter_id, hotwords: Hotwords, options: DecodingOptions, language_model):
    from flashlight.lib.text.decoder import LM, LMState

    lm_scale = options.lm_weight * math.log(10)  # KenLM scores are log10

    class BiasLM(LM):
        """flashlight calls score(state, symbol) for each path it extends; the
        state of a path is its unfinished word, the bonus it has taken, and the
        n-gram model's state."""

        def __init__(self):
            LM.__init__(self)
            self.prefixes = {p[:i] for p in (s.lower() for s in hotwords.spelled) for i in range(1, len(p) + 1)}
            self.whole = {s.lower() for s in hotwords.spelled}
            self.kenlm = language_model.kenlm if language_model else None
            self.known_prefixes = language_model.prefixes | self.prefixes if language_model else frozenset()
            self.states = {}

        def start(self, start_with_nothing):
            # A new utterance: forget the last one's states (the dict keeps
            # them alive for the C++ side while this decode runs).
            self.states.clear()
            state = LMState()
            self.states[state] = ("", 0.0, self.kenlm.start(False) if self.kenlm else None)
            return state

        def score(self, state, symbol):
            partial, bonus, lm_state = self.states[state]
            child = state.child(symbol)
            if symbol == delimiter_id:
                if partial + " " in self.prefixes:  # inside a phrase: "new york"
                    self.states.setdefault(child, (partial + " ", bonus, lm_state))
                    return child, 0.0
                score, lm_state = self.finish_word(partial, bonus, lm_state)
                self.states.setdefault(child, ("", 0.0, lm_state))
                return child, score
            word = partial + symbols[symbol].lower()
            if word in self.prefixes:
                self.states.setdefault(child, (word, bonus + options.hotword_weight, lm_state))
                return child, options.hotword_weight
            self.states.setdefault(child, (word, 0.0, lm_state))
            if self.kenlm is not None and word not in self.known_prefixes and (not partial or partial in self.known_prefixes):
                return child, UNKNOWN_WORD_SCORE - bonus
            return child, -bonus

        def finish(self, state):
            partial, bonus, lm_state = self.states[state]
            score, lm_state = self.finish_word(partial, bonus, lm_state)
            if self.kenlm is not None:
                lm_state, end_score = self.kenlm.finish(lm_state)
                score += lm_scale * end_score
            return state, score

        def finish_word(self, partial, bonus, lm_state):
            score = 0.0 if partial.strip() in self.whole else -bonus
            if self.kenlm is not None and partial:
                for word in partial.split():
                    index = language_model.word_index.get(word, language_model.unknown_index)
                    lm_state, log10_prob = self.kenlm.score(lm_state, index)
                    score += lm_scale * log10_prob + options.word_score
            return score, lm_state

    return BiasLM()


class GreedyDecoder:
    hotwords = Hotwords()

    def best_path(self, log_probs: np.ndarray) -> np.ndarray:
        return log_probs.argmax(axis=-1)


class BeamDecoder:
    """Beam search over one chunk's log-probabilities (frames x symbols)."""

    def __init__(self, symbols, blank_id, delimiter_id, options: DecodingOptions, hotwords: Hotwords, language_model):
        from flashlight.lib.text.decoder import ZeroLM

        self.options = options
        self.hotwords = hotwords
        self.blank_id = blank_id
        self.delimiter_id = delimiter_id
        plain = not hotwords.spelled and language_model is None
        # Plain beam search needs no Python in the loop: ZeroLM is C++.
        self.lm = ZeroLM() if plain else make_bias_lm(symbols, delimiter_id, hotwords, options, language_model)

    def best_path(self, log_probs: np.ndarray) -> np.ndarray:
        """One symbol id per frame."""
        from flashlight.lib.text.decoder import CriterionType, LexiconFreeDecoder, LexiconFreeDecoderOptions

        log_probs = np.ascontiguousarray(log_probs, dtype=np.float32)
        frames, symbol_count = log_probs.shape
        if frames == 0:
            return np.zeros(0, dtype=np.int64)
        decoder_options = LexiconFreeDecoderOptions(
            beam_size=self.options.beam_size,
            beam_size_token=min(BEAM_SIZE_TOKEN, symbol_count),
            beam_threshold=BEAM_THRESHOLD,
            lm_weight=1.0,  # BiasLM applies its own weights
            sil_score=0.0,
            log_add=False,
            criterion_type=CriterionType.CTC,
        )
        decoder = LexiconFreeDecoder(decoder_options, self.lm, self.delimiter_id, self.blank_id, [])
        best = decoder.decode(log_probs.ctypes.data, frames, symbol_count)[0]
        # Its tokens have a word delimiter added before the first frame and after the last.
        return np.asarray(best.tokens[1 : frames + 1], dtype=np.int64)


def written_back(words, hotwords: Hotwords):
    """Words decoded from the list, written as the person wrote them: "kubernetes"
    -> "Kubernetes", "new york" -> "New York" (a phrase only as a whole: "new"
    alone stays), "t mobile" -> one word "T-Mobile" spanning both."""
    words, result, position = list(words), [], 0
    while position < len(words):
        for length in range(min(hotwords.longest, len(words) - position), 0, -1):
            run = words[position : position + length]
            own = hotwords.written.get(tuple(word.text for word in run))
            if own is None:
                continue
            if len(own) == length:
                result += [replace(word, text=text) for word, text in zip(run, own)]
            elif len(own) == 1:
                result.append(replace(run[0], text=own[0], end_s=run[-1].end_s))
            else:
                continue
            position += length
            break
        else:
            result.append(words[position])
            position += 1
    return result


def make_decoder(vocabulary, options: DecodingOptions):
    """The decoder `options` ask for, for a model with `vocabulary`
    (ctc_greedy.Vocabulary). Raises ModelLoadError for a language model that
    cannot be loaded."""
    if not options.uses_beam:
        return GreedyDecoder()
    if vocabulary.word_delimiter_id is None:
        raise ValueError("beam search needs a word delimiter symbol in the model's vocabulary")
    hotwords = hotwords_of(options.words, vocabulary.symbols)
    language_model = load_language_model(options.lm_path) if options.lm_path else None
    return BeamDecoder(
        vocabulary.symbols, vocabulary.blank_id, vocabulary.word_delimiter_id, options, hotwords, language_model
    )
