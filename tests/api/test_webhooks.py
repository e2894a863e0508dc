"""Webhooks: one signed POST per finished job (done or failed), sent by the
worker; targets pass the address check of URL ingestion when the job is created
and again when the worker connects, and redirects are not followed.

Jobs run through the real queue in a burst worker in this process, so that the
worker sees the test's URL_ALLOWED_HOSTS."""

import json

import django_rq
import pytest
from django.urls import reverse
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry

from tests.support.api_helpers import bearer
from transcripts.models import Transcription, WebhookSecret
from workers.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature_matches,
)

pytestmark = pytest.mark.django_db(transaction=True)

Status = Transcription.Status


def create_job(client, token, audio_path, webhook_url):
    with open(audio_path, "rb") as audio:
        return client.post(
            reverse("api:transcription-list"), {"file": audio, "webhook_url": webhook_url}, headers=bearer(token)
        )


def break_stored_file(transcription):
    with transcription.media.file.open("wb") as stored:
        stored.write(b"no longer audio" * 100)


def test_each_finished_job_gets_one_signed_post(client, settings, owner, token, short_speech, tiny_model,
                                                burst_worker, receivers):
    receiver = receivers()
    settings.URL_ALLOWED_HOSTS = ["127.0.0.1"]  # the receiver is local; only this test allows it
    done_job = create_job(client, token, short_speech, receiver.url("/done")).json()
    failing_job = create_job(client, token, short_speech, receiver.url("/failed")).json()
    break_stored_file(Transcription.objects.get(pk=failing_job["id"]))

    burst_worker()

    statuses = dict(Transcription.objects.values_list("pk", "status"))
    assert statuses == {done_job["id"]: Status.DONE, failing_job["id"]: Status.FAILED}
    secret = WebhookSecret.objects.get(owner=owner).secret
    deliveries = sorted(receiver.received(), key=lambda delivery: delivery.path)
    assert [delivery.path for delivery in deliveries] == ["/done", "/failed"]
    for delivery, job, status in zip(deliveries, (done_job, failing_job), ("done", "failed")):
        assert signature_matches(secret, delivery.body, delivery.headers[SIGNATURE_HEADER])
        assert not signature_matches("whsec_another", delivery.body, delivery.headers[SIGNATURE_HEADER])
        body = json.loads(delivery.body)
        assert body["event"] == delivery.headers[EVENT_HEADER] == f"transcription.{status}"
        assert str(body["timestamp"]) == delivery.headers[TIMESTAMP_HEADER]
        assert body["delivery"] == delivery.headers[DELIVERY_HEADER]
        assert body["transcription"]["id"] == job["id"] and body["transcription"]["status"] == status
        assert body["transcription"]["url"].endswith(f"/api/transcriptions/{job['id']}")
        assert delivery.headers["Content-Type"] == "application/json"
    assert "could not read" in json.loads(deliveries[1].body)["transcription"]["error"]

    burst_worker()  # nothing left to send: one delivery per finished job
    assert len(receiver.received()) == 2


def test_private_webhook_targets_are_refused_when_the_job_is_created(client, settings, token, short_speech,
                                                                     receivers):
    receiver = receivers()
    settings.URL_ALLOWED_HOSTS = []
    for url in (receiver.url(), "http://10.0.0.1/hook", "http://169.254.169.254/latest/meta-data/",
                "http://[::1]/hook", "http://localhost:8080/hook"):
        response = create_job(client, token, short_speech, url)
        assert response.status_code == 400, url
        error = response.json()["error"]
        assert error["param"] == "webhook_url" and "private or local" in error["message"]
    assert not Transcription.objects.exists()
    assert receiver.received() == []


def test_a_target_that_became_private_is_refused_when_the_worker_sends(client, settings, token, short_speech,
                                                                       tiny_model, burst_worker, receivers):
    receiver = receivers()
    settings.URL_ALLOWED_HOSTS = ["127.0.0.1"]
    job = create_job(client, token, short_speech, receiver.url())
    assert job.status_code == 202
    settings.URL_ALLOWED_HOSTS = []  # as if the name now resolved to a private address

    burst_worker()

    assert Transcription.objects.get().status == Status.DONE
    assert receiver.received() == []
    queue = django_rq.get_queue("transcribe")
    finished = [Job.fetch(job_id, connection=queue.connection) for job_id in queue.finished_job_registry.get_job_ids()]
    [delivery_job] = [job for job in finished if job.func_name == "workers.webhooks.deliver"]
    assert delivery_job.return_value().startswith("refused: Refused to connect to 127.0.0.1")
    assert ScheduledJobRegistry(queue=queue).get_job_ids() == []  # final, not retried


def test_a_redirect_to_a_private_address_is_not_followed(client, settings, token, short_speech, tiny_model,
                                                         burst_worker, receivers):
    target = receivers(host="127.0.0.1")
    redirector = receivers(host="127.0.0.2", redirect_to=target.url())
    settings.URL_ALLOWED_HOSTS = ["127.0.0.2"]  # the redirector only; its target stays private
    assert create_job(client, token, short_speech, redirector.url()).status_code == 202

    burst_worker()

    assert Transcription.objects.get().status == Status.DONE
    assert len(redirector.received()) == 1
    assert target.received() == []


def test_a_failed_delivery_is_retried_later_and_the_job_stays_done(client, settings, token, short_speech,
                                                                   tiny_model, burst_worker, receivers):
    receiver = receivers(status=500)
    settings.URL_ALLOWED_HOSTS = ["127.0.0.1"]
    create_job(client, token, short_speech, receiver.url())

    burst_worker()

    assert Transcription.objects.get().status == Status.DONE
    assert len(receiver.received()) == 1
    queue = django_rq.get_queue("transcribe")
    [retry_id] = ScheduledJobRegistry(queue=queue).get_job_ids()
    delivery_job = Job.fetch(retry_id, connection=queue.connection)
    assert delivery_job.func_name == "workers.webhooks.deliver"
    assert delivery_job.get_status() == JobStatus.SCHEDULED and delivery_job.retries_left == 2


def test_a_job_without_a_webhook_sends_nothing(client, token, short_speech, tiny_model, burst_worker):
    with open(short_speech, "rb") as audio:
        client.post(reverse("api:transcription-list"), {"file": audio}, headers=bearer(token))
    burst_worker()
    queue = django_rq.get_queue("transcribe")
    assert Transcription.objects.get().status == Status.DONE
    assert queue.get_job_ids() == [] and ScheduledJobRegistry(queue=queue).get_job_ids() == []
    assert queue.finished_job_registry.get_job_ids() == [Transcription.objects.get().rq_job_id]
