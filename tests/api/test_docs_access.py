"""The API documentation and schema are for signed-in people and token holders
only, like every page but sign-in and sign-up; the schema is generated once."""

import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from tests.support.api_helpers import bearer, issue_token
from transcripts.api import docs

pytestmark = pytest.mark.django_db


def test_docs_page_sends_signed_out_visitors_to_sign_in(client, owner):
    response = client.get(reverse("api:docs"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    client.force_login(owner)
    assert client.get(reverse("api:docs")).status_code == 200


def test_schema_needs_a_session_or_a_valid_token(client, owner):
    url = reverse("api:schema")
    refused = client.get(url)
    assert refused.status_code == 401 and refused["WWW-Authenticate"] == 'Bearer realm="api"'
    assert refused.json()["error"]["type"] == "authentication_error"
    assert client.get(url, headers=bearer("ss_not-a-token")).status_code == 401

    by_token = client.get(url, {"format": "json"}, headers=bearer(issue_token(owner)))
    assert by_token.status_code == 200 and by_token.json()["openapi"].startswith("3.")
    client.force_login(owner)
    assert client.get(url, {"format": "json"}).json() == by_token.json()


def test_schema_is_generated_once_for_the_schema_and_the_docs_page(client, owner, monkeypatch):
    generated = []
    real_get_schema = SchemaGenerator.get_schema

    def counted_get_schema(self, *args, **kwargs):
        generated.append(1)
        return real_get_schema(self, *args, **kwargs)

    monkeypatch.setattr(SchemaGenerator, "get_schema", counted_get_schema)
    docs.generated_schema.cache_clear()
    client.force_login(owner)
    for _ in range(2):
        assert client.get(reverse("api:schema")).status_code == 200
        assert client.get(reverse("api:docs")).status_code == 200
    assert len(generated) == 1
