"""The media storage class against a real S3-compatible store (Swift's s3api):
multipart uploads, ranged reads, URLs signed for the browsers' endpoint, deletes
that take the parts along, failures as StorageUnavailable."""

import hashlib
import os
import time
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from django.core.files.base import ContentFile

from tests.support.s3 import make_storage, stored_data_files
from transcripts.storage import StorageUnavailable

pytestmark = pytest.mark.once  # no database: the same on every one

MiB = 1024 * 1024
# What Chromium sends for an <audio> element's request.
BROWSER_HEADERS = {"User-Agent": "Mozilla/5.0 Chrome/156.0", "Accept": "*/*", "Accept-Encoding": "identity;q=1, *;q=0"}


def test_same_name_twice_keeps_both_objects(storage):
    first = storage.save("upload.wav", ContentFile(b"first"))
    second = storage.save("upload.wav", ContentFile(b"second"))

    assert first != second
    assert storage.open(first).read() == b"first"
    assert storage.open(second).read() == b"second"


def test_multipart_upload_downloads_identical(storage, tmp_path):
    payload = os.urandom(20 * MiB + 123)  # over the 8 MiB part size: three parts
    name = storage.save("big.bin", ContentFile(payload))

    storage.download(name, tmp_path / "copy")

    assert hashlib.sha256((tmp_path / "copy").read_bytes()).digest() == hashlib.sha256(payload).digest()


def test_read_range_returns_only_the_range(storage):
    payload = os.urandom(MiB)
    name = storage.save("ranged.bin", ContentFile(payload))

    assert b"".join(storage.read_range(name, 1000, 1999)) == payload[1000:2000]
    assert b"".join(storage.read_range(name, 300_000, MiB - 1)) == payload[300_000:]


def test_public_url_serves_a_browser_range_with_the_type_given(s3_env, storage, public_endpoint):
    payload = os.urandom(256 * 1024)
    name = storage.save("audio.mp3", ContentFile(payload))
    public = make_storage(s3_env, location=storage.location, public_endpoint_url=public_endpoint)

    url = public.public_url(name, "audio/mpeg")
    response = requests.get(url, headers={**BROWSER_HEADERS, "Range": "bytes=100000-"}, timeout=10)

    assert urlsplit(url).netloc == urlsplit(public_endpoint).netloc
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes 100000-{len(payload) - 1}/{len(payload)}"
    assert response.headers["Content-Type"] == "audio/mpeg"
    assert response.content == payload[100000:]


def test_url_signed_for_the_internal_endpoint_is_refused_on_the_public_one(storage, public_endpoint):
    name = storage.save("audio.bin", ContentFile(b"x" * 1000))
    internal_url = urlsplit(storage.url(name))
    retargeted = urlunsplit(internal_url._replace(netloc=urlsplit(public_endpoint).netloc))

    response = requests.get(retargeted, headers=BROWSER_HEADERS, timeout=10)

    # The Host header is part of the signature (in-memory fakes answer 200 here).
    assert response.status_code == 403
    assert b"SignatureDoesNotMatch" in response.content


def test_deleting_a_multipart_object_removes_its_parts(storage):
    before = stored_data_files()
    name = storage.save("big.bin", ContentFile(os.urandom(9 * MiB)))
    assert stored_data_files() == before + 3  # two parts and the manifest

    storage.delete(name)

    assert not storage.exists(name)
    # Swift's default deletes parts later, through an expirer this store does not run.
    assert stored_data_files() == before


def test_saving_with_the_store_unreachable_says_where(s3_env, closed_port):
    storage = make_storage(s3_env, endpoint_url=f"http://127.0.0.1:{closed_port}")

    with pytest.raises(StorageUnavailable, match=f"media storage at http://127.0.0.1:{closed_port} is unreachable"):
        storage.save("never.bin", ContentFile(b"x"))


def test_saving_with_a_wrong_secret_fails_and_stores_nothing(s3_env, storage):
    wrong = make_storage(s3_env, location=storage.location, secret_key="not-the-secret")

    with pytest.raises(StorageUnavailable, match="HTTP 403"):
        wrong.save("refused.bin", ContentFile(b"x" * 1000))

    assert storage.listdir("")[1] == []


def test_abandoned_multipart_uploads_are_aborted_once_old_enough(storage):
    client = storage.connection.meta.client
    key = storage.key("abandoned.bin")
    upload_id = client.create_multipart_upload(Bucket=storage.bucket_name, Key=key)["UploadId"]
    client.upload_part(Bucket=storage.bucket_name, Key=key, UploadId=upload_id, PartNumber=1, Body=b"x" * MiB)

    def unfinished():
        uploads = client.list_multipart_uploads(Bucket=storage.bucket_name).get("Uploads", [])
        return [upload["UploadId"] for upload in uploads if upload["Key"] == key]

    assert storage.abort_stale_uploads(older_than=timedelta(days=1)) == 0
    assert unfinished() == [upload_id]

    time.sleep(1.1)  # the store reports the start in whole seconds, rounded up
    assert storage.abort_stale_uploads(older_than=timedelta(0)) >= 1
    assert unfinished() == []
