"""Workers without a shared disk: a job copies its media from the bucket into a
folder of its own (bounded, checked against the upload's sha256) and removes it
afterwards; folders that dead workers left are removed by the next job."""

import hashlib
import os
import subprocess

import pytest

from tests.support.jobs_factory import queued_transcription
from tests.support.s3 import object_keys
from transcripts.models import Media, Transcription
from workers import jobs
from workers.media_copy import OWNER_FILE, job_folder

Status = Transcription.Status


@pytest.fixture
def job_root(settings, tmp_path):
    settings.WORKER_TEMP_DIR = str(tmp_path / "worker-tmp")
    return tmp_path / "worker-tmp" / "speechsite-jobs"


def job_folders(root):
    return sorted(path.name for path in root.iterdir()) if root.exists() else []


@pytest.mark.django_db(transaction=True)
def test_a_job_reads_its_media_from_the_bucket_and_leaves_no_copy(
    media_in_bucket, owner, speech_wav, tiny_model, burst_worker, job_root, media_root, caplog
):
    storage = media_in_bucket()
    transcription = queued_transcription(owner, speech_wav, duration_s=12.0)
    Media.objects.filter(pk=transcription.media_id).update(sha256=hashlib.sha256(speech_wav.read_bytes()).hexdigest())
    assert object_keys(storage) == [f"{storage.location}/{transcription.media.file.name}"]

    with caplog.at_level("INFO", logger="workers.media_copy"):
        burst_worker()

    transcription.refresh_from_db()
    assert transcription.status == Status.DONE, transcription.error_detail
    assert transcription.segments.exists()
    assert transcription.worker.endswith(f":{os.getpid()}")
    assert f"sha256 {hashlib.sha256(speech_wav.read_bytes()).hexdigest()}" in caplog.text
    assert job_folders(job_root) == []
    assert not media_root.exists() or list(media_root.rglob("*.*")) == []


@pytest.mark.django_db(transaction=True)
def test_media_larger_than_the_worker_may_hold_fails_the_job_clearly(
    media_in_bucket, settings, owner, speech_wav, tiny_model, burst_worker, job_root
):
    media_in_bucket()
    settings.WORKER_TEMP_MAX_BYTES = 1000
    transcription = queued_transcription(owner, speech_wav, duration_s=12.0)

    burst_worker()

    transcription.refresh_from_db()
    assert transcription.status == Status.FAILED
    assert transcription.error == jobs.MEDIA_UNAVAILABLE
    assert "of the 1000 bytes WORKER_TEMP_MAX_BYTES allows" in transcription.error_detail
    assert job_folders(job_root) == []


@pytest.mark.django_db(transaction=True)
def test_a_copy_that_differs_from_the_upload_is_not_transcribed(
    media_in_bucket, owner, speech_wav, tiny_model, burst_worker, job_root
):
    media_in_bucket()
    transcription = queued_transcription(owner, speech_wav, duration_s=12.0)
    Media.objects.filter(pk=transcription.media_id).update(sha256="0" * 64)

    burst_worker()

    transcription.refresh_from_db()
    assert transcription.status == Status.FAILED and transcription.error == jobs.MEDIA_UNAVAILABLE
    assert f"not {'0' * 64} as uploaded" in transcription.error_detail
    assert not transcription.segments.exists()


def test_folders_of_dead_workers_on_this_host_are_removed_by_the_next_job(job_root):
    dead = subprocess.Popen(["true"])
    dead.wait()
    job_root.mkdir(parents=True)
    job_root.joinpath("job-abandoned").mkdir()
    (job_root / "job-abandoned" / OWNER_FILE).write_text(f"{os.uname().nodename} {dead.pid}")
    (job_root / "job-abandoned" / "media.wav").write_bytes(b"x" * 1000)
    job_root.joinpath("job-running").mkdir()  # another worker process of this host (pid 1 lives)
    (job_root / "job-running" / OWNER_FILE).write_text(f"{os.uname().nodename} 1")
    job_root.joinpath("job-other-host").mkdir()
    (job_root / "job-other-host" / OWNER_FILE).write_text(f"another-host {dead.pid}")

    with job_folder() as current:
        assert job_folders(job_root) == sorted([current.name, "job-other-host", "job-running"])
    assert job_folders(job_root) == ["job-other-host", "job-running"]
