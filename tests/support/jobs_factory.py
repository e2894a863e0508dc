"""Rows for job tests, made the way the site makes them but without a request."""

from pathlib import Path

from django.core.files import File

from transcripts import offered_models, services
from transcripts.models import Media, Transcription


def media_from_file(owner, path, duration_s=None):
    path = Path(path)
    media = Media(owner=owner, source=Media.Source.UPLOAD, original_name=path.name, duration_s=duration_s)
    with open(path, "rb") as handle:
        media.file.save(path.name, File(handle), save=False)
    media.size_bytes = media.file.size
    media.save()
    return media


def queued_transcription(owner, path, duration_s=None, **options):
    """A transcription of `path` (by the site's default model unless
    `model_name` says otherwise), queued in the real Redis."""
    media = media_from_file(owner, path, duration_s)
    options.setdefault("model_name", offered_models.default_model().name)
    transcription = Transcription.objects.create(owner=owner, media=media, title=Path(path).stem, **options)
    services.queue_new_attempt(transcription)
    transcription.refresh_from_db()
    return transcription
