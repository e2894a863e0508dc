"""Starting a transcription: the upload and link form (views/new.py) and what
it refuses."""

import os

import pytest
from django.urls import reverse

from testkit import speech
from tests.support.web_factory import (
    form_errors,
    make_transcription,
    queued_job_ids,
    upload,
    wav_bytes,
)
from transcripts.models import Media, Transcription

# Transactions as in production: django-rq enqueues on commit, so a test
# wrapped in one transaction would never see its jobs on the queue.
pytestmark = pytest.mark.django_db(transaction=True)

Status = Transcription.Status
CLOSED_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def test_upload_stores_media_under_a_generated_name_and_queues_the_job(signed_in, owner, media_root):
    response = upload(signed_in, wav_bytes(2.0), name="../../evil/My Talk.wav")
    transcription = Transcription.objects.get()
    assert response.status_code == 302 and response["Location"] == transcription.get_absolute_url()
    media = transcription.media
    assert media.original_name == "My Talk.wav"
    assert "evil" not in media.file.name and "My Talk" not in media.file.name
    assert media.file.name.startswith(f"media/{owner.pk}/")
    assert (media_root / media.file.name).read_bytes() == wav_bytes(2.0)
    assert media.duration_s == pytest.approx(2.0)
    assert media.size_bytes == len(wav_bytes(2.0)) and media.has_video is False
    assert transcription.title == "My Talk.wav"
    assert transcription.status == Status.QUEUED and transcription.attempt == 1
    assert transcription.rq_job_id in queued_job_ids()
    assert "in the queue" in signed_in.get(response["Location"]).content.decode()


def test_upload_keeps_the_given_title_and_trim(signed_in):
    upload(signed_in, wav_bytes(3.0), title="  Monday meeting ", trim_start_s="0.5", trim_end_s="2")
    transcription = Transcription.objects.get()
    assert (transcription.title, transcription.trim_start_s, transcription.trim_end_s) == ("Monday meeting", 0.5, 2.0)


def test_video_upload_is_marked_as_video(signed_in, tmp_path, speech_wav):
    video = tmp_path / "clip.mp4"
    speech.with_video(speech_wav, video)
    upload(signed_in, video.read_bytes(), name="clip.mp4")
    media = Media.objects.get()
    assert media.has_video is True
    page = signed_in.get(Transcription.objects.get().get_absolute_url()).content.decode()
    assert "<video" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "Choose a file to upload or paste a link"),
        ({"trim_start_s": "5", "trim_end_s": "2"}, "The end must be after the start."),
        ({"trim_start_s": "-1"}, "greater than or equal to 0"),
    ],
)
def test_invalid_forms_are_refused(signed_in, fields, message):
    response = signed_in.post(reverse("transcripts:new"), fields)
    assert response.status_code == 400
    assert message in form_errors(response)
    assert not Transcription.objects.exists()


def test_a_file_and_a_url_together_are_refused(signed_in):
    response = upload(signed_in, wav_bytes(), url="https://example.com/a.mp3")
    assert "not both" in form_errors(response)
    assert not Media.objects.exists()


def test_upload_over_the_limit_is_stopped_with_a_clear_error(signed_in, settings):
    settings.MAX_UPLOAD_BYTES = 4000
    response = upload(signed_in, wav_bytes(1.0), title="big")  # 16 kB
    assert response.status_code == 400
    assert "larger than" in form_errors(response)
    assert response.context["form"]["title"].value() == "big"  # the other fields survive
    assert not Media.objects.exists()


def test_upload_handler_stops_at_the_limit_and_removes_the_partial_file(settings, rf):
    from django.core.files.uploadhandler import SkipFile

    from transcripts.uploads import LimitedTemporaryFileUploadHandler, upload_errors

    settings.MAX_UPLOAD_BYTES = 1000
    request = rf.post("/")
    handler = LimitedTemporaryFileUploadHandler(request)
    handler.new_file("file", "big.wav", "audio/wav", None)
    partial_path = handler.file.temporary_file_path()
    handler.receive_data_chunk(b"x" * 600, 0)
    handler.file.flush()
    assert os.path.getsize(partial_path) == 600
    with pytest.raises(SkipFile):
        handler.receive_data_chunk(b"x" * 600, 600)
    assert not os.path.exists(partial_path)
    assert "larger than the 1000" in upload_errors(request)["file"]


def test_default_limit_message_names_the_limit(signed_in, settings):
    from transcripts.uploads import too_large_message

    assert too_large_message() == "The file is larger than the 2.0 GB limit."


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The submitted file is empty."),
        (b"this is a shopping list, not a song\n" * 20, "could not read this file"),
        (os.urandom(20000), "could not read this file"),
    ],
    ids=["empty", "text", "random-bytes"],
)
def test_files_that_are_not_audio_are_refused(signed_in, content, message, media_root):
    response = upload(signed_in, content, name="song.mp3")
    assert response.status_code == 400
    assert message in form_errors(response)
    assert not Media.objects.exists()
    assert not list(media_root.rglob("*.mp3"))


def test_video_without_audio_is_refused(signed_in, tmp_path):
    silent_video = tmp_path / "silent.mp4"
    speech.run("ffmpeg", "-nostdin", "-y", "-v", "error", "-f", "lavfi", "-i", "color=c=red:s=64x48:r=5:d=1",
               "-pix_fmt", "yuv420p", str(silent_video))
    response = upload(signed_in, silent_video.read_bytes(), name="silent.mp4")
    assert "This file has no sound track" in form_errors(response)


def test_playlist_pointing_at_local_files_is_refused(signed_in, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    playlist = f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile://{secret}\n#EXT-X-ENDLIST\n"
    concat = f"ffconcat version 1.0\nfile '{secret}'\n"
    for content in (playlist, concat):
        response = upload(signed_in, content.encode(), name="song.mp3")
        assert "This file is a playlist or a list of other files" in form_errors(response)
        assert "TOP SECRET" not in response.content.decode()
    assert not Media.objects.exists()


def test_too_many_unfinished_jobs_are_refused(signed_in, owner, settings):
    settings.MAX_UNFINISHED_JOBS_PER_USER = 1
    make_transcription(owner, status=Status.RUNNING)
    response = upload(signed_in, wav_bytes())
    assert response.status_code == 400
    assert "already have 1 transcriptions waiting or running" in form_errors(response)
    assert Transcription.objects.count() == 1


def test_redis_down_keeps_the_upload_queued_and_says_so(signed_in, settings):
    settings.RQ_QUEUES = {"transcribe": {**settings.RQ_QUEUES["transcribe"], "URL": CLOSED_REDIS}}
    response = upload(signed_in, wav_bytes())
    transcription = Transcription.objects.get()
    assert response.status_code == 302 and response["Location"] == transcription.get_absolute_url()
    assert transcription.status == Status.QUEUED and transcription.media.file
    page = signed_in.get(response["Location"])  # the job page renders without Redis
    assert page.status_code == 200
    assert "The job queue is unavailable right now" in page.content.decode()


def test_url_job_is_stored_without_a_file(signed_in, settings):
    settings.URL_ALLOWED_HOSTS = ["127.0.0.1"]
    response = signed_in.post(reverse("transcripts:new"), {"url": "http://127.0.0.1:9/talk.mp3"})
    transcription = Transcription.objects.get()
    assert response.status_code == 302
    media = transcription.media
    assert (media.source, media.source_url, bool(media.file)) == (Media.Source.URL, "http://127.0.0.1:9/talk.mp3", False)
    assert transcription.title == "http://127.0.0.1:9/talk.mp3"
    assert transcription.rq_job_id in queued_job_ids()


def test_url_to_a_private_address_is_refused(signed_in):
    response = signed_in.post(reverse("transcripts:new"), {"url": "http://127.0.0.1/admin"})
    assert response.status_code == 400
    assert form_errors(response)
    assert not Transcription.objects.exists()
