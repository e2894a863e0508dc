"""The history page: a person's transcriptions, newest first, searchable."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from transcripts.models import Transcription

HISTORY_PAGE_SIZE = 25


@login_required
@require_GET
def history(request):
    query = request.GET.get("q", "").strip()
    transcriptions = Transcription.objects.for_history(request.user).search(query)
    page = Paginator(transcriptions, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "transcripts/history.html", {"page": page, "query": query})
