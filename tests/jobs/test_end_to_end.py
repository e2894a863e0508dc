"""Upload through the real form → job on the real Redis queue → a burst worker
transcribes it with the tiny model → segments and downloads agree. Broken files
fail with a readable message, keep the media, and Retry works once fixed."""

import json
import shutil

import django_rq
import pytest
import srt
import webvtt
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from testkit import speech
from transcripts.models import Segment, Transcription

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

Status = Transcription.Status


@pytest.fixture
def signed_in(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def speech_mp3(speech_wav, tmp_path_factory):
    return speech.convert(speech_wav, tmp_path_factory.mktemp("mp3") / "speech.mp3", "-ac", "2", "-ar", "44100")


@pytest.fixture
def split_small(settings):
    # ~12 s of speech in several chunks, so that there are several segments.
    settings.SPLIT_MIN_SPACE_S = 3.0
    settings.SPLIT_MAX_SPACE_S = 6.0


def upload(client, path, **fields):
    with open(path, "rb") as handle:
        response = client.post(
            reverse("transcripts:new"), {"file": SimpleUploadedFile(path.name, handle.read()), **fields}
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    return Transcription.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def words(text):
    return text.split()


def assert_downloads_agree(client, transcription):
    segments = list(Segment.objects.filter(transcription=transcription).order_by("index"))
    all_words = [word for segment in segments for word in words(segment.text)]

    document = json.loads(client.get(transcription.download_url("json")).content)
    assert [(item["start"], item["end"], item["text"]) for item in document["segments"]] == [
        (round(segment.start_s, 3), round(segment.end_s, 3), segment.text) for segment in segments
    ]
    assert document["title"] == transcription.title

    cues = list(srt.parse(client.get(transcription.download_url("srt")).content.decode()))
    assert [word for cue in cues for word in words(cue.content)] == all_words
    if segments and all_words:
        assert cues[0].start.total_seconds() >= segments[0].start_s - 0.001
        assert cues[-1].end.total_seconds() <= segments[-1].end_s + 1.001

    captions = webvtt.from_string(client.get(transcription.download_url("vtt")).content.decode()).captions
    assert [word for caption in captions for word in words(caption.text)] == all_words

    text = client.get(transcription.download_url("txt")).content.decode()
    assert words(text) == all_words


@pytest.mark.parametrize("fixture_name", ["speech_wav", "speech_mp3"])
def test_upload_is_transcribed_by_a_worker(request, signed_in, tiny_model, split_small, burst_worker, fixture_name):
    path = request.getfixturevalue(fixture_name)
    transcription = upload(signed_in, path, title="Three sentences")
    assert transcription.status == Status.QUEUED
    assert django_rq.get_queue("transcribe").get_job_ids() == [transcription.rq_job_id]

    burst_worker()

    transcription.refresh_from_db()
    assert transcription.status == Status.DONE, transcription.error_detail
    assert transcription.progress == 100.0 and transcription.error == ""
    segments = list(transcription.segments.all())
    assert len(segments) >= 2
    assert [segment.index for segment in segments] == list(range(len(segments)))
    assert all(0 <= segment.start_s < segment.end_s <= transcription.media.duration_s + 0.1 for segment in segments)
    assert transcription.duration_s == pytest.approx(transcription.media.duration_s, abs=0.2)

    page = signed_in.get(transcription.get_absolute_url()).content.decode()
    assert 'id="job-status">Done<' in page
    assert page.count('<li class="segment') == len(segments)
    assert_downloads_agree(signed_in, transcription)


def replace_stored_file(transcription, content):
    with transcription.media.file.storage.open(transcription.media.file.name, "wb") as stored:
        stored.write(content)


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (b"", "empty"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt garbage that is no longer a wave file" * 50, "could not read"),
    ],
    ids=["empty", "corrupt"],
)
def test_broken_file_fails_readably_and_retry_works_once_fixed(
    signed_in, tiny_model, burst_worker, speech_wav, media_root, broken, message
):
    # The upload check refuses such files at the door (see test_pages); here the
    # stored file breaks after upload, so that the worker meets it.
    transcription = upload(signed_in, speech_wav)
    replace_stored_file(transcription, broken)

    burst_worker()

    transcription.refresh_from_db()
    assert transcription.status == Status.FAILED
    assert message in transcription.error.lower()
    assert "Traceback" not in transcription.error
    assert (media_root / transcription.media.file.name).exists()  # kept for a retry
    page = signed_in.get(transcription.get_absolute_url()).content.decode()
    assert transcription.error.split(":")[0] in page
    assert reverse("transcripts:retry", args=[transcription.pk]) in page

    shutil.copyfile(speech_wav, media_root / transcription.media.file.name)
    response = signed_in.post(reverse("transcripts:retry", args=[transcription.pk]))
    assert response.status_code == 302
    transcription.refresh_from_db()
    assert transcription.status == Status.QUEUED and transcription.attempt == 2 and transcription.error == ""

    burst_worker()

    transcription.refresh_from_db()
    assert transcription.status == Status.DONE, transcription.error_detail
    assert transcription.segments.exists()
    assert_downloads_agree(signed_in, transcription)


def test_redis_down_is_a_message_not_an_error_page(signed_in, settings, speech_wav, tiny_model, burst_worker):
    real_queues = settings.RQ_QUEUES
    settings.RQ_QUEUES = {"transcribe": {**real_queues["transcribe"], "URL": "redis://127.0.0.1:1/0"}}
    transcription = upload(signed_in, speech_wav)
    page = signed_in.get(transcription.get_absolute_url())
    assert page.status_code == 200
    assert "The job queue is unavailable right now" in page.content.decode()
    assert signed_in.get(reverse("transcripts:history")).status_code == 200
    transcription.refresh_from_db()
    assert transcription.status == Status.QUEUED and transcription.media.file

    assert reverse("transcripts:retry", args=[transcription.pk]) in page.content.decode()

    # Redis is back: Retry puts the kept job on the queue (the reaper would too).
    settings.RQ_QUEUES = real_queues
    signed_in.post(reverse("transcripts:retry", args=[transcription.pk]))
    assert django_rq.get_queue("transcribe").get_job_ids() == [transcription.rq_job_id]
    burst_worker()
    transcription.refresh_from_db()
    assert transcription.status == Status.DONE, transcription.error_detail
