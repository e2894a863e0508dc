"""Private data: signed-out visitors are sent to sign in; another user gets
404 (not 403) for every URL of a transcription, so nothing leaks about what exists."""

import pytest
from django.conf import settings
from django.urls import reverse

from tests.web_factory import make_transcription
from transcripts.models import Segment, Transcription

pytestmark = pytest.mark.django_db


def object_urls(transcription):
    """(method, url, data) for every URL that takes a transcription id."""
    pk = transcription.pk
    return [
        ("get", reverse("transcripts:detail", args=[pk]), None),
        ("get", reverse("transcripts:status_json", args=[pk]), None),
        ("get", reverse("transcripts:segments_json", args=[pk]), None),
        ("get", reverse("transcripts:media", args=[pk]), None),
        *[("get", transcription.download_url(fmt), None) for fmt in ("txt", "srt", "vtt", "json")],
        ("get", reverse("transcripts:delete", args=[pk]), None),
        ("post", reverse("transcripts:delete", args=[pk]), {}),
        ("post", reverse("transcripts:retry", args=[pk]), {}),
        ("post", reverse("transcripts:cancel", args=[pk]), {}),
        ("post", reverse("transcripts:edit_title", args=[pk]), {"title": "stolen"}),
        ("get", reverse("transcripts:edit_segment", args=[pk, 0]), None),
        ("post", reverse("transcripts:edit_segment", args=[pk, 0]), {"text": "stolen"}),
        ("post", reverse("transcripts:revert_segment", args=[pk, 0]), {}),
    ]


@pytest.fixture
def transcription(owner):
    return make_transcription(owner, status=Transcription.Status.FAILED, texts=["the owner's words"])


def request(client, method, url, data):
    return client.post(url, data) if method == "post" else client.get(url)


def test_stranger_gets_404_for_every_object_url(client, stranger, transcription):
    client.force_login(stranger)
    for method, url, data in object_urls(transcription):
        response = request(client, method, url, data)
        assert response.status_code == 404, f"{method.upper()} {url} answered {response.status_code}"
    # Nothing changed.
    transcription.refresh_from_db()
    assert transcription.title == "A talk"
    assert transcription.status == Transcription.Status.FAILED
    assert Segment.objects.get(transcription=transcription).text == "the owner's words"
    assert transcription.media.file.storage.exists(transcription.media.file.name)


def test_owner_can_reach_every_object_url(client, owner, transcription):
    """The 404s above come from the owner check, not from broken URLs."""
    client.force_login(owner)
    for method, url, data in object_urls(transcription):
        if url.endswith(("/delete/", "/retry/")) and method == "post":
            continue  # they change or remove the row; covered in test_pages
        response = request(client, method, url, data)
        assert response.status_code in (200, 206, 302), f"{method.upper()} {url} answered {response.status_code}"


def test_stranger_history_and_search_show_nothing_of_the_owner(client, stranger, transcription):
    client.force_login(stranger)
    response = client.get(reverse("transcripts:history"), {"q": "owner"})
    assert transcription.title not in response.content.decode()
    assert "No transcript matches" in response.content.decode()


def test_signed_out_visitors_are_sent_to_sign_in(client, transcription):
    urls = [reverse("transcripts:history"), reverse("transcripts:new"), reverse("password_change")]
    urls += [url for method, url, data in object_urls(transcription) if method == "get"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse(settings.LOGIN_URL)), url


def test_signed_out_posts_change_nothing(client, transcription):
    for method, url, data in object_urls(transcription):
        if method == "post":
            response = client.post(url, data)
            assert response.status_code == 302 and reverse("login") in response["Location"], url
    assert Transcription.objects.filter(pk=transcription.pk, title="A talk").exists()
