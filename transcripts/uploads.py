"""Uploads stream to a temporary file on disk and stop at the size limit; their
sha256 is taken on the way (workers check their copies against it).

Django's TemporaryFileUploadHandler never holds the file in memory; this one
also counts the bytes as they arrive and drops the file the moment it passes
settings.MAX_UPLOAD_BYTES, so a huge upload never fills the disk. The rest of
the request is read and discarded, so the form can still answer with a clear
error instead of a reset connection.
"""

import hashlib

from django.conf import settings
from django.core.files.uploadhandler import SkipFile, TemporaryFileUploadHandler
from django.template.defaultfilters import filesizeformat


def too_large_message():
    return f"The file is larger than the {limit_text()} limit."


def limit_text():
    limit_bytes = settings.MAX_UPLOAD_BYTES
    if limit_bytes >= 1024**3:
        return f"{limit_bytes / 1024**3:.1f} GB"
    return filesizeformat(limit_bytes)


def upload_errors(request):
    """{field name: message} for files the handler refused in this request."""
    return getattr(request, "upload_errors", {})


class LimitedTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    def new_file(self, field_name, *args, **kwargs):
        super().new_file(field_name, *args, **kwargs)
        self.received_bytes = 0
        self.digest = hashlib.sha256()

    def receive_data_chunk(self, raw_data, start):
        self.received_bytes += len(raw_data)
        if self.received_bytes > settings.MAX_UPLOAD_BYTES:
            self._refuse()
        self.digest.update(raw_data)
        return super().receive_data_chunk(raw_data, start)

    def file_complete(self, file_size):
        upload = super().file_complete(file_size)
        upload.sha256 = self.digest.hexdigest()
        return upload

    def _refuse(self):
        if not hasattr(self.request, "upload_errors"):
            self.request.upload_errors = {}
        self.request.upload_errors[self.field_name] = too_large_message()
        self.upload_interrupted()  # removes the partial temporary file
        raise SkipFile()
