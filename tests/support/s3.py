"""Fixtures for media in a real S3-compatible bucket: OpenStack Swift with s3api,
started by the project's own script (bin/swift-service, as bin/services --swift
does). It checks signatures and the host of presigned URLs, which in-memory
fakes accept whatever they are. A store that cannot start fails the run."""

import os
import socket
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from speechsite.s3_settings import s3_media_storage
from tests.support.tcp_forward import TcpForwarder
from transcripts.storage import MediaS3Storage

ROOT = Path(__file__).resolve().parents[2]


def swift_service(*args):
    # The checkout's var/swift, as bin/services uses: tests/settings.py points
    # DATA_DIR at a temporary folder, which would mean a new install every run.
    environment = {name: value for name, value in os.environ.items() if name not in ("DATA_DIR", "SWIFT_HOME")}
    finished = subprocess.run(
        [ROOT / "bin" / "swift-service", *args], env=environment, capture_output=True, text=True, timeout=600
    )
    if finished.returncode != 0:
        pytest.fail(f"bin/swift-service {' '.join(args)} failed:\n{finished.stdout}{finished.stderr}")
    return finished.stdout


@pytest.fixture(scope="session")
def s3_env():
    """The S3_* settings of the running Swift (started when it is not)."""
    swift_service("start")
    return dict(line.split("=", 1) for line in swift_service("env").splitlines())


def storage_options(s3_env, **overrides):
    return {**s3_media_storage(s3_env.get)["OPTIONS"], **overrides}


def make_storage(s3_env, **overrides):
    return MediaS3Storage(**storage_options(s3_env, **overrides))


@pytest.fixture
def bucket_prefix(s3_env):
    # Each test works under its own prefix: no test sees another's objects, and
    # what a test left there is removed after it.
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    yield prefix
    storage = make_storage(s3_env, location=prefix)
    for key in object_keys(storage):
        storage.connection.meta.client.delete_object(Bucket=storage.bucket_name, Key=key)


@pytest.fixture
def storage(s3_env, bucket_prefix):
    return make_storage(s3_env, location=bucket_prefix)


@pytest.fixture
def media_in_bucket(settings, s3_env, bucket_prefix):
    """The site's media storage is the bucket (as with S3_BUCKET set), under this
    test's prefix. Returns a function that switches options (a public endpoint,
    wrong credentials) and gives the storage the site now uses."""
    from django.core.files.storage import storages

    def use(**overrides):
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "transcripts.storage.MediaS3Storage",
                "OPTIONS": storage_options(s3_env, location=bucket_prefix, **overrides),
            },
        }
        return storages["default"]  # a new instance: changing STORAGES resets the handler

    return use


@pytest.fixture
def public_endpoint(s3_env):
    """Another address of the same Swift proxy, as a browser would reach it
    (a load balancer that passes the Host header through)."""
    internal = urlsplit(s3_env["S3_ENDPOINT_URL"])
    with TcpForwarder(internal.hostname, internal.port) as forwarder:
        yield f"http://127.0.0.1:{forwarder.port}"


@pytest.fixture
def closed_port():
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port = sock.getsockname()[1]
    return port


def object_keys(storage, prefix=""):
    """Keys of the objects under the storage's location (and `prefix` below it)."""
    client = storage.connection.meta.client
    listing = client.list_objects_v2(Bucket=storage.bucket_name, Prefix=f"{storage.location}/{prefix}")
    return sorted(item["Key"] for item in listing.get("Contents", ()))


def stored_data_files():
    """How many object files Swift holds on its disk (multipart segments included)."""
    return sum(1 for _ in (ROOT / "var/swift/srv").rglob("*.data"))
