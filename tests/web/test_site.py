"""What holds for the whole site: page furniture, the admin, and a web process
that never loads the speech stack."""

import os

import pytest
from django.urls import reverse

from tests.support.web_factory import (
    make_transcription,
    queued_job_ids,
)
from transcripts.models import Transcription

# Transactions as in production: django-rq enqueues on commit, so a test
# wrapped in one transaction would never see its jobs on the queue.
pytestmark = pytest.mark.django_db(transaction=True)

Status = Transcription.Status


def test_pages_have_titles_stylesheet_and_favicon(signed_in):
    page = signed_in.get(reverse("transcripts:new")).content.decode()
    assert "<title>New transcription · speechsite</title>" in page
    assert "css/site.css" in page and "favicon.svg" in page


def test_admin_lists_jobs_retries_and_links_to_the_queue_dashboard(client, owner, django_user_model):
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
        {"action": "retry", "_selected_action": [failed.pk]},
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


def test_admin_retry_follows_the_owners_limit_of_unfinished_jobs(client, owner, django_user_model, settings):
    """The admin's action is the Retry button's rule, not a way around it."""
    settings.MAX_UNFINISHED_JOBS_PER_USER = 1
    client.force_login(django_user_model.objects.create_superuser("admin", "admin@example.com", "admin-pass-123456"))
    make_transcription(owner, status=Status.RUNNING)
    failed = make_transcription(owner, status=Status.FAILED, texts=[])
    response = client.post(
        reverse("admin:transcripts_transcription_changelist"),
        {"action": "retry", "_selected_action": [failed.pk]},
        follow=True,
    )
    assert f"Not retried: #{failed.pk}: You already have 1 transcriptions waiting or running" in response.content.decode()
    failed.refresh_from_db()
    assert failed.status == Status.FAILED and queued_job_ids() == []


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
        "import speechsite.urls, transcripts.views.jobs, transcripts.views.new, transcripts.services, transcripts.admin;"
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
