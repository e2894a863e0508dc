"""`manage.py check --deploy` tells an operator, in one line, what is wrong with
the S3 settings, before any page fails."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from tests.support.s3 import make_storage
from transcripts.storage import probe_storage

pytestmark = pytest.mark.once  # no database: the same on every one


def test_probe_passes_with_the_right_settings(s3_env):
    assert probe_storage(make_storage(s3_env)) is None


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"secret_key": "not-the-secret"}, "the storage rejects the signature: S3_ACCESS_KEY or S3_SECRET_KEY is wrong"),
        ({"access_key": "nobody:none"}, "S3_ACCESS_KEY or S3_SECRET_KEY is wrong"),
        ({"bucket_name": "no-such-bucket"}, "bucket 'no-such-bucket' does not exist: create it first"),
    ],
    ids=["wrong secret", "unknown access key", "missing bucket"],
)
def test_probe_names_what_is_wrong(s3_env, overrides, reason):
    assert probe_storage(make_storage(s3_env, **overrides)).endswith(reason)


def test_probe_says_unreachable_for_a_closed_port(s3_env, closed_port):
    reason = probe_storage(make_storage(s3_env, endpoint_url=f"http://127.0.0.1:{closed_port}"))

    assert f"media storage at http://127.0.0.1:{closed_port} is unreachable" in reason


def test_check_deploy_stops_on_a_wrong_secret(media_in_bucket):
    media_in_bucket(secret_key="not-the-secret")

    with pytest.raises(SystemCheckError, match=r"speechsite.E301.*S3_SECRET_KEY is wrong"):
        call_command("check", "--deploy", "--tag", "storage")


def test_check_deploy_passes_with_the_right_settings(media_in_bucket):
    media_in_bucket()

    call_command("check", "--deploy", "--tag", "storage")


def test_plain_check_does_not_call_the_storage(media_in_bucket, closed_port):
    media_in_bucket(endpoint_url=f"http://127.0.0.1:{closed_port}")

    call_command("check")  # migrate and friends stay offline and fast
