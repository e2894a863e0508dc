"""Production settings and sign-in throttling."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]


def manage(*args, **environment):
    base = {key: value for key, value in os.environ.items() if key not in ("DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "speechsite.settings", **environment},
        capture_output=True,
        text=True,
    )


def test_production_settings_pass_the_deploy_check():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DEBUG="false", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="speech.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_local_defaults_fail_the_deploy_check():
    """The check is not vacuous: DEBUG with the development key is flagged."""
    result = manage("check", "--deploy", "--fail-level", "WARNING", DEBUG="true")
    assert result.returncode != 0
    assert "security.W018" in result.stderr + result.stdout  # DEBUG on in deployment


def test_missing_secret_key_in_production_is_a_clear_error():
    result = manage("check", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_media_has_no_public_url(settings, client):
    assert settings.MEDIA_URL is None
    assert client.get("/media/").status_code == 404


@pytest.mark.django_db
def test_sign_in_is_locked_after_repeated_failures(settings, client, owner, password):
    settings.AXES_FAILURE_LIMIT = 3
    login_url = reverse("login")
    for _ in range(3):
        client.post(login_url, {"username": owner.username, "password": "wrong-password"})

    # Even the right password is refused now, from this address, for this user.
    response = client.post(login_url, {"username": owner.username, "password": password})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session

    # Another user from the same address can still sign in.
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("other", "o@example.com", password)
    response = client.post(login_url, {"username": "other", "password": password})
    assert response.status_code == 302
    assert client.session["_auth_user_id"]
