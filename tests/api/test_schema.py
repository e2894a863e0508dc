"""The served OpenAPI schema, checked against the live API with schemathesis:
generated requests (a bounded number per operation) never get a 500, and every
response matches the schema: status codes, content types, headers and bodies."""

import subprocess
import sys
from pathlib import Path

import pytest
import schemathesis

from tests.support.api_helpers import bearer, issue_token
from tests.support.web_factory import make_transcription
from timedtext.formats import DOWNLOADS
from transcripts.models import Transcription

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ST = Path(sys.executable).parent / "st"
EXAMPLES_PER_OPERATION = 10


def test_generated_requests_get_no_500_and_conforming_responses(live_api, owner):
    make_transcription(owner, title="Something to find", texts=("hello there", "general kenobi"))
    command = [
        str(ST), "run", f"{live_api.url}/api/schema/",
        "--header", f"Authorization: Bearer {issue_token(owner)}",
        "--checks", "all",
        # Schema-valid is not always acceptable: a string is a valid "binary"
        # file but not audio, and a well-formed webhook URL may not resolve.
        "--exclude-checks", "positive_data_acceptance",
        "--max-examples", str(EXAMPLES_PER_OPERATION),
        "--seed", "20261125",
        "--workers", "1",
        "--request-timeout", "30",
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
    assert "13/13" in run.stdout  # every operation in the schema was tested


def test_responses_for_an_existing_job_match_the_schema(live_api, owner, stranger, settings, tiny_summarizer_dir):
    settings.SUMMARY_MODEL = str(tiny_summarizer_dir)
    transcription = make_transcription(owner, title="A talk", texts=("hello there", "general kenobi"))
    headers = bearer(issue_token(owner))
    schema = schemathesis.openapi.from_url(f"{live_api.url}/api/schema/", headers=headers)
    pk = {"id": transcription.pk}

    def call(path, method, expected_status, **parts):
        response = schema[path][method].Case(**parts).call_and_validate(headers=headers)
        assert response.status_code == expected_status, (method, path, response.text)
        return response

    listed = call("/api/transcriptions", "GET", 200, query={"status": "done", "search": "kenobi"}).json()
    assert [item["id"] for item in listed["results"]] == [transcription.pk]
    call("/api/transcriptions/{id}", "GET", 200, path_parameters=pk)
    segments = call("/api/transcriptions/{id}/segments", "GET", 200, path_parameters=pk).json()
    assert [segment["text"] for segment in segments] == ["hello there", "general kenobi"]
    for fmt in DOWNLOADS:
        call("/api/transcriptions/{id}/download.{fmt}", "GET", 200, path_parameters={**pk, "fmt": fmt})
    call("/api/transcriptions/{id}/cancel", "POST", 409, path_parameters=pk)
    call("/api/transcriptions/{id}/retry", "POST", 409, path_parameters=pk)
    call("/api/transcriptions/{id}/summary", "POST", 202, path_parameters=pk)
    call("/api/transcriptions/{id}/summary", "POST", 409, path_parameters=pk)
    failed = make_transcription(owner, status=Transcription.Status.FAILED, texts=())
    call("/api/transcriptions/{id}/retry", "POST", 202, path_parameters={"id": failed.pk})
    call("/api/transcriptions/{id}/cancel", "POST", 200, path_parameters={"id": failed.pk})
    call("/v1/models", "GET", 200)

    stranger_headers = bearer(issue_token(stranger))
    response = schema["/api/transcriptions/{id}"]["GET"].Case(path_parameters=pk).call_and_validate(
        headers=stranger_headers
    )
    assert response.status_code == 404

    call("/api/transcriptions/{id}", "DELETE", 204, path_parameters=pk)
    assert not Transcription.objects.filter(pk=transcription.pk).exists()
