"""A person's word list: the names and terms the speech model listens for in
every job they start (transcripts/vocabulary.py)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from transcripts.forms import WordListForm
from transcripts.models import WordList


@login_required
def word_list(request):
    own, _ = WordList.objects.get_or_create(owner=request.user)
    form = WordListForm(request.POST or None, instance=own)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        count = len(saved.entries)
        messages.success(request, f"Saved: {count:,} word{'s' if count != 1 else ''} or phrase{'s' if count != 1 else ''}.")
        return redirect("transcripts:words")
    return render(
        request,
        "transcripts/words.html",
        {"form": form, "count": len(own.entries), "enabled": settings.WORD_LISTS},
        status=400 if form.errors else 200,
    )
