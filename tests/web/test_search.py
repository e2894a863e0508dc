"""Search over a person's transcripts (transcripts/search.py, search_words.py, search_index.py):
the same results on SQLite and PostgreSQL, an index that follows every write,
safe snippets and queries."""

import re

import pytest
from django.db import connection
from django.urls import reverse

from tests.support.web_factory import add_segments, make_transcription
from transcripts import search
from transcripts.models import Segment, Transcription

pytestmark = pytest.mark.django_db(transaction=True)

# Several languages and scripts, the odd characters people and models write.
CORPUS = [
    "We need more money for the budget this year.",
    "The budget meeting moved to Tuesday; don't forget the slides.",
    "Well-known speakers talked about money, not budgets.",
    "Le résumé du café est prêt, CAFÉ noir.",
    "Straße in İstanbul: 3.5 km, covid19 tests.",
    "Привет, мир! Ёлка стоит у окна.",
    "東京都に住んでいます。京都にも行きました。",
    "नमस्ते दुनिया, यह एक परीक्षण है।",
    "مرحبا بالعالم",
    "<script>alert('budget')</script> & friends",
    "Transcription and transcripts, transparent transfers.",
    "SELECT * FROM users; DROP TABLE budget; --",
]
QUERIES = [
    "budget",
    "BUDGET money",
    "money -budget",
    '"budget meeting"',
    '"meeting budget"',
    "trans*",
    "resume",
    "Résumé cafe",
    "strasse istanbul",
    "3.5",
    "мир ёлка",
    "елка",
    "東京",
    "京都",
    "都東",
    "नमस्ते",
    "بالعالم",
    "well-known",
    "don't",
    "script alert",
    "drop table",
    "nothing-here-at-all",
]


def hits_for(owner, text, limit=100):
    return search.find(owner, search.parse_query(text), limit)


@pytest.fixture
def corpus(owner, stranger):
    make_transcription(owner, title="Everything", texts=CORPUS)
    # A stranger's identical words are never found.
    make_transcription(stranger, title="Not yours", texts=CORPUS)


@pytest.mark.parametrize("text", QUERIES)
def test_results_are_what_the_query_means_on_this_database(owner, corpus, text):
    """Each database returns exactly the segments the Python definition of a
    match selects: so SQLite and PostgreSQL (the suite runs on both) agree."""
    query = search.parse_query(text)
    expected = {segment for segment in CORPUS if search.matches(segment, query)}
    found = [hit.segment.text for hit in hits_for(owner, text)]
    assert len(found) == len(set(found))
    assert set(found) == expected, connection.vendor


def test_the_queries_above_are_not_trivial():
    """Most of the queries find something, some on purpose find nothing."""
    counts = {text: sum(search.matches(segment, search.parse_query(text)) for segment in CORPUS) for text in QUERIES}
    assert counts["budget"] == 4  # budgets (plural) is another word: no stemming
    assert counts["money -budget"] == 1
    assert counts['"budget meeting"'] == 1 and counts['"meeting budget"'] == 0
    assert counts["trans*"] == 1 and counts["resume"] == 1 and counts["елка"] == 1
    assert counts["京都"] == 1 and counts["都東"] == 0 and counts["東京"] == 1
    assert counts["nothing-here-at-all"] == 0
    assert sum(1 for count in counts.values() if count) >= len(QUERIES) - 3


def test_ranking_puts_the_segment_with_more_of_the_words_first(owner):
    make_transcription(
        owner, texts=["the budget", "budget budget budget review of the budget", "nothing to see", "a budget"]
    )
    hits = hits_for(owner, "budget")
    assert hits[0].segment.text == "budget budget budget review of the budget"
    assert len(hits) == 3


@pytest.mark.parametrize(
    "text",
    [
        '"unbalanced quote',
        '""',
        "-",
        "--budget",
        "-budget",
        "*",
        "budget*",
        "a* b* c*",
        "'; DROP TABLE transcripts_segment; --",
        'budget" OR 1=1 --',
        "NEAR(budget money) OR NOT AND",
        "col:budget ^budget budget:*",
        "\\x00 \x00 %_ %%",
        "😀 budget ✓",
        "a " * 200,
    ],
)
def test_odd_queries_are_answered_without_errors(signed_in, owner, corpus, text):
    response = signed_in.get(reverse("transcripts:history"), {"q": text})
    assert response.status_code == 200
    query = search.parse_query(text)
    assert len(query.include) + len(query.exclude) <= search.MAX_TERMS
    expected = {segment for segment in CORPUS if search.matches(segment, query)}
    assert {hit.segment.text for hit in hits_for(owner, text)} == expected
    assert Segment.objects.count() == 2 * len(CORPUS)  # and nothing was dropped


def test_search_page_shows_ranked_hits_with_marked_words_and_links_to_the_moment(signed_in, owner):
    transcription = make_transcription(owner, title="Team call", texts=["hello there", "we talk about the budget today"])
    page = signed_in.get(reverse("transcripts:history"), {"q": "Budget"}).content.decode()
    assert "we talk about the <mark>budget</mark> today" in page
    assert f'href="{transcription.get_absolute_url()}#t=2.00"' in page
    assert "Team call" in page and "hello there" not in page


def test_snippet_escapes_html_in_the_text(signed_in, owner):
    make_transcription(owner, texts=["<script>alert('budget')</script> & <b>friends</b>"])
    page = signed_in.get(reverse("transcripts:history"), {"q": "budget"}).content.decode()
    snippet = re.search(r'<p class="snippet">(.*?)</p>', page).group(1)
    assert snippet == "&lt;script&gt;alert(&#x27;<mark>budget</mark>&#x27;)&lt;/script&gt; &amp; &lt;b&gt;friends&lt;/b&gt;"
    assert "<script>alert" not in page


def test_snippet_of_a_long_segment_is_the_text_around_the_match():
    text = " ".join(f"word{number}" for number in range(200)) + " the budget " + "tail " * 100
    snippet = search.snippet(text, search.parse_query("budget"))
    assert "<mark>budget</mark>" in snippet
    assert snippet.startswith("… ") and snippet.endswith(" …")
    assert len(snippet) < search.SNIPPET_CHARS + 40


def test_search_pages_through_results_without_counting_them(signed_in, owner, django_assert_num_queries):
    make_transcription(owner, texts=[f"budget line {number}" for number in range(30)])
    url = reverse("transcripts:history")
    # session, user, matching ids, their rows, matching titles
    with django_assert_num_queries(5):
        first = signed_in.get(url, {"q": "budget"}).content.decode()
    assert first.count('class="hit"') == 25 and "page=2" in first
    second = signed_in.get(url, {"q": "budget", "page": 2}).content.decode()
    assert second.count('class="hit"') == 5 and "page=3" not in second
    assert signed_in.get(url, {"q": "budget", "page": "x"}).status_code == 200


def test_titles_are_found_too(signed_in, owner):
    make_transcription(owner, title="Quarterly budget", texts=["numbers and more numbers"])
    page = signed_in.get(reverse("transcripts:history"), {"q": "quarterly"}).content.decode()
    assert "Quarterly budget" in page and "No transcript matches" not in page
    assert "No transcript matches" in signed_in.get(reverse("transcripts:history"), {"q": "zebra"}).content.decode()


# ---- the index follows every write ----


def found_texts(owner, text):
    return [hit.segment.text for hit in hits_for(owner, text)]


def test_editing_and_reverting_a_segment_updates_the_index(signed_in, owner):
    transcription = make_transcription(owner, texts=["the old wording"])
    edit = reverse("transcripts:edit_segment", args=[transcription.pk, 0])
    assert signed_in.post(edit, {"text": "the corrected phrasing"}).status_code == 302
    assert found_texts(owner, "corrected") == ["the corrected phrasing"]
    assert found_texts(owner, "wording") == []
    signed_in.post(reverse("transcripts:revert_segment", args=[transcription.pk, 0]))
    assert found_texts(owner, "wording") == ["the old wording"]
    assert found_texts(owner, "corrected") == []


def test_deleting_a_transcription_removes_its_segments_from_the_index(signed_in, owner):
    transcription = make_transcription(owner, texts=["ephemeral words"])
    assert found_texts(owner, "ephemeral")
    assert signed_in.post(reverse("transcripts:delete", args=[transcription.pk])).status_code == 302
    assert found_texts(owner, "ephemeral") == []
    assert Transcription.objects.search("ephemeral").count() == 0


def test_every_way_of_writing_text_keeps_the_search_words(owner):
    transcription = make_transcription(owner, texts=["first"])
    Segment.objects.filter(transcription=transcription).update(text="second")
    segment = Segment.objects.get(transcription=transcription)
    assert segment.search_text == "second"
    segment.text = "Third"
    segment.save(update_fields=["text"])
    assert Segment.objects.get(pk=segment.pk).search_text == "third"
    segment.text = "Fourth"
    Segment.objects.bulk_update([segment], ["text"])
    Segment.objects.bulk_create(
        [Segment(transcription=transcription, index=0, start_s=0.0, end_s=1.0, text="Fifth")],
        update_conflicts=True,
        unique_fields=["transcription", "index"],
        update_fields=["text"],
    )
    assert Segment.objects.get(pk=segment.pk).search_text == "fifth"
    assert found_texts(owner, "fifth") == ["Fifth"] and found_texts(owner, "fourth") == []
    with pytest.raises(TypeError):
        Segment.objects.filter(pk=segment.pk).update(text=None)


def test_the_index_agrees_with_the_segments_after_many_writes(owner):
    transcription = make_transcription(owner, texts=[f"row {number} alpha" for number in range(20)])
    Segment.objects.filter(transcription=transcription, index__lt=10).update(text="beta")
    Segment.objects.filter(transcription=transcription, index__gte=15).delete()
    add_segments(make_transcription(owner, texts=[]), ["alpha beta gamma"])
    assert len(found_texts(owner, "alpha")) == 6
    assert len(found_texts(owner, "beta")) == 11
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # FTS5's own check that the index matches its content table.
            cursor.execute("INSERT INTO transcripts_segment_fts(transcripts_segment_fts, rank) VALUES ('integrity-check', 1)")
        else:
            cursor.execute(
                "SELECT count(*) FROM transcripts_segment WHERE search_vector IS DISTINCT FROM to_tsvector('simple', search_text)"
            )
            assert cursor.fetchone()[0] == 0


def test_the_database_cuts_words_exactly_as_python_does(owner):
    """The index holds the words of search_text, no more, no fewer, in order, in
    both databases: their own tokenizers never split or merge our words."""
    make_transcription(owner, texts=CORPUS)
    for segment in Segment.objects.filter(transcription__owner=owner):
        assert stored_words(segment.pk) == search.search_text_of(segment.text).split(), segment.text


def stored_words(pk):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.segment_words "
                "USING fts5vocab(main, transcripts_segment_fts, instance)"
            )
            cursor.execute("SELECT term FROM temp.segment_words WHERE doc = %s ORDER BY offset", [pk])
        else:
            cursor.execute(
                "SELECT t.lexeme FROM transcripts_segment s, unnest(s.search_vector) AS t, unnest(t.positions) AS p "
                "WHERE s.id = %s ORDER BY p",
                [pk],
            )
        return [row[0] for row in cursor.fetchall()]


def test_a_dropped_trigger_is_restored_and_the_index_rebuilt_after_migrate(owner):
    """SQLite drops a table's triggers when Django rebuilds the table for a later
    migration; `migrate` puts them back (apps.py) and rebuilds what they missed."""
    from django.core.management import call_command

    transcription = make_transcription(owner, texts=["before"])
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER transcripts_segment_fts_update")
            cursor.execute("DROP TRIGGER transcripts_segment_fts_insert")
        Segment.objects.filter(transcription=transcription).update(text="missed while the trigger was gone")
        add_segments(make_transcription(owner, texts=[]), ["also missed"])
        assert found_texts(owner, "missed") == []  # the attack: the index went stale
    else:
        Segment.objects.filter(transcription=transcription).update(text="missed while the trigger was gone")
        add_segments(make_transcription(owner, texts=[]), ["also missed"])
    call_command("migrate", verbosity=0)
    assert sorted(found_texts(owner, "missed")) == ["also missed", "missed while the trigger was gone"]
    assert found_texts(owner, "before") == []


def test_ranking_looks_at_the_most_recent_matches_only_the_same_on_both_databases(owner, monkeypatch):
    """A very common word is ranked among the newest RANKED_MATCHES segments
    that have it (search_index.py): the same segments on every database."""
    from transcripts import search_index

    monkeypatch.setattr(search_index, "RANKED_MATCHES", 5)
    make_transcription(owner, texts=[f"common word {number}" + " common" * (number % 3) for number in range(12)])
    ids = search_index.matching_segment_ids(owner.pk, search.parse_query("common"), limit=50)
    newest = list(Segment.objects.order_by("-pk").values_list("pk", flat=True)[:5])
    assert sorted(ids) == sorted(newest)
    assert search_index.matching_segment_ids(owner.pk, search.parse_query("common"), limit=2, offset=4) == ids[4:]
