"""Signing up, in and out, and changing the password (transcripts/accounts.py and
django.contrib.auth's views)."""

import pytest
from django.urls import reverse

from transcripts.models import Transcription

# Transactions as in production: django-rq enqueues on commit, so a test
# wrapped in one transaction would never see its jobs on the queue.
pytestmark = pytest.mark.django_db(transaction=True)

Status = Transcription.Status


def test_sign_up_signs_in_and_opens_the_upload_page(client, django_user_model):
    response = client.post(
        reverse("signup"),
        {"username": "newbie", "email": "newbie@example.com", "password1": "plenty-long-secret-7", "password2": "plenty-long-secret-7"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("transcripts:new")
    user = django_user_model.objects.get(username="newbie")
    assert user.email == "newbie@example.com"
    assert client.get(reverse("transcripts:history")).status_code == 200


def test_sign_up_applies_the_password_validators(client, django_user_model):
    response = client.post(
        reverse("signup"), {"username": "newbie", "email": "n@example.com", "password1": "12345678", "password2": "12345678"}
    )
    assert response.status_code == 200
    assert "too common" in response.content.decode() or "entirely numeric" in response.content.decode()
    assert not django_user_model.objects.filter(username="newbie").exists()


def test_sign_up_needs_an_email(client, django_user_model):
    client.post(reverse("signup"), {"username": "x", "password1": "plenty-long-secret-7", "password2": "plenty-long-secret-7"})
    assert not django_user_model.objects.filter(username="x").exists()


def test_sign_in_and_sign_out_by_post_only(client, owner, password):
    response = client.post(reverse("login"), {"username": "owner", "password": password})
    assert response.status_code == 302 and response["Location"] == reverse("transcripts:history")
    assert client.get(reverse("logout")).status_code == 405  # a link cannot sign anyone out
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("transcripts:history")).status_code == 302


def test_change_password(signed_in, owner, password):
    response = signed_in.post(
        reverse("password_change"),
        {"old_password": password, "new_password1": "another-long-secret-9", "new_password2": "another-long-secret-9"},
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("another-long-secret-9")
