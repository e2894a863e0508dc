"""The owner-scoped lookups every object view starts with, pages and API alike."""

from django.shortcuts import get_object_or_404

from .models import Segment, Transcription


def get_own_transcription(request, pk, queryset=None):
    # 404, not 403: a stranger learns nothing about what exists.
    queryset = Transcription.objects.all() if queryset is None else queryset
    return get_object_or_404(queryset.filter(owner=request.user), pk=pk)


def get_own_segment(request, pk, index):
    transcription = get_own_transcription(request, pk)
    return get_object_or_404(Segment.objects.select_related("transcription"), transcription=transcription, index=index)
