"""Private data: signed-out visitors are sent to sign in; another user gets
404 (not 403) for every URL of a transcription, so nothing leaks about what exists."""

import pytest
from django.conf import settings
from django.urls import reverse

from tests.support.web_factory import make_transcription
from transcripts.models import Segment, Transcription

pytestmark = pytest.mark.django_db


def object_urls(transcription):
    """(name, method, url, data) for every URL that takes a transcription id."""
    pk = transcription.pk
    return [
        ("detail", "get", reverse("transcripts:detail", args=[pk]), None),
        ("status_json", "get", reverse("transcripts:status_json", args=[pk]), None),
        ("segments_json", "get", reverse("transcripts:segments_json", args=[pk]), None),
        ("media", "get", reverse("transcripts:media", args=[pk]), None),
        *[(f"download_{fmt}", "get", transcription.download_url(fmt), None) for fmt in ("txt", "srt", "vtt", "json")],
        ("delete", "get", reverse("transcripts:delete", args=[pk]), None),
        ("delete", "post", reverse("transcripts:delete", args=[pk]), {}),
        ("retry", "post", reverse("transcripts:retry", args=[pk]), {}),
        ("cancel", "post", reverse("transcripts:cancel", args=[pk]), {}),
        ("edit_title", "post", reverse("transcripts:edit_title", args=[pk]), {"title": "stolen"}),
        ("edit_segment", "get", reverse("transcripts:edit_segment", args=[pk, 0]), None),
        ("edit_segment", "post", reverse("transcripts:edit_segment", args=[pk, 0]), {"text": "stolen"}),
        ("revert_segment", "post", reverse("transcripts:revert_segment", args=[pk, 0]), {}),
    ]


@pytest.fixture
def transcription(owner):
    return make_transcription(owner, status=Transcription.Status.FAILED, texts=["the owner's words"])


def request(client, method, url, data):
    return client.post(url, data) if method == "post" else client.get(url)


def test_stranger_gets_404_for_every_object_url(client, stranger, transcription):
    client.force_login(stranger)
    for _, method, url, data in object_urls(transcription):
        response = request(client, method, url, data)
        assert response.status_code == 404, f"{method.upper()} {url} answered {response.status_code}"
    # Nothing changed.
    transcription.refresh_from_db()
    assert transcription.title == "A talk"
    assert transcription.status == Transcription.Status.FAILED
    assert Segment.objects.get(transcription=transcription).text == "the owner's words"
    assert transcription.media.file.storage.exists(transcription.media.file.name)


class OwnerCalls:
    """The owner's requests by URL name, recording which (name, method) were made."""

    def __init__(self, client):
        self.client = client
        self.made = set()

    def __call__(self, transcription, name, method="get", data=None):
        [url] = [url for n, m, url, _ in object_urls(transcription) if (n, m) == (name, method)]
        self.made.add((name, method))
        return request(self.client, method, url, data)


def test_owner_gets_the_real_outcome_of_every_object_url(client, owner, transcription, media_root):
    """The 404s above come from the owner check, not from broken URLs: for the
    owner every URL does its work (a refusal redirected with a message would not)."""
    client.force_login(owner)
    call = OwnerCalls(client)
    done = make_transcription(owner, title="Done talk", texts=["words of the owner"])

    assert "words of the owner" in call(done, "detail").content.decode()
    assert call(done, "status_json").json()["status"] == "done"
    assert [item["text"] for item in call(done, "segments_json").json()["segments"]] == ["words of the owner"]
    media = call(done, "media")
    assert media.status_code == 200
    assert b"".join(media.streaming_content) == (media_root / done.media.file.name).read_bytes()
    for fmt in ("txt", "srt", "vtt", "json"):
        response = call(done, f"download_{fmt}")
        assert response.status_code == 200 and "words of the owner" in response.content.decode(), fmt
    assert "Delete “Done talk”?" in call(done, "delete").content.decode()

    call(done, "edit_title", "post", {"title": "Renamed talk"})
    assert Transcription.objects.get(pk=done.pk).title == "Renamed talk"
    assert 'name="text"' in call(done, "edit_segment").content.decode()
    call(done, "edit_segment", "post", {"text": "corrected words"})
    assert Segment.objects.get(transcription=done).text == "corrected words"
    call(done, "revert_segment", "post")
    assert Segment.objects.get(transcription=done).text == "words of the owner"

    call(transcription, "retry", "post")  # the fixture's job failed
    retried = Transcription.objects.get(pk=transcription.pk)
    assert (retried.status, retried.attempt) == (Transcription.Status.QUEUED, transcription.attempt + 1)
    call(retried, "cancel", "post")
    assert Transcription.objects.get(pk=transcription.pk).status == Transcription.Status.CANCELED

    call(done, "delete", "post")
    assert not Transcription.objects.filter(pk=done.pk).exists()
    assert call.made == {(name, method) for name, method, _, _ in object_urls(done)}  # none left out


def test_stranger_history_and_search_show_nothing_of_the_owner(client, stranger, transcription):
    client.force_login(stranger)
    response = client.get(reverse("transcripts:history"), {"q": "owner"})
    assert transcription.title not in response.content.decode()
    assert "No transcript matches" in response.content.decode()


def test_signed_out_visitors_are_sent_to_sign_in(client, transcription):
    urls = [reverse("transcripts:history"), reverse("transcripts:new"), reverse("password_change")]
    urls += [url for _, method, url, _ in object_urls(transcription) if method == "get"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse(settings.LOGIN_URL)), url


def test_signed_out_posts_change_nothing(client, transcription):
    for _, method, url, data in object_urls(transcription):
        if method == "post":
            response = client.post(url, data)
            assert response.status_code == 302 and reverse("login") in response["Location"], url
    assert Transcription.objects.filter(pk=transcription.pk, title="A talk").exists()
