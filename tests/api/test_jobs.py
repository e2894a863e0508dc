"""The async jobs API under /api/transcriptions, with Bearer tokens, against the
real Redis queue, the real database and a real (burst) worker with the tiny model."""

import io
import json

import django_rq
import pytest
import srt
import webvtt
from django.urls import reverse

from tests.support.api_helpers import bearer, issue_token
from tests.support.web_factory import make_transcription, wav_bytes
from timedtext import formats
from timedtext.formats import DOWNLOADS
from transcripts.models import ApiToken, Media, Transcription

pytestmark = pytest.mark.django_db(transaction=True)

Status = Transcription.Status


@pytest.fixture
def api(client, token):
    """The test client, sending the owner's token."""

    class Api:
        def get(self, path, **params):
            return client.get(path, params, headers=bearer(token))

        def post(self, path, data=None, **options):
            return client.post(path, data or {}, headers=bearer(token), **options)

        def delete(self, path):
            return client.delete(path, headers=bearer(token))

    return Api()


def upload(api, path, **fields):
    with open(path, "rb") as handle:
        return api.post(reverse("api:transcription-list"), {"file": handle, **fields})


def queued_job_ids():
    return django_rq.get_queue("transcribe").get_job_ids()


def test_create_poll_done_download(api, client, owner, short_speech, tiny_model, burst_worker):
    created = upload(api, short_speech, title="Two proverbs")
    assert created.status_code == 202, created.content
    job = created.json()
    assert created["Location"] == job["url"] and job["url"].endswith(f"/api/transcriptions/{job['id']}")
    assert job["status"] == "queued" and job["title"] == "Two proverbs"
    assert job["media"]["source"] == "upload" and job["media"]["duration_s"] == pytest.approx(5, abs=1.5)

    burst_worker()

    detail = api.get(job["url"]).json()
    assert detail["status"] == "done", detail["error"]
    assert detail["progress"] == 100.0 and detail["finished_at"]
    transcription = Transcription.objects.get(pk=job["id"])
    stored = list(transcription.segments.all())
    assert stored

    segments = api.get(detail["segments_url"]).json()
    assert [(item["index"], item["start"], item["end"], item["text"]) for item in segments] == [
        (segment.index, round(segment.start_s, 3), round(segment.end_s, 3), segment.text) for segment in stored
    ]
    assert all(item["words"] == [{"word": w["word"], "start": round(w["start"], 3), "end": round(w["end"], 3)}
                                 for w in segment.words] for item, segment in zip(segments, stored))

    for fmt in DOWNLOADS:
        response = api.get(detail["downloads"][fmt])
        assert response.status_code == 200
        expected, content_type = formats.render(fmt, transcription.transcript(stored))
        assert response["Content-Type"] == content_type
        assert response.content.decode() == expected
    cues = list(srt.parse(api.get(detail["downloads"]["srt"]).content.decode()))
    assert " ".join(cue.content.replace("\n", " ") for cue in cues).split() == " ".join(s.text for s in stored).split()
    vtt_text = api.get(detail["downloads"]["vtt"]).content.decode()
    assert len(webvtt.from_buffer(io.StringIO(vtt_text)).captions) == len(cues)
    assert json.loads(api.get(detail["downloads"]["json"]).content)["text"] == transcription.full_text

    # Made through the API, it is in the owner's history like any other.
    client.force_login(owner)
    assert "Two proverbs" in client.get(reverse("transcripts:history")).content.decode()


def test_create_from_a_url_is_queued(api, settings, start_server):
    server = start_server()
    server.serve_bytes("/talk.wav", wav_bytes(), "audio/wav")
    settings.URL_ALLOWED_HOSTS = ["127.0.0.1"]
    response = api.post(
        reverse("api:transcription-list"), {"url": server.url("/talk.wav")}, content_type="application/json"
    )
    assert response.status_code == 202, response.content
    transcription = Transcription.objects.get(pk=response.json()["id"])
    assert transcription.media.source == Media.Source.URL and transcription.status == Status.QUEUED
    assert transcription.rq_job_id in queued_job_ids()


def test_create_refuses_a_private_url_and_queues_nothing(api):
    response = api.post(
        reverse("api:transcription-list"), {"url": "http://10.0.0.1/talk.mp3"}, content_type="application/json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == "url" and "private or local" in error["message"]
    assert not Transcription.objects.exists() and queued_job_ids() == []


def test_create_refuses_a_file_that_is_not_media(api, tmp_path):
    path = tmp_path / "notes.wav"
    path.write_bytes(b"this is not audio at all" * 100)
    response = upload(api, path)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "file"
    assert not Transcription.objects.exists()


def test_create_needs_exactly_one_of_file_and_url(api, short_speech):
    response = api.post(reverse("api:transcription-list"), {"title": "nothing"})
    assert response.status_code == 400 and "file or a url" in response.json()["error"]["message"]


def test_create_refuses_a_bad_trim(api, short_speech):
    response = upload(api, short_speech, trim_start_s=3, trim_end_s=2)
    assert response.status_code == 400 and response.json()["error"]["param"] == "trim_end_s"


def test_upload_over_the_size_limit_is_413(api, settings, short_speech):
    settings.MAX_UPLOAD_BYTES = 1000
    response = upload(api, short_speech)
    assert response.status_code == 413 and "limit" in response.json()["error"]["message"]
    assert not Transcription.objects.exists()


def test_unfinished_job_limit_answers_429(api, settings, owner, short_speech):
    settings.MAX_UNFINISHED_JOBS_PER_USER = 1
    assert upload(api, short_speech).status_code == 202
    response = upload(api, short_speech)
    assert response.status_code == 429
    assert response.json()["error"]["type"] == "rate_limit_error"
    assert Transcription.objects.filter(owner=owner).count() == 1


def test_list_is_paginated_and_filters_by_status_and_search(api, owner, stranger):
    make_transcription(owner, title="Budget meeting", texts=("we need more coffee",))
    make_transcription(owner, title="Interview", status=Status.FAILED, texts=())
    make_transcription(owner, title="Lecture", texts=("the mitochondria",))
    make_transcription(stranger, title="Not yours", texts=("coffee",))

    first = api.get(reverse("api:transcription-list"), page_size=2).json()
    assert first["count"] == 3 and [item["title"] for item in first["results"]] == ["Lecture", "Interview"]
    second = api.get(first["next"]).json()
    assert [item["title"] for item in second["results"]] == ["Budget meeting"]

    failed = api.get(reverse("api:transcription-list"), status="failed").json()
    assert [item["title"] for item in failed["results"]] == ["Interview"]
    found = api.get(reverse("api:transcription-list"), search="coffee").json()
    assert [item["title"] for item in found["results"]] == ["Budget meeting"]
    assert api.get(reverse("api:transcription-list"), status="finished").status_code == 400


def test_retry_queues_a_failed_job_again(api, owner):
    transcription = make_transcription(owner, status=Status.FAILED, texts=())
    response = api.post(reverse("api:transcription-retry", args=[transcription.pk]))
    assert response.status_code == 202
    transcription.refresh_from_db()
    assert transcription.status == Status.QUEUED and transcription.attempt == 1
    assert response.json()["status"] == "queued"
    assert queued_job_ids() == [transcription.rq_job_id]


def test_retry_of_a_done_job_is_409(api, owner):
    transcription = make_transcription(owner)
    response = api.post(reverse("api:transcription-retry", args=[transcription.pk]))
    assert response.status_code == 409 and response.json()["error"]["type"] == "conflict_error"
    transcription.refresh_from_db()
    assert transcription.status == Status.DONE and queued_job_ids() == []


def test_cancel_a_queued_job(api, short_speech, burst_worker):
    job = upload(api, short_speech).json()
    response = api.post(reverse("api:transcription-cancel", args=[job["id"]]))
    assert response.status_code == 200 and response.json()["status"] == "canceled"
    burst_worker()  # the queued attempt finds its lease gone and does nothing
    transcription = Transcription.objects.get(pk=job["id"])
    assert transcription.status == Status.CANCELED and not transcription.segments.exists()
    assert api.post(reverse("api:transcription-cancel", args=[job["id"]])).status_code == 409


def test_delete_removes_the_job_and_its_media_file(api, owner, media_root):
    transcription = make_transcription(owner)
    stored_file = media_root / transcription.media.file.name
    assert stored_file.exists()
    url = reverse("api:transcription-detail", args=[transcription.pk])
    response = api.delete(url)
    assert response.status_code == 204
    assert not Transcription.objects.filter(pk=transcription.pk).exists()
    assert not Media.objects.filter(pk=transcription.media_id).exists()
    assert api.get(url).status_code == 404


def object_urls(transcription):
    pk = transcription.pk
    return [
        ("get", reverse("api:transcription-detail", args=[pk])),
        ("get", reverse("api:transcription-segments", args=[pk])),
        *[("get", reverse("api:transcription-download", args=[pk, fmt])) for fmt in DOWNLOADS],
        ("post", reverse("api:transcription-retry", args=[pk])),
        ("post", reverse("api:transcription-cancel", args=[pk])),
        ("delete", reverse("api:transcription-detail", args=[pk])),
    ]


def test_every_object_endpoint_is_404_to_another_users_token(client, owner, stranger):
    transcription = make_transcription(owner)
    stranger_token = issue_token(stranger)
    for method, url in object_urls(transcription):
        response = getattr(client, method)(url, headers=bearer(stranger_token))
        assert response.status_code == 404, (method, url)
        assert response.json()["error"]["type"] == "not_found_error"
    assert Transcription.objects.filter(pk=transcription.pk, status=Status.DONE).exists()


@pytest.mark.parametrize("credentials", ["none", "wrong", "revoked", "malformed", "basic"])
def test_every_endpoint_is_401_without_a_valid_token(client, owner, credentials):
    transcription = make_transcription(owner)
    token_row, token = ApiToken.issue(owner, "old")
    headers = {
        "none": {},
        "wrong": bearer("ss_" + "x" * 43),
        "revoked": bearer(token),
        "malformed": {"Authorization": "Bearer two words"},
        "basic": {"Authorization": "Basic b3duZXI6cGFzc3dvcmQ="},
    }[credentials]
    if credentials == "revoked":
        token_row.revoke()
    endpoints = [
        *object_urls(transcription),
        ("get", reverse("api:transcription-list")),
        ("post", reverse("api:transcription-list")),
        ("get", reverse("api:openai-models")),
        ("post", reverse("api:openai-transcriptions")),
        ("post", reverse("api:asr")),
        ("post", reverse("api:detect-language")),
    ]
    for method, url in endpoints:
        response = getattr(client, method)(url, headers=headers)
        assert response.status_code == 401, (method, url)
        assert response.json()["error"]["type"] == "authentication_error"
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert Transcription.objects.filter(pk=transcription.pk, status=Status.DONE).exists()


def test_a_token_in_the_path_authenticates(client, token):
    response = client.get(reverse("api:openai-models-token-in-path", args=[token]))
    assert response.status_code == 200 and response.json()["object"] == "list"
    assert client.get(reverse("api:openai-models-token-in-path", args=["ss_wrong"])).status_code == 401


def test_use_is_recorded_on_the_token(client, owner):
    token_row, token = ApiToken.issue(owner, "cli")
    assert token_row.last_used_at is None
    client.get(reverse("api:transcription-list"), headers=bearer(token))
    token_row.refresh_from_db()
    assert token_row.last_used_at is not None


def test_a_session_is_not_enough(client, owner):
    client.force_login(owner)
    assert client.get(reverse("api:transcription-list")).status_code == 401


def test_models_lists_the_served_model(api, settings):
    settings.STT_MODEL = "facebook/hubert-large-ls960-ft"
    body = api.get(reverse("api:openai-models")).json()
    assert [model["id"] for model in body["data"]] == ["facebook/hubert-large-ls960-ft"]


def test_retry_puts_back_a_queued_job_the_queue_lost(api, owner):
    transcription = make_transcription(owner, status=Status.QUEUED, texts=())
    transcription.new_attempt()
    transcription.save()
    response = api.post(reverse("api:transcription-retry", args=[transcription.pk]))
    assert response.status_code == 202 and response.json()["attempt"] == transcription.attempt
    assert queued_job_ids() == [transcription.rq_job_id]


def test_retry_over_the_limit_of_unfinished_jobs_is_429(api, owner, settings):
    settings.MAX_UNFINISHED_JOBS_PER_USER = 1
    make_transcription(owner, status=Status.RUNNING)
    failed = make_transcription(owner, status=Status.FAILED, texts=())
    response = api.post(reverse("api:transcription-retry", args=[failed.pk]))
    assert response.status_code == 429 and response.json()["error"]["type"] == "rate_limit_error"
    failed.refresh_from_db()
    assert failed.status == Status.FAILED and queued_job_ids() == []
