"""Media in an S3-compatible bucket: django-storages' S3 backend, plus what the
site needs from it.

- Browser URLs are signed for S3_PUBLIC_ENDPOINT_URL: the endpoint's host is part
  of the signature, and browsers reach the store at another address than the
  web and worker hosts do. Presigning is local: the web host need not reach it.
- Ranged reads for the player when the store has no public endpoint (S3File
  would fetch the whole object first).
- Errors become StorageUnavailable with one line an operator can act on.
- Multipart uploads that died with their client are aborted later (stores such
  as Swift's s3api take no lifecycle rule that would do it).
"""

import logging
import threading
from datetime import timedelta

from boto3.exceptions import Boto3Error
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError
from django.utils import timezone
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

log = logging.getLogger(__name__)

STORAGE_ERRORS = (BotoCoreError, ClientError, Boto3Error)
BLOCK_BYTES = 256 * 1024
ERROR_HINTS = {
    # Swift's tempauth answers this for an unknown access key too.
    "SignatureDoesNotMatch": "the storage rejects the signature: S3_ACCESS_KEY or S3_SECRET_KEY is wrong",
    "InvalidAccessKeyId": "the storage does not know S3_ACCESS_KEY",
    "NoSuchBucket": "bucket {bucket!r} does not exist: create it first",
    "AccessDenied": "S3_ACCESS_KEY may not use bucket {bucket!r}",
    "RequestTimeTooSkewed": "this host's clock differs too much from the storage's",
}


class StorageUnavailable(OSError):
    """The media storage could not be used. The message is for operators; an OSError,
    like the local disk's failures, so that callers handle both alike."""


def describe_storage_error(exc: Exception, bucket: str, endpoint: str) -> str:
    """One line an operator can act on, for an exception from boto3."""
    if isinstance(exc, EndpointConnectionError):
        return f"media storage at {endpoint} is unreachable ({exc})"
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code", "")
        hint = ERROR_HINTS.get(code)
        if hint:
            return f"media storage at {endpoint}: " + hint.format(bucket=bucket)
        # A HEAD's error has no body, so no code: say the HTTP status at least.
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "?")
        return f"media storage at {endpoint} answered HTTP {status} {code}: {exc}"
    return f"media storage at {endpoint} failed: {exc}"


class MediaS3Storage(S3Storage):
    """django-storages' S3Storage, with `public_endpoint_url` for browser URLs."""

    def __init__(self, **settings):
        super().__init__(**settings)
        self._public_clients = threading.local()

    def get_default_settings(self):
        return {**super().get_default_settings(), "public_endpoint_url": None}

    def key(self, name):
        return self._normalize_name(clean_name(name))

    def unavailable(self, exc):
        return StorageUnavailable(describe_storage_error(exc, self.bucket_name, self.endpoint_url))

    def save(self, name, content, max_length=None):
        # The object becomes visible only once the upload completed: a failure
        # leaves nothing a reader could see (at most parts, see abort_stale_uploads).
        try:
            return super().save(name, content, max_length)
        except STORAGE_ERRORS as exc:
            raise self.unavailable(exc) from exc

    def size(self, name):
        try:
            return super().size(name)
        except STORAGE_ERRORS as exc:
            raise self.unavailable(exc) from exc

    def delete(self, name):
        try:
            super().delete(name)
        except STORAGE_ERRORS as exc:
            raise self.unavailable(exc) from exc

    def _public_client(self):
        # boto3 clients are made from sessions, which are not thread-safe: one per thread.
        client = getattr(self._public_clients, "client", None)
        if client is None:
            client = self._create_session().client(
                "s3",
                region_name=self.region_name,
                endpoint_url=self.public_endpoint_url,
                config=self.client_config,
                use_ssl=self.use_ssl,
                verify=self.verify,
            )
            self._public_clients.client = client
        return client

    @property
    def serves_browsers(self):
        """True when browsers can fetch objects from the store themselves."""
        return bool(self.public_endpoint_url)

    def public_url(self, name, content_type, expire_s=None):
        """A presigned GET for browsers, signed for the public endpoint; the store
        answers with `content_type`, whatever the object was stored with."""
        return self._public_client().generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket_name, "Key": self.key(name), "ResponseContentType": content_type},
            ExpiresIn=self.querystring_expire if expire_s is None else expire_s,
        )

    def read_range(self, name, first, last):
        """The bytes first..last (inclusive) of an object, in blocks, from one ranged GET."""
        try:
            response = self.connection.meta.client.get_object(
                Bucket=self.bucket_name, Key=self.key(name), Range=f"bytes={first}-{last}"
            )
        except STORAGE_ERRORS as exc:
            raise self.unavailable(exc) from exc
        body = response["Body"]
        try:
            yield from body.iter_chunks(BLOCK_BYTES)
        finally:
            body.close()

    def download(self, name, target_path):
        """Copy an object into a local file: ranged GETs straight into the file,
        never the whole object in memory."""
        try:
            self.connection.meta.client.download_file(
                self.bucket_name, self.key(name), str(target_path), Config=self.transfer_config
            )
        except STORAGE_ERRORS as exc:
            raise self.unavailable(exc) from exc

    def abort_stale_uploads(self, older_than=timedelta(days=1)):
        """Abort multipart uploads begun before `older_than` ago: what an upload
        leaves when the store or the web process died in the middle of it. Their
        parts take space but no reader ever sees them. Returns how many."""
        client = self.connection.meta.client
        cutoff = timezone.now() - older_than
        aborted = 0
        try:
            for page in client.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket_name):
                for upload in page.get("Uploads", ()):
                    if upload["Initiated"] < cutoff:
                        client.abort_multipart_upload(
                            Bucket=self.bucket_name, Key=upload["Key"], UploadId=upload["UploadId"]
                        )
                        aborted += 1
        except STORAGE_ERRORS as exc:
            raise self.unavailable(exc) from exc
        return aborted


def probe_storage(storage: S3Storage, timeout_s=5) -> str | None:
    """None when the bucket can be listed with these settings, else the reason."""
    quick = Config(connect_timeout=min(3, timeout_s), read_timeout=timeout_s, retries={"max_attempts": 1})
    client = storage._create_session().client(
        "s3",
        region_name=storage.region_name,
        endpoint_url=storage.endpoint_url,
        config=storage.client_config.merge(quick),
        use_ssl=storage.use_ssl,
        verify=storage.verify,
    )
    try:
        # A GET, not head_bucket: a HEAD's error has no body, so no error code.
        client.list_objects_v2(Bucket=storage.bucket_name, MaxKeys=1)
    except STORAGE_ERRORS as exc:
        return describe_storage_error(exc, storage.bucket_name, storage.endpoint_url)
    return None
