"""Storing the media of a URL job: fetch.py downloads it, this module keeps it
(in the media storage and on the Media row) for the job that asked."""

from django.conf import settings
from django.core.files import File

from guards.media import probe_media
from transcripts.models import Media

from .attempt import LeaseLost
from .fetch import Limits, check_duration, fetch
from .media_copy import file_sha256

# What a download sets on the Media row.
DOWNLOADED_FIELDS = ("file", "size_bytes", "sha256", "original_name", "duration_s", "has_video")


def limits_from_settings():
    return Limits(
        max_bytes=settings.URL_MAX_BYTES,
        max_duration_s=settings.URL_MAX_DURATION_S,
        socket_timeout_s=settings.URL_SOCKET_TIMEOUT_S,
        allowed_hosts=tuple(settings.URL_ALLOWED_HOSTS),
    )


def download_media(media, folder, on_progress=lambda percent: None):
    """Download `media.source_url` into `folder` and store it as `media.file`, with
    the site's title, the size, duration and whether it has a picture. Returns
    the downloaded file's path in `folder`, for the job to read. Raises
    fetch.DownloadError (BlockedAddressError for a refused address) or
    guards.media.MediaError with a message for the user; nothing is stored then.
    Raises LeaseLost, keeping nothing either, when the row was deleted during
    the download (its transcription deleted)."""
    limits = limits_from_settings()
    downloaded = fetch(media.source_url, folder, limits, on_progress)
    info = probe_media(downloaded.path)
    duration_s = downloaded.duration_s or info.duration_s
    check_duration(duration_s, limits)  # for sites that did not report it before
    with open(downloaded.path, "rb") as file:
        media.file.save(downloaded.path.name, File(file), save=False)
    media.size_bytes = downloaded.path.stat().st_size
    media.sha256 = file_sha256(downloaded.path)
    media.original_name = downloaded.title[:255]
    media.duration_s = duration_s
    media.has_video = info.has_video
    save_downloaded(media)
    return downloaded.path


def save_downloaded(media):
    # An UPDATE of the row if it still exists: save() would INSERT it again
    # when the user deleted the transcription while it was downloading.
    fields = {name: getattr(media, name) for name in DOWNLOADED_FIELDS}
    if not Media.objects.filter(pk=media.pk).update(**fields):
        media.delete_file()
        raise LeaseLost()
