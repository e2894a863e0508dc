"""The STORAGES["default"] entry for media in an S3-compatible bucket, from the
S3_* settings. With S3_BUCKET unset, media stays on local disk (settings.py)."""

from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from django.core.exceptions import ImproperlyConfigured

MiB = 1024 * 1024
ADDRESSING_STYLES = ("path", "virtual", "auto")


def transfer_config() -> TransferConfig:
    """Multipart uploads and downloads that hold about 60 MiB, whatever the file size.

    s3transfer buffers up to max_in_memory_*_chunks parts of multipart_chunksize
    each; the library default (10 parts of 8 MiB, 10 threads) measured 125 MiB
    above idle for 1 GiB, this one 58 MiB at the same speed.
    """
    config = TransferConfig(
        multipart_threshold=8 * MiB, multipart_chunksize=8 * MiB, max_concurrency=4, max_io_queue=32
    )
    # s3transfer's own knobs, which boto3's constructor does not take.
    config.max_in_memory_upload_chunks = 4
    config.max_in_memory_download_chunks = 4
    return config


def client_config(addressing_style="path", connect_timeout_s=5, read_timeout_s=60, attempts=3) -> Config:
    return Config(
        signature_version="s3v4",
        # Self-hosted stores (Swift, SeaweedFS, Garage, MinIO) want path-style
        # URLs: bucket names are not in their DNS.
        s3={"addressing_style": addressing_style},
        # boto3 >= 1.36 adds CRC checksums that some S3-compatible stores reject.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        connect_timeout=connect_timeout_s,
        read_timeout=read_timeout_s,
        retries={"mode": "standard", "max_attempts": attempts},
    )


def s3_media_storage(env) -> dict:
    missing = [name for name in ("S3_ENDPOINT_URL", "S3_ACCESS_KEY", "S3_SECRET_KEY") if not env(name)]
    if missing:
        raise ImproperlyConfigured(f"S3_BUCKET is set, so {', '.join(missing)} must be set too.")
    addressing_style = env("S3_ADDRESSING_STYLE") or "path"
    if addressing_style not in ADDRESSING_STYLES:
        raise ImproperlyConfigured(f"S3_ADDRESSING_STYLE must be one of {', '.join(ADDRESSING_STYLES)}.")
    return {
        "BACKEND": "transcripts.storage.MediaS3Storage",
        "OPTIONS": {
            "bucket_name": env("S3_BUCKET"),
            "endpoint_url": env("S3_ENDPOINT_URL"),
            # Browsers get URLs signed for this one (the host is part of the
            # signature); unset, the player streams through the site instead.
            "public_endpoint_url": env("S3_PUBLIC_ENDPOINT_URL") or None,
            "access_key": env("S3_ACCESS_KEY"),
            "secret_key": env("S3_SECRET_KEY"),
            "region_name": env("S3_REGION") or "us-east-1",
            # Keys are generated; never replace an object that has the same name.
            "file_overwrite": False,
            # 0 (the library's default) keeps a whole opened object in memory.
            "max_memory_size": 16 * MiB,
            "default_acl": None,
            "querystring_auth": True,
            # A presigned URL must outlive a listening session: the player asks
            # for new ranges every time the user seeks.
            "querystring_expire": int(env("S3_URL_EXPIRE_S") or 6 * 3600),
            # Given a client_config, django-storages ignores its own
            # addressing_style and signature_version options: they belong in it.
            "client_config": client_config(addressing_style),
            "transfer_config": transfer_config(),
        },
    }
