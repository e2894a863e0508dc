"""`manage.py check --deploy` asks the media storage whether it can be used, so
that wrong S3 settings stop a host at start with one clear line, not with 500s
on pages later. Only with --deploy: it talks to the network, and migrate,
runserver and the tests must not."""

from django.core.checks import Error, register
from django.core.files.storage import storages

from .storage import MediaS3Storage, probe_storage


@register("storage", deploy=True)
def check_media_storage(app_configs, **kwargs):
    storage = storages["default"]
    if not isinstance(storage, MediaS3Storage):
        return []
    reason = probe_storage(storage)
    if reason is None:
        return []
    return [Error(reason, hint="Check the S3_* settings.", id="speechsite.E301")]
