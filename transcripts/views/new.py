"""Starting a transcription: the form for an upload or a link."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from transcripts import services
from transcripts.forms import NewTranscriptionForm
from transcripts.uploads import upload_errors

from .jobs import QUEUE_UNAVAILABLE


@login_required
def new(request):
    posted = request.method == "POST"
    form = NewTranscriptionForm(
        request.POST if posted else None, request.FILES if posted else None, upload_errors=upload_errors(request)
    )
    if posted and form.is_valid():
        try:
            queued = form.save(owner=request.user)
        except services.RequestRefused as refusal:
            form.add_refusal(refusal)
        else:
            if queued.queued:
                messages.success(request, "Your file is in the queue.")
            else:
                messages.warning(request, QUEUE_UNAVAILABLE)
            return redirect(queued.transcription)
    return render(request, "transcripts/new.html", {"form": form}, status=400 if form.errors else 200)
