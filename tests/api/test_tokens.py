"""The API tokens page: a token is shown once and stored only as a hash, its use
is recorded, revoking it locks programs out; the webhook secret is shown there."""

import hashlib
import os
import re
import subprocess
import sys

import pytest
from django.urls import reverse

from tests.support.api_helpers import bearer
from transcripts.models import ApiToken, WebhookSecret

pytestmark = pytest.mark.django_db

TOKEN_PATTERN = re.compile(r'value="(ss_[A-Za-z0-9_-]{40,})"')


@pytest.fixture
def signed_in(client, owner):
    client.force_login(owner)
    return client


def create_token(client, name="Bazarr"):
    response = client.post(reverse("tokens:list"), {"name": name})
    assert response.status_code == 200
    return response, TOKEN_PATTERN.search(response.content.decode()).group(1)


def test_the_page_needs_a_signed_in_user(client):
    response = client.get(reverse("tokens:list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_new_token_is_shown_once_and_stored_as_a_hash(signed_in, owner):
    response, token = create_token(signed_in)
    page = response.content.decode()
    assert "shown only this once" in page and f"/t/{token}" in page

    api_token = ApiToken.objects.get(owner=owner)
    assert api_token.name == "Bazarr"
    assert api_token.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {api_token.token_hash, api_token.prefix, api_token.name}
    assert token.startswith(api_token.prefix)

    listing = signed_in.get(reverse("tokens:list")).content.decode()
    assert "Bazarr" in listing and api_token.prefix in listing
    assert token not in listing and "never" in listing  # not used yet


def test_the_token_works_and_its_use_shows_on_the_page(client, signed_in):
    _, token = create_token(signed_in)
    assert client.get(reverse("api:transcription-list"), headers=bearer(token)).status_code == 200
    listing = signed_in.get(reverse("tokens:list")).content.decode()
    assert "never" not in listing and "now" in listing


def test_a_revoked_token_gets_401(client, signed_in, owner):
    _, token = create_token(signed_in)
    api_token = ApiToken.objects.get(owner=owner)
    response = signed_in.post(reverse("tokens:revoke", args=[api_token.pk]))
    assert response.status_code == 302
    api_token.refresh_from_db()
    assert api_token.revoked_at is not None
    assert client.get(reverse("api:transcription-list"), headers=bearer(token)).status_code == 401
    assert "Revoked" in signed_in.get(reverse("tokens:list")).content.decode()


def test_revoking_is_post_only(signed_in, owner):
    api_token, _ = ApiToken.issue(owner, "cli")
    assert signed_in.get(reverse("tokens:revoke", args=[api_token.pk])).status_code == 405
    api_token.refresh_from_db()
    assert api_token.revoked_at is None


def test_another_users_token_cannot_be_revoked_or_seen(client, owner, stranger):
    api_token, token = ApiToken.issue(owner, "owner's laptop")
    client.force_login(stranger)
    assert "owner's laptop" not in client.get(reverse("tokens:list")).content.decode()
    assert client.post(reverse("tokens:revoke", args=[api_token.pk])).status_code == 404
    api_token.refresh_from_db()
    assert api_token.revoked_at is None


def test_a_token_needs_a_name(signed_in, owner):
    response = signed_in.post(reverse("tokens:list"), {"name": ""})
    assert response.status_code == 400 and not ApiToken.objects.exists()


def test_tokens_are_unique_and_long(owner):
    tokens = {ApiToken.issue(owner, f"t{n}")[1] for n in range(20)}
    assert len(tokens) == 20 and all(len(token) >= 43 for token in tokens)


def test_the_webhook_secret_is_shown_and_can_be_rotated(signed_in, owner):
    page = signed_in.get(reverse("tokens:list")).content.decode()
    secret = WebhookSecret.objects.get(owner=owner).secret
    assert secret in page and "X-Speechsite-Signature" in page
    signed_in.post(reverse("tokens:rotate_webhook_secret"))
    rotated = WebhookSecret.objects.get(owner=owner).secret
    assert rotated != secret and rotated in signed_in.get(reverse("tokens:list")).content.decode()


def test_api_docs_page_lists_the_endpoints_without_external_scripts(signed_in):
    response = signed_in.get(reverse("api:docs"))
    page = response.content.decode()
    assert response.status_code == 200
    for route in ("/api/transcriptions", "/v1/audio/transcriptions", "/v1/models", "/asr", "/detect-language"):
        assert f"{route}</code>" in page or f" {route}" in page, route
    assert "<script" not in page and "cdn" not in page.lower()
    assert "/t/{token}" not in page  # the token-in-path twins stay out of the schema


def test_schema_is_served_as_openapi_3(signed_in):
    response = signed_in.get(reverse("api:schema"), {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": "An API token from the API tokens page."
    }
    assert "/v1/audio/transcriptions" in schema["paths"] and "/asr" in schema["paths"]


def test_the_api_does_not_load_the_speech_model_code():
    """The API enqueues by dotted path like the pages; torch stays in the workers."""
    script = (
        "import sys, django; django.setup();"
        "from django.test import Client; client = Client(HTTP_HOST='localhost');"
        "import transcripts.api.docs; transcripts.api.docs.generated_schema();"
        "assert client.get('/api/schema/').status_code == 401;"
        "assert client.post('/v1/audio/transcriptions').status_code == 401;"
        "import transcripts.api.asr, transcripts.api.openai, transcripts.api.views;"
        # The workers app is installed (its commands), but only its AppConfig is loaded.
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'transformers', 'workers')"
        " and m not in ('workers', 'workers.apps')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True, text=True, env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
