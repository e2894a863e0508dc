"""The web pages and actions, through the test client, against the real Redis
queue and database."""

import json
import os

import django_rq
import pytest
import srt
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests import speech
from tests.web_factory import make_media, make_transcription, wav_bytes
from transcripts.models import Media, Segment, Transcription

# Transactions as in production: django-rq enqueues on commit, so a test
# wrapped in one transaction would never see its jobs on the queue.
pytestmark = pytest.mark.django_db(transaction=True)

Status = Transcription.Status
CLOSED_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def signed_in(client, owner):
    client.force_login(owner)
    return client


def upload(client, content, name="talk.wav", **fields):
    return client.post(reverse("transcripts:new"), {"file": SimpleUploadedFile(name, content), **fields})


def queued_job_ids():
    return django_rq.get_queue("transcribe").get_job_ids()


def form_errors(response):
    return " ".join(str(error) for errors in response.context["form"].errors.values() for error in errors)


# ---- accounts ----

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


def test_pages_have_titles_stylesheet_and_favicon(signed_in):
    page = signed_in.get(reverse("transcripts:new")).content.decode()
    assert "<title>New transcription · speechsite</title>" in page
    assert "css/site.css" in page and "favicon.svg" in page


# ---- new transcription ----

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
    assert "We could not find any audio in this file." in form_errors(response)


def test_playlist_pointing_at_local_files_is_refused(signed_in, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    playlist = f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile://{secret}\n#EXT-X-ENDLIST\n"
    concat = f"ffconcat version 1.0\nfile '{secret}'\n"
    for content in (playlist, concat):
        response = upload(signed_in, content.encode(), name="song.mp3")
        assert "could not read this file" in form_errors(response)
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


# ---- history ----

def test_history_is_newest_first_with_links(signed_in, owner):
    make_transcription(owner, title="older talk")
    newer = make_transcription(owner, title="newer talk", status=Status.QUEUED)
    page = signed_in.get(reverse("transcripts:history")).content.decode()
    assert page.index("newer talk") < page.index("older talk")
    assert newer.get_absolute_url() in page
    assert reverse("transcripts:download", args=[newer.pk - 1, "srt"]) in page
    assert newer.download_url("srt") not in page and newer.download_url("txt") not in page  # not done yet


def test_history_empty_state_says_what_to_do(signed_in):
    page = signed_in.get(reverse("transcripts:history")).content.decode()
    assert "No transcripts yet" in page and reverse("transcripts:new") in page


def test_search_finds_titles_and_transcript_words(signed_in, owner):
    make_transcription(owner, title="Budget meeting", texts=["we need more money"])
    make_transcription(owner, title="Standup", texts=["the build is green today"])
    by_title = signed_in.get(reverse("transcripts:history"), {"q": "budget"}).content.decode()
    assert "Budget meeting" in by_title and "Standup" not in by_title
    by_text = signed_in.get(reverse("transcripts:history"), {"q": "GREEN"}).content.decode()
    assert "Standup" in by_text and "Budget meeting" not in by_text


def test_history_query_count_does_not_grow_with_transcripts(signed_in, owner, django_assert_num_queries):
    media = make_media(owner)
    Transcription.objects.bulk_create(
        Transcription(owner=owner, media=media, title=f"talk {number}", model_name="tiny") for number in range(60)
    )
    # session, user, count, page
    with django_assert_num_queries(4):
        response = signed_in.get(reverse("transcripts:history"), {"page": 2})
    assert response.content.decode().count('class="title"') == 25
    with django_assert_num_queries(4):
        signed_in.get(reverse("transcripts:history"), {"q": "talk 5"})


# ---- the job page ----

def test_job_page_shows_segments_player_and_downloads(signed_in, owner):
    transcription = make_transcription(owner, texts=["first words here", "second words there", "<b>bold</b> & co"])
    page = signed_in.get(transcription.get_absolute_url()).content.decode()
    assert "first words here" in page and "second words there" in page
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in page and "<b>bold" not in page
    assert f'href="{reverse("transcripts:edit_segment", args=[transcription.pk, 1])}"' in page
    assert "<audio" in page and reverse("transcripts:media", args=[transcription.pk]) in page
    assert 'data-seek="2.000"' in page
    assert transcription.download_url("vtt") in page
    assert "first words here second words there &lt;b&gt;" in page  # the full text


def test_job_page_query_count_does_not_grow_with_segments(signed_in, owner, django_assert_num_queries):
    transcription = make_transcription(owner, texts=[f"segment number {n}" for n in range(300)])
    # session, user, transcription with media, segments
    with django_assert_num_queries(4):
        response = signed_in.get(transcription.get_absolute_url())
    assert response.content.decode().count('<li class="segment') == 300


def test_failed_job_shows_the_error_and_retry(signed_in, owner):
    transcription = make_transcription(owner, status=Status.FAILED, texts=[])
    Transcription.objects.filter(pk=transcription.pk).update(error="We could not find any audio in this file.")
    page = signed_in.get(transcription.get_absolute_url()).content.decode()
    assert "We could not find any audio in this file." in page
    assert reverse("transcripts:retry", args=[transcription.pk]) in page


def test_status_json_reports_progress_and_new_segments(signed_in, owner):
    transcription = make_transcription(owner, status=Status.RUNNING, texts=["one", "two"])
    Transcription.objects.filter(pk=transcription.pk).update(
        stage=Transcription.Stage.TRANSCRIBING, progress=50.0, chunks_done=2, chunks_total=4
    )
    url = reverse("transcripts:status_json", args=[transcription.pk])
    state = signed_in.get(url, {"known": 0}).json()
    assert state["status"] == "running" and state["unfinished"] is True
    assert state["percent"] == 55.0
    assert state["stage_text"] == "Transcribing part 3 of 4"
    assert [segment["text"] for segment in state["segments"]] == ["one", "two"]
    assert "segments" not in signed_in.get(url, {"known": 2}).json()


def test_queue_position_is_shown_for_queued_jobs(signed_in):
    upload(signed_in, wav_bytes())
    upload(signed_in, wav_bytes())
    second = Transcription.objects.order_by("pk").last()
    state = signed_in.get(reverse("transcripts:status_json", args=[second.pk])).json()
    assert state["queue_position"] == 2
    assert state["stage_text"] == "Waiting in the queue (position 2)"


def test_cancel_a_queued_job(signed_in, owner):
    upload(signed_in, wav_bytes())
    transcription = Transcription.objects.get()
    response = signed_in.post(reverse("transcripts:cancel", args=[transcription.pk]))
    assert response.status_code == 302
    transcription.refresh_from_db()
    assert transcription.status == Status.CANCELED and transcription.lease is None


def test_retry_requeues_a_failed_job_and_refuses_an_unfinished_one(signed_in, owner):
    transcription = make_transcription(owner, status=Status.FAILED, texts=[])
    signed_in.post(reverse("transcripts:retry", args=[transcription.pk]))
    transcription.refresh_from_db()
    assert transcription.status == Status.QUEUED and transcription.rq_job_id in queued_job_ids()
    response = signed_in.post(reverse("transcripts:retry", args=[transcription.pk]), follow=True)
    assert "Only a failed or canceled transcription can be retried." in response.content.decode()
    assert Transcription.objects.get().attempt == transcription.attempt


def test_state_changes_refuse_get(signed_in, owner):
    transcription = make_transcription(owner, status=Status.FAILED)
    for name in ("retry", "cancel", "edit_title"):
        assert signed_in.get(reverse(f"transcripts:{name}", args=[transcription.pk])).status_code == 405
    assert signed_in.get(reverse("transcripts:revert_segment", args=[transcription.pk, 0])).status_code == 405
    transcription.refresh_from_db()
    assert transcription.status == Status.FAILED


def test_state_changes_need_the_csrf_token(owner):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    transcription = make_transcription(owner, status=Status.FAILED)
    assert client.post(reverse("transcripts:delete", args=[transcription.pk])).status_code == 403
    assert Transcription.objects.filter(pk=transcription.pk).exists()


# ---- media ----

def test_media_streams_whole_file_and_ranges(signed_in, owner):
    content = wav_bytes(1.0)
    transcription = make_transcription(owner, media=make_media(owner, content=content))
    url = reverse("transcripts:media", args=[transcription.pk])

    whole = signed_in.get(url)
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes"
    assert b"".join(whole.streaming_content) == content
    assert whole["Content-Type"] == "audio/wav"

    part = signed_in.get(url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-199/{len(content)}" and part["Content-Length"] == "100"
    assert b"".join(part.streaming_content) == content[100:200]

    open_ended = signed_in.get(url, HTTP_RANGE="bytes=16000-")
    assert b"".join(open_ended.streaming_content) == content[16000:]

    suffix = signed_in.get(url, HTTP_RANGE="bytes=-10")
    assert b"".join(suffix.streaming_content) == content[-10:]

    outside = signed_in.get(url, HTTP_RANGE=f"bytes={len(content)}-")
    assert outside.status_code == 416 and outside["Content-Range"] == f"bytes */{len(content)}"


def test_media_type_comes_from_an_allow_list_not_the_clients_name(signed_in, tmp_path):
    """A valid MP3 uploaded as evil.html is stored with the .html suffix; served
    as text/html from our origin it would be a page."""
    (tmp_path / "talk.wav").write_bytes(wav_bytes(1.0))
    mp3 = speech.convert(tmp_path / "talk.wav", tmp_path / "talk.mp3")
    upload(signed_in, mp3.read_bytes(), name="evil.html")
    transcription = Transcription.objects.get()
    assert transcription.media.file.name.endswith(".html")

    response = signed_in.get(reverse("transcripts:media", args=[transcription.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"

    upload(signed_in, mp3.read_bytes(), name="talk.MP3")
    mp3_job = Transcription.objects.latest("pk")
    assert signed_in.get(reverse("transcripts:media", args=[mp3_job.pk]))["Content-Type"] == "audio/mpeg"


# ---- downloads ----

def test_downloads_are_attachments_named_after_the_title(signed_in, owner):
    transcription = make_transcription(owner, title="Q3 Review: «Final» / draft", texts=["hello there", "general"])
    for fmt, content_type in (("txt", "text/plain"), ("srt", "application/x-subrip"), ("vtt", "text/vtt"), ("json", "application/json")):
        response = signed_in.get(transcription.download_url(fmt))
        assert response.status_code == 200
        assert response["Content-Type"].startswith(content_type)
        assert response["Content-Disposition"] == f'attachment; filename="q3-review-final-draft.{fmt}"'
    assert json.loads(signed_in.get(transcription.download_url("json")).content)["title"] == transcription.title


def test_subtitle_options_on_the_download(signed_in, owner):
    transcription = make_transcription(owner, texts=["one two three four five six seven eight nine ten eleven twelve"])
    default = list(srt.parse(signed_in.get(transcription.download_url("srt")).content.decode()))
    narrow = list(srt.parse(signed_in.get(transcription.download_url("srt"), {"max_chars": 12, "max_lines": 1}).content.decode()))
    assert len(narrow) > len(default)
    assert all(len(cue.content) <= 12 for cue in narrow)
    assert signed_in.get(transcription.download_url("srt"), {"max_chars": "lots"}).status_code == 400
    assert signed_in.get(transcription.download_url("srt"), {"max_cue_s": "0"}).status_code == 400


@pytest.mark.parametrize("status", [Status.QUEUED, Status.RUNNING, Status.FAILED, Status.CANCELED])
def test_downloads_of_an_unfinished_or_failed_job_are_refused(signed_in, owner, status):
    """Its segments are partial: a download would pass them off as the transcript."""
    transcription = make_transcription(owner, status=status, texts=["only the first part"])
    for fmt in ("txt", "srt", "vtt", "json"):
        response = signed_in.get(transcription.download_url(fmt))
        assert response.status_code == 409
        assert response["Content-Type"].startswith("text/plain")
        assert response.content.decode() == f"The transcript is not ready: the job is {status.label.lower()}."
        assert "Content-Disposition" not in response
    page = signed_in.get(transcription.get_absolute_url()).content.decode()
    assert "only the first part" in page
    assert transcription.download_url("srt") not in page


def test_unknown_download_format_is_404(signed_in, owner):
    transcription = make_transcription(owner)
    assert signed_in.get(reverse("transcripts:download", args=[transcription.pk, "exe"])).status_code == 404


# ---- edits ----

def test_edit_a_segment_keeps_the_original_and_reverts(signed_in, owner):
    transcription = make_transcription(owner, texts=["helo wrld", "second"])
    url = reverse("transcripts:edit_segment", args=[transcription.pk, 0])
    response = signed_in.post(url, {"text": "  hello\nworld "}, HTTP_ACCEPT="application/json")
    assert response.json()["text"] == "hello world" and response.json()["edited"] is True
    segment = Segment.objects.get(transcription=transcription, index=0)
    assert (segment.text, segment.original_text) == ("hello world", "helo wrld")
    assert "hello world" in signed_in.get(transcription.download_url("srt")).content.decode()
    assert transcription.title in signed_in.get(reverse("transcripts:history"), {"q": "hello"}).content.decode()

    reverted = signed_in.post(url + "revert/")
    assert reverted.status_code == 302 and reverted["Location"].endswith("#segment-0")
    assert Segment.objects.get(transcription=transcription, index=0).text == "helo wrld"


def test_edit_segment_page_works_without_javascript(signed_in, owner):
    transcription = make_transcription(owner, texts=["helo"])
    url = reverse("transcripts:edit_segment", args=[transcription.pk, 0])
    assert "helo" in signed_in.get(url).content.decode()
    assert signed_in.post(url, {"text": "hello"}).status_code == 302
    assert Segment.objects.get().text == "hello"


def test_edit_title(signed_in, owner):
    transcription = make_transcription(owner)
    signed_in.post(reverse("transcripts:edit_title", args=[transcription.pk]), {"title": "Better title"})
    transcription.refresh_from_db()
    assert transcription.title == "Better title"
    signed_in.post(reverse("transcripts:edit_title", args=[transcription.pk]), {"title": ""})
    transcription.refresh_from_db()
    assert transcription.title == "Better title"


# ---- delete ----

def test_delete_asks_then_removes_rows_and_the_stored_file(signed_in, owner, media_root):
    transcription = make_transcription(owner)
    stored = media_root / transcription.media.file.name
    assert stored.exists()
    confirm = signed_in.get(reverse("transcripts:delete", args=[transcription.pk]))
    assert "deleted for good" in confirm.content.decode()
    assert Transcription.objects.exists()

    response = signed_in.post(reverse("transcripts:delete", args=[transcription.pk]))
    assert response.status_code == 302
    assert not Transcription.objects.exists() and not Media.objects.exists() and not Segment.objects.exists()
    assert not stored.exists()


# ---- admin ----

def test_admin_lists_jobs_requeues_and_links_to_the_queue_dashboard(client, owner, django_user_model):
    admin_user = django_user_model.objects.create_superuser("admin", "admin@example.com", "admin-pass-123456")
    client.force_login(admin_user)
    failed = make_transcription(owner, status=Status.FAILED, texts=[])
    Transcription.objects.filter(pk=failed.pk).update(error="ffmpeg could not read", error_detail="Traceback: boom")
    changelist = client.get(reverse("admin:transcripts_transcription_changelist"), {"status__exact": "failed"})
    assert changelist.status_code == 200
    assert reverse("django_rq:home") in changelist.content.decode()
    change = client.get(reverse("admin:transcripts_transcription_change", args=[failed.pk])).content.decode()
    assert "Traceback: boom" in change and "ffmpeg could not read" in change
    client.post(
        reverse("admin:transcripts_transcription_changelist"),
        {"action": "requeue", "_selected_action": [failed.pk]},
    )
    failed.refresh_from_db()
    assert failed.status == Status.QUEUED and failed.rq_job_id in queued_job_ids()
    client.post(
        reverse("admin:transcripts_transcription_changelist"),
        {"action": "cancel", "_selected_action": [failed.pk]},
    )
    failed.refresh_from_db()
    assert failed.status == Status.CANCELED
    for name in ("media", "segment"):
        assert client.get(reverse(f"admin:transcripts_{name}_changelist")).status_code == 200


def test_queue_dashboard_is_for_staff_only(client, owner):
    client.force_login(owner)
    assert client.get(reverse("django_rq:home")).status_code == 302


def test_the_web_process_never_imports_the_speech_stack():
    """The web process enqueues by dotted path; torch stays in the workers."""
    import subprocess
    import sys

    script = (
        "import sys, django; django.setup();"
        "from django.contrib import admin; admin.autodiscover();"
        "import speechsite.urls, transcripts.views, transcripts.services, transcripts.admin;"
        "from django.test import Client;"
        "Client().get('/accounts/login/');"
        "print(sorted(m for m in ('torch', 'transformers', 'workers.pipeline', 'workers.jobs') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True, text=True, env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
