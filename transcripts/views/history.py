"""The history page: a person's transcriptions, newest first; with `q`, the
search over their titles and transcripts (transcripts/search.py)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from transcripts import search
from transcripts.models import Transcription
from transcripts.search_index import RANKED_MATCHES

HISTORY_PAGE_SIZE = 25
SEARCH_PAGE_SIZE = 25
# Only the RANKED_MATCHES most recent matching segments are ranked: the pages end there.
SEARCH_MAX_PAGES = RANKED_MATCHES // SEARCH_PAGE_SIZE
TITLE_HITS = 10


@login_required
@require_GET
def history(request):
    text = request.GET.get("q", "").strip()
    if text:
        return search_results(request, text)
    page = Paginator(Transcription.objects.for_history(request.user), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "transcripts/history.html", {"page": page, "query": ""})


def search_results(request, text):
    query = search.parse_query(text)
    number = page_number(request.GET.get("page"))
    # One more than a page: whether there is a next page, without counting every match.
    hits = search.find(request.user, query, SEARCH_PAGE_SIZE + 1, (number - 1) * SEARCH_PAGE_SIZE)
    titles = []
    if number == 1 and query.text:
        titles = list(
            Transcription.objects.owned_by(request.user)
            .named(query.text)
            .only("id", "title", "created_at")
            .order_by("-created_at", "-pk")[:TITLE_HITS]
        )
    return render(
        request,
        "transcripts/history.html",
        {
            "query": text,
            "searching": True,
            "hits": hits[:SEARCH_PAGE_SIZE],
            "titles": titles,
            "number": number,
            "previous_number": number - 1,
            "next_number": number + 1 if len(hits) > SEARCH_PAGE_SIZE and number < SEARCH_MAX_PAGES else None,
        },
    )


def page_number(value):
    try:
        return min(max(int(value), 1), SEARCH_MAX_PAGES)
    except (TypeError, ValueError):
        return 1
