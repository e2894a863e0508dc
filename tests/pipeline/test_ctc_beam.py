"""Beam search with a person's words and a language model (engines/ctc_beam.py)
on synthetic CTC log-probabilities over hubert's 32 symbols, decoded into timed
words by the engine's own ctc_greedy.decode_ids."""

import random
import string

import pytest

from testkit.arpa import bigram_arpa
from testkit.synthetic_ctc import SYMBOLS, frame_matrix, heard, speech_like, spoken
from workers.pipeline import DecodingOptions
from workers.pipeline.engines.ctc_beam import hotwords_of, load_language_model, make_decoder, written_back
from workers.pipeline.engines.ctc_greedy import Vocabulary, decode_ids
from workers.pipeline.errors import ModelLoadError

VOCABULARY = Vocabulary(symbols=SYMBOLS, blank_id=0, word_delimiter_id=4, dropped_ids=frozenset({1, 2, 3}))
GAP = [{" ": 0.95}, {"_": 0.95}]
# "kubernetes", but each frame where it differs from "cuber netties" leans to the wrong symbol.
KUBERNETES = heard(
    [("c", "k"), ("u", "u"), ("b", "b"), ("e", "e"), ("r", "r"), (" ", "_"), ("n", "n"), ("e", "e"), ("t", "t"),
     ("t", "_"), ("i", "_"), ("e", "e"), ("s", "s")]
)  # fmt: skip


def kubernetes_frames():
    return frame_matrix(spoken("we deploy on") + GAP + KUBERNETES + GAP + spoken("today"))


def decoded(log_probs, **decoding):
    decoder = make_decoder(VOCABULARY, DecodingOptions(**decoding))
    return written_back(decode_ids(decoder.best_path(log_probs), VOCABULARY, 0.02), decoder.hotwords)


def text(words):
    return " ".join(word.text for word in words)


def test_greedy_and_plain_beam_search_get_the_name_wrong():
    log_probs = kubernetes_frames()
    assert text(decoded(log_probs, beam_search=False)) == "we deploy on cuber netties today"
    assert text(decoded(log_probs)) == "we deploy on cuber netties today"


def test_a_listed_word_makes_beam_search_get_it_right_with_its_time():
    log_probs = kubernetes_frames()
    greedy = decoded(log_probs, beam_search=False)
    words = decoded(log_probs, words=("Kubernetes",))
    assert text(words) == "we deploy on Kubernetes today"
    # It spans what greedy heard as two words: the start of "cuber" to the end of "netties".
    assert (words[3].start_s, words[3].end_s) == (greedy[3].start_s, greedy[4].end_s)
    assert words[:3] + words[4:] == greedy[:3] + greedy[5:]


def test_words_switch_beam_search_on_where_the_site_decodes_greedily():
    assert text(decoded(kubernetes_frames(), beam_search=False, words=("Kubernetes",))).endswith("Kubernetes today")


def test_an_unfinished_listed_word_earns_nothing():
    # "kuber" alone, then another word: the bonus must not turn "cuber" into "kuber".
    almost = heard([("c", "k"), ("u", "u"), ("b", "b"), ("e", "e"), ("r", "r")])
    log_probs = frame_matrix(spoken("on") + GAP + almost + GAP + spoken("today"))
    assert text(decoded(log_probs, words=("kubernetes",))) == "on cuber today"


def test_a_list_of_a_thousand_words_still_finds_the_name():
    rng = random.Random(0)
    filler = {"".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 12))) for _ in range(1000)}
    words = decoded(kubernetes_frames(), words=(*sorted(filler), "Kubernetes"))
    assert text(words) == "we deploy on Kubernetes today"


def test_unicode_words_are_spelled_without_accents_and_written_back_as_given():
    log_probs = frame_matrix(spoken("ask") + GAP + heard([("s", "z"), ("o", "o"), ("e", "e")]) + GAP + spoken("now"))
    assert text(decoded(log_probs)) == "ask soe now"
    assert text(decoded(log_probs, words=("Zoë",))) == "ask Zoë now"


def test_words_the_model_cannot_spell_are_set_aside_not_half_used():
    hotwords = hotwords_of(["C++", "東京", "<script>alert(1)</script>", "3M", "T-Mobile", "O’Brien", "Dr.", "  "], SYMBOLS)
    assert hotwords.spelled == ("T MOBILE", "O'BRIEN", "DR")
    assert hotwords.unusable == ("C++", "東京", "<script>alert(1)</script>", "3M")


def test_phrases_are_written_back_only_as_a_whole():
    hotwords = hotwords_of(["New York", "T-Mobile"], SYMBOLS)
    words = decode_ids(
        frame_matrix(spoken("new shoes in new york from t mobile")).argmax(axis=1), VOCABULARY, 0.02
    )
    restored = written_back(words, hotwords)
    assert text(restored) == "new shoes in New York from T-Mobile"
    # "t mobile" became one word from the start of "t" to the end of "mobile".
    assert (restored[-1].start_s, restored[-1].end_s) == (words[-2].start_s, words[-1].end_s)


CAT_ARPA_PREFERS_CAT = bigram_arpa(["the cat sat"] * 20 + ["a cad ran"])
CAT_ARPA_PREFERS_CAD = bigram_arpa(["the cad sat"] * 20 + ["a cat ran"])


@pytest.fixture
def cat_or_cad():
    # "the ca?" where the last letter leans to "d"
    return frame_matrix(spoken("the ca") + heard([("d", "t")]) + GAP + spoken("sat"))


def test_a_tiny_arpa_language_model_changes_the_decoding_the_way_it_should(tmp_path, cat_or_cad):
    assert text(decoded(cat_or_cad)) == "the cad sat"
    prefers_cat = tmp_path / "cat.arpa"
    prefers_cat.write_text(CAT_ARPA_PREFERS_CAT)
    assert text(decoded(cat_or_cad, lm_path=str(prefers_cat))) == "the cat sat"
    prefers_cad = tmp_path / "cad.arpa"
    prefers_cad.write_text(CAT_ARPA_PREFERS_CAD)
    assert text(decoded(cat_or_cad, lm_path=str(prefers_cad))) == "the cad sat"


def test_an_upper_case_language_model_works_too(tmp_path, cat_or_cad):
    # LibriSpeech's models are upper case; the decoder's words are lower case.
    upper = tmp_path / "upper.arpa"
    words_upper = "\n".join(
        line if line.startswith("\\") or line.startswith("ngram") else line.upper().replace("<UNK>", "<unk>")
        .replace("<S>", "<s>").replace("</S>", "</s>")
        for line in CAT_ARPA_PREFERS_CAT.splitlines()
    )  # fmt: skip
    upper.write_text(words_upper)
    assert text(decoded(cat_or_cad, lm_path=str(upper))) == "the cat sat"


def test_a_language_model_and_a_word_list_together(tmp_path):
    arpa = tmp_path / "cat.arpa"
    arpa.write_text(CAT_ARPA_PREFERS_CAT)
    log_probs = frame_matrix(spoken("the ca") + heard([("d", "t")]) + GAP + spoken("sat on") + GAP + KUBERNETES)
    assert text(decoded(log_probs, words=("Kubernetes",), lm_path=str(arpa))) == "the cat sat on Kubernetes"


def test_without_words_or_a_language_model_beam_search_writes_what_greedy_does():
    # Why beam search can be the default: on clear speech it changes nothing.
    for seed in range(5):
        log_probs = speech_like("the quick brown fox jumps over the lazy dog and runs away", seed=seed)
        assert text(decoded(log_probs)) == text(decoded(log_probs, beam_search=False))


def test_no_frames_no_words():
    assert decoded(frame_matrix([])[:0]) == []


@pytest.mark.parametrize(
    ("content", "reason"),
    [(None, "no such file"), (b"\x00\xff binary kenlm", "binary KenLM"), (b"not an arpa file\n", "1-grams")],
)
def test_a_language_model_that_cannot_be_read_is_a_model_load_error(tmp_path, content, reason):
    path = tmp_path / "model.lm"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ModelLoadError, match=reason):
        load_language_model(str(path))
