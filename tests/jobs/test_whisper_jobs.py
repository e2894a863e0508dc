"""Jobs with the offered models: real speech through the form, the queue of the
chosen model, a burst worker with the packaged Whisper weights, and the page;
routing by model; models that cannot load; languages checked at the worker."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from rq.worker import SimpleWorker

from testkit.wer import word_error_rate
from tests.conftest import run_model_workers
from tests.support.jobs_factory import queued_transcription
from transcripts import queueing
from transcripts.models import Transcription
from workers import jobs, reaper

# Real weights: run once (the SQLite pass), not once per database.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.once]

Status = Transcription.Status
JFK = "jfk.flac"


@pytest.fixture
def signed_in(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def hubert_and_tiny_en(offer_models, tiny_model_dir, whisper_tiny_en_dir):
    """A CTC model (the tiny random one) as the default, and Whisper tiny.en."""
    offer_models(f"hubert=ctc:{tiny_model_dir}, tiny=whisper:{whisper_tiny_en_dir}:en")


def upload(client, path, **fields):
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    response = client.post(reverse("transcripts:new"), {"file": upload, **fields})
    assert response.status_code == 302, response.content.decode()[:3000]
    return Transcription.objects.latest("pk")


def test_tiny_en_transcribes_real_speech_through_a_worker_and_the_page(signed_in, hubert_and_tiny_en, real_speech):
    jfk = real_speech[JFK]
    transcription = upload(signed_in, jfk.path, model="tiny", language="en")
    assert (transcription.model_name, transcription.language, transcription.status) == ("tiny", "en", Status.QUEUED)
    assert queueing.queue_of(transcription).name == "transcribe-tiny"

    run_model_workers("tiny")

    transcription.refresh_from_db()
    assert transcription.status == Status.DONE, transcription.error_detail
    (segment,) = transcription.segments.all()
    assert word_error_rate([jfk.reference], [segment.text]).wer == 0.0
    assert segment.text.startswith("And so") and segment.text.endswith("country.")
    assert segment.words[-1]["word"] == "country." and 10.0 < segment.words[-1]["end"] <= 11.0

    page = signed_in.get(transcription.get_absolute_url()).content.decode()
    assert "ask not what your country can do for you" in page
    assert '<span id="job-model">tiny</span>, <span id="job-language">English</span>' in page
    subtitles = signed_in.get(transcription.download_url("srt")).content.decode()
    assert "fellow Americans" in subtitles and "country." in subtitles
    document = json.loads(signed_in.get(transcription.download_url("json")).content)
    assert document["language"] == "en" and document["text"] == segment.text


def test_multilingual_base_detects_the_language_of_real_speech(signed_in, offer_models, whisper_base_dir, real_speech):
    offer_models(f"base=whisper:{whisper_base_dir}")
    transcription = upload(signed_in, real_speech[JFK].path)  # no language chosen: detect it
    assert (transcription.requested_language, transcription.language) == ("", "")

    run_model_workers("base")

    transcription.refresh_from_db()
    assert transcription.status == Status.DONE, transcription.error_detail
    assert transcription.language == "en" and transcription.language_probability > 0.8
    assert word_error_rate([real_speech[JFK].reference], [transcription.full_text]).wer == 0.0
    page = signed_in.get(transcription.get_absolute_url()).content.decode()
    assert '<span id="job-language">English (detected)</span>' in page
    # A retry detects again: the detected language is not taken for a choice.
    transcription.new_attempt()
    assert (transcription.language, transcription.language_probability) == ("", None)


def test_an_english_only_whisper_model_refuses_another_language_at_the_worker(
    owner, offer_models, whisper_tiny_en_dir, speech_wav
):
    # Offered without ":en", the site takes German for it; the model itself refuses.
    offer_models(f"tiny=whisper:{whisper_tiny_en_dir}")
    transcription = queued_transcription(owner, speech_wav, model_name="tiny", requested_language="de", language="de")
    run_model_workers("tiny")
    transcription.refresh_from_db()
    assert transcription.status == Status.FAILED
    assert transcription.error == (
        "This model understands English only; it cannot transcribe German. Choose English or a multilingual model."
    )


def test_a_folder_that_is_neither_whisper_nor_ctc_fails_the_job_and_the_worker_goes_on(
    owner, offer_models, tmp_path, whisper_tiny_en_dir, tiny_model_dir, speech_wav
):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("not a model")
    offer_models(
        f"tiny=whisper:{whisper_tiny_en_dir}:en, notwhisper=whisper:{tmp_path / 'empty'}:en, "
        f"notctc=ctc:{tmp_path / 'empty'}, swapped=ctc:{whisper_tiny_en_dir}, swapped2=whisper:{tiny_model_dir}:en"
    )
    names = ["notwhisper", "notctc", "swapped", "swapped2", "tiny"]
    queued = {name: queued_transcription(owner, speech_wav, model_name=name) for name in names}

    run_model_workers(*names)  # one worker serving all five queues, the broken ones first

    rows = {name: Transcription.objects.get(pk=row.pk) for name, row in queued.items()}
    assert rows["tiny"].status == Status.DONE and rows["tiny"].segments.exists()
    for name in names[:4]:
        assert rows[name].status == Status.FAILED and rows[name].error == jobs.MODEL_UNAVAILABLE, name
    assert "it is not a Whisper model in CTranslate2 format (it lacks model.bin, config.json" in rows["notwhisper"].error_detail
    assert f"The model '{tmp_path / 'empty'}' could not be loaded" in rows["notctc"].error_detail
    assert "The folder holds a whisper model: offer it with the engine 'whisper'." in rows["swapped"].error_detail
    assert "The folder holds a ctc model: offer it with the engine 'ctc'." in rows["swapped2"].error_detail


def test_a_job_whose_model_no_worker_serves_waits_and_says_so(signed_in, owner, hubert_and_tiny_en, speech_wav):
    transcription = queued_transcription(owner, speech_wav, model_name="tiny", requested_language="en")
    status_url = reverse("transcripts:status_json", args=[transcription.pk])

    run_model_workers("hubert")  # a worker without Whisper: the job is not its to take

    state = signed_in.get(status_url).json()
    assert state["status"] == "queued" and state["waiting_for_worker"]
    assert state["stage_text"] == (
        "Waiting in the queue (position 1). No worker that runs the model tiny is running right now; "
        "the job starts as soon as one is."
    )
    assert "No worker that runs the model tiny" in signed_in.get(transcription.get_absolute_url()).content.decode()

    # A worker serving the model is registered (idle, between two polls of its queue).
    tiny_queue = queueing.queue_of(transcription)
    idle = SimpleWorker([tiny_queue], connection=tiny_queue.connection)
    idle.register_birth()
    try:
        state = signed_in.get(status_url).json()
        assert not state["waiting_for_worker"] and state["stage_text"] == "Waiting in the queue (position 1)"
    finally:
        idle.register_death()

    run_model_workers("tiny")
    transcription.refresh_from_db()
    assert transcription.status == Status.DONE, transcription.error_detail


def test_the_reaper_puts_a_lost_job_back_on_its_models_queue(owner, hubert_and_tiny_en, speech_wav):
    transcription = queued_transcription(owner, speech_wav, model_name="tiny", requested_language="en")
    tiny_queue = queueing.queue_of(transcription)
    tiny_queue.connection.flushdb()  # Redis restarted empty
    Transcription.objects.filter(pk=transcription.pk).update(queued_at=timezone.now() - timedelta(minutes=5))

    report = reaper.reap()

    assert report.enqueued == [transcription.pk]
    assert tiny_queue.get_job_ids() == [transcription.rq_job_id]
    assert queueing.get_transcribe_queue().get_job_ids() == []


def test_a_job_whose_model_was_taken_off_the_site_fails_clearly_and_cannot_be_retried(
    owner, hubert_and_tiny_en, offer_models, tiny_model_dir, speech_wav
):
    from transcripts import services

    transcription = queued_transcription(owner, speech_wav, model_name="tiny", requested_language="en")
    offer_models(f"hubert=ctc:{tiny_model_dir}")  # tiny is no longer offered
    run_model_workers("hubert")  # unknown models' jobs are routed to the default queue
    transcription.refresh_from_db()
    assert transcription.status == Status.QUEUED  # it still sits on the old queue: nobody serves it

    with pytest.raises(jobs.ModelNotOffered):  # as a worker of the old queue would run it
        jobs.transcribe(transcription.pk, str(transcription.lease))
    transcription.refresh_from_db()
    assert transcription.status == Status.FAILED
    assert transcription.error == jobs.MODEL_NOT_OFFERED.format(name="tiny")
    with pytest.raises(services.NotRetryable, match="The model tiny is no longer offered here"):
        services.retry(transcription)
