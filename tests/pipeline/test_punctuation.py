"""Punctuation and capitals (stages/punctuation.py): labels to text, window
stitching on hand-made logits, and a tiny random BERT token classifier with the
real label set of felflare/bert-restore-punctuation, loaded from a folder
through the stage's own from_pretrained code."""

import numpy as np
import pytest

from testkit.tiny_models import save_token_classifier
from timedtext import Word
from workers.pipeline.errors import ModelLoadError
from workers.pipeline.stages.punctuation import (
    RPUNCT_LABELS,
    Mark,
    PunctuationOptions,
    apply_marks,
    load_punctuation_model,
    mark_of,
    marks_of_config,
    plan_windows,
    restore_punctuation,
    stitch,
)

LABEL_ID = {label: index for index, label in enumerate(RPUNCT_LABELS)}
MARKS = tuple(mark_of(label) for label in RPUNCT_LABELS)


def timed(text, start_s=0.0, step_s=0.4):
    return [
        Word(token, round(start_s + i * step_s, 3), round(start_s + i * step_s + 0.3, 3))
        for i, token in enumerate(text.split())
    ]


def one_hot(labels):
    logits = np.full((len(labels), len(RPUNCT_LABELS)), -5.0, dtype=np.float32)
    for row, label in enumerate(labels):
        logits[row, LABEL_ID[label]] = 5.0
    return logits


def test_rpunct_labels_mean_punctuation_after_and_case_of_the_word():
    assert mark_of("OU") == Mark("", True)
    assert mark_of("OO") == Mark("", False)
    assert mark_of(",O") == Mark(",", False)
    assert mark_of("?U") == Mark("?", True)


def test_fullstop_labels_are_punctuation_only():
    assert [mark_of(label) for label in ("0", ".", ",", "?", ":")] == [
        Mark("", False),
        Mark(".", False),
        Mark(",", False),
        Mark("?", False),
        Mark(":", False),
    ]


def test_a_hyphen_label_adds_nothing_rather_than_well_dash_space_known():
    assert mark_of("-O") == Mark("", False)


def test_unknown_label_is_an_error():
    with pytest.raises(ValueError, match="B-PER"):
        mark_of("B-PER")


class Config:
    def __init__(self, names):
        self.id2label = dict(enumerate(names))
        self.num_labels = len(names)


def test_unnamed_labels_of_felflare_are_read_in_rpunct_order():
    marks = marks_of_config(Config([f"LABEL_{i}" for i in range(15)]))
    assert marks == MARKS


def test_unnamed_labels_of_another_count_are_refused():
    with pytest.raises(ValueError, match="7 labels have no names"):
        marks_of_config(Config([f"LABEL_{i}" for i in range(7)]))


def test_marks_apply_to_words_and_keep_their_times():
    words = timed("hello doctor smith how are you i am fine")
    marks = [MARKS[LABEL_ID[label]] for label in ("OU", "OU", ",U", "OU", "OO", "?O", "OU", "OO", ".O")]
    restored = apply_marks(words, marks)
    assert " ".join(w.text for w in restored) == "Hello Doctor Smith, How are you? I am fine."
    assert [(w.start_s, w.end_s) for w in restored] == [(w.start_s, w.end_s) for w in words]


def test_sentence_starts_are_capitalised_and_the_transcript_ends_a_sentence():
    restored = apply_marks(timed("it rained. so we stayed in"), [Mark("", False)] * 6)
    assert " ".join(w.text for w in restored) == "It rained. So we stayed in."


def test_capitalising_keeps_inner_capitals():
    assert apply_marks([Word("mcDonald", 0, 1)], [Mark(".", True)])[0].text == "McDonald."


def test_windows_cover_every_token_with_the_overlap_asked():
    windows = plan_windows(1000, 254, 64)
    assert windows[0] == (0, 254) and windows[-1][1] == 1000
    assert all(end - start == 254 for start, end in windows)
    assert all(b[0] <= a[1] - 64 for a, b in zip(windows, windows[1:]))
    assert plan_windows(10, 254, 64) == [(0, 10)]
    assert plan_windows(0, 254, 64) == []


SENTENCES = "the cat sat on the mat all day it was happy there and then it slept"
TRUTH = ["OU", "OO", "OO", "OO", "OO", "OO", "OO", ".O", "OU", "OO", "OO", ",O", "OO", "OO", "OO", ".O"]


def myopic_window_logits(windows, token_count):
    """What a model that sees only its window says: next to a cut edge it
    misreads the sentence (it ends the sentence before the cut, and starts one
    after it); elsewhere it is right."""
    window_logits = []
    for start, end in windows:
        labels = list(TRUTH[start:end])
        if end < token_count:
            labels[-1] = ".O"
        if start > 0:
            labels[0] = "OU"
        window_logits.append(one_hot(labels))
    return window_logits


def test_a_sentence_cut_by_a_window_edge_takes_labels_from_where_it_is_central():
    words = timed(SENTENCES)
    windows = plan_windows(len(words), 8, 4)
    assert len(windows) > 2  # the text is cut, more than once
    window_logits = myopic_window_logits(windows, len(words))
    labels = stitch(windows, window_logits, len(words)).argmax(axis=1)
    text = " ".join(w.text for w in apply_marks(words, [MARKS[i] for i in labels]))
    assert text == "The cat sat on the mat all day. It was happy there, and then it slept."

    # The same logits glued end to end (each window's own part) break sentences:
    # the test's windows really are cut mid-sentence.
    naive = np.concatenate(
        [
            logits[: (windows[i + 1][0] - start) if i + 1 < len(windows) else None]
            for i, ((start, _), logits) in enumerate(zip(windows, window_logits))
        ]
    )
    naive_text = " ".join(w.text for w in apply_marks(words, [MARKS[i] for i in naive.argmax(axis=1)]))
    assert naive_text != text


@pytest.fixture(scope="module")
def punctuation_dir(tmp_path_factory):
    return save_token_classifier(tmp_path_factory.mktemp("tiny-punct"), SENTENCES.split() + ["kub", "##ern", "##etes"])


def long_transcript(word_count):
    vocabulary = SENTENCES.split() + ["kubernetes", "3.5%", "zoë"]
    return [Word(vocabulary[i % len(vocabulary)], i * 0.4, i * 0.4 + 0.3) for i in range(word_count)]


def test_tiny_model_loads_from_a_folder_and_keeps_every_time(punctuation_dir):
    punctuation = load_punctuation_model(str(punctuation_dir))
    assert punctuation.marks == MARKS
    words = long_transcript(700)
    restored = restore_punctuation(words, punctuation, PunctuationOptions(window_tokens=64, overlap_tokens=16))
    assert [(w.start_s, w.end_s) for w in restored] == [(w.start_s, w.end_s) for w in words]
    # Only punctuation and case change.
    assert [w.text.lower().rstrip(".,?!:;'") for w in restored] == [w.text for w in words]
    assert restored[0].text[0].isupper() and restored[-1].text[-1] in ".?!"


def test_batched_windows_match_one_at_a_time(punctuation_dir):
    punctuation = load_punctuation_model(str(punctuation_dir))
    words = long_transcript(500)
    one = restore_punctuation(
        words, punctuation, PunctuationOptions(window_tokens=64, overlap_tokens=16, batch_windows=1)
    )
    batched = restore_punctuation(
        words, punctuation, PunctuationOptions(window_tokens=64, overlap_tokens=16, batch_windows=8)
    )
    assert one == batched


def test_no_words_no_model_call(punctuation_dir):
    assert restore_punctuation([], load_punctuation_model(str(punctuation_dir))) == []


def test_a_missing_model_folder_is_a_readable_error(tmp_path):
    with pytest.raises(ModelLoadError, match="could not be loaded"):
        load_punctuation_model(str(tmp_path / "nothing-here"))


def test_a_word_the_tokenizer_drops_keeps_its_place_and_time(punctuation_dir):
    words = [Word("the", 0.0, 0.2), Word("\u200b", 0.3, 0.4), Word("cat", 0.5, 0.7)]
    restored = restore_punctuation(words, load_punctuation_model(str(punctuation_dir)))
    assert [(w.start_s, w.end_s) for w in restored] == [(0.0, 0.2), (0.3, 0.4), (0.5, 0.7)]
    assert restored[1].text.startswith("\u200b")
