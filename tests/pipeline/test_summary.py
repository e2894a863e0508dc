"""The summary (stages/summary.py): windows cut at sentence ends, and a tiny
random BART loaded from a folder through the stage's own from_pretrained code,
map-reduce over a long text."""

import pytest

from testkit.tiny_models import save_tiny_summarizer
from workers.pipeline.errors import ModelLoadError
from workers.pipeline.stages.summary import SummaryError, SummaryOptions, load_summarizer, summarise, windows_of

SENTENCE = "the cat sat on the mat and it was happy there ."
WORDS = set(SENTENCE.split()) | {"a", "dog", "ran"}


def count_words(text):
    return len(text.split())


def test_windows_are_cut_at_sentence_ends_and_never_exceed_the_limit():
    text = "one two three. four five six seven. eight nine. ten eleven twelve thirteen fourteen fifteen sixteen."
    windows = windows_of(text, count_words, 6)
    assert windows == [
        "one two three.",
        "four five six seven. eight nine.",
        "ten eleven twelve thirteen fourteen fifteen",
        "sixteen.",
    ]
    assert all(count_words(w) <= 6 for w in windows)
    assert " ".join(windows).split() == text.split()  # nothing lost, nothing reordered


@pytest.fixture(scope="module")
def summarizer_dir(tmp_path_factory):
    return save_tiny_summarizer(tmp_path_factory.mktemp("tiny-bart"), WORDS)


def test_tiny_model_summarises_a_long_transcript_by_map_reduce(summarizer_dir):
    summarizer = load_summarizer(str(summarizer_dir))
    rounds = []
    options = SummaryOptions(window_tokens=60, summary_tokens=12, min_summary_tokens=4)
    result = summarise(" ".join([SENTENCE] * 40), summarizer, options, on_round=lambda r, n: rounds.append((r, n)))
    assert isinstance(result, str) and result.strip()
    # 480 tokens in windows of 60: a map round over several windows, then reduce rounds down to one.
    assert rounds[0][1] > 1 and rounds[-1][1] == 1
    assert [n for _, n in rounds] == sorted((n for _, n in rounds), reverse=True)


def test_a_short_transcript_takes_one_call(summarizer_dir):
    rounds = []
    summarise(
        SENTENCE,
        load_summarizer(str(summarizer_dir)),
        SummaryOptions(window_tokens=60, summary_tokens=12, min_summary_tokens=4),
        on_round=lambda r, n: rounds.append(n),
    )
    assert rounds == [1]


def test_batched_windows_match_one_at_a_time(summarizer_dir):
    summarizer = load_summarizer(str(summarizer_dir))
    text = " ".join([SENTENCE, "a dog ran ."] * 20)
    one = summarise(
        text, summarizer, SummaryOptions(window_tokens=60, summary_tokens=12, min_summary_tokens=4, batch_windows=1)
    )
    batched = summarise(
        text, summarizer, SummaryOptions(window_tokens=60, summary_tokens=12, min_summary_tokens=4, batch_windows=4)
    )
    assert one == batched


def test_an_empty_transcript_is_a_readable_error(summarizer_dir):
    with pytest.raises(SummaryError, match="empty"):
        summarise("  ", load_summarizer(str(summarizer_dir)))


def test_a_failing_model_is_a_summary_error_not_a_crash(summarizer_dir, monkeypatch):
    summarizer = load_summarizer(str(summarizer_dir))

    def out_of_memory(**kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(summarizer.model, "generate", out_of_memory)
    with pytest.raises(SummaryError, match="out of memory"):
        summarise(SENTENCE, summarizer, SummaryOptions(window_tokens=60, summary_tokens=12, min_summary_tokens=4))


def test_a_missing_model_folder_is_a_readable_error(tmp_path):
    with pytest.raises(ModelLoadError, match="could not be loaded"):
        load_summarizer(str(tmp_path / "nothing"))
