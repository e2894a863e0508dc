"""whisper-asr-webservice's /asr shape, spoken to with plain HTTP the way Bazarr's
Whisper provider does: a base URL with the token in its path, raw 16 kHz PCM
(encode=false), output=srt. Against a live server and a real worker."""

import json
import subprocess

import pytest
import requests
import srt

from tests.support.api_helpers import issue_token, worker_process
from timedtext import formats
from transcripts.models import Transcription

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

Status = Transcription.Status


def raw_pcm(path):
    """What Bazarr sends: ffmpeg's s16le, mono, 16 kHz, no header."""
    command = ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(path),
               "-f", "s16le", "-acodec", "pcm_s16le", "-ac", "1", "-ar", "16000", "-"]
    return subprocess.run(command, check=True, capture_output=True).stdout


@pytest.fixture
def endpoint(live_api, owner):
    """The base URL a person pastes into Bazarr: the token rides in the path."""
    return f"{live_api.url}/t/{issue_token(owner)}"


def asr(endpoint, audio, **params):
    return requests.post(f"{endpoint}/asr", params=params, files={"audio_file": audio}, timeout=120)


def test_bazarr_gets_subtitles_that_agree_with_the_stored_segments(endpoint, owner, short_speech, tiny_model_dir):
    pcm = raw_pcm(short_speech)
    with worker_process(tiny_model_dir):
        detected = requests.post(f"{endpoint}/detect-language", params={"encode": "false"},
                                 files={"audio_file": pcm[: 16000 * 2]}, timeout=30)
        response = asr(endpoint, pcm, task="transcribe", language="en", output="srt", encode="false")
        job = Transcription.objects.get(owner=owner)
        assert response.status_code == 200, response.text
        as_json = asr(endpoint, short_speech.read_bytes(), output="json")
        as_tsv = asr(endpoint, short_speech.read_bytes(), output="tsv")
        as_txt = asr(endpoint, short_speech.read_bytes())  # output defaults to txt

    assert detected.json() == {"detected_language": "english", "language_code": "en"}

    assert job.status == Status.DONE and job.media.duration_s == pytest.approx(len(pcm) / 32000, abs=0.01)
    segments = list(job.segments.all())
    assert segments
    cues = list(srt.parse(response.text))
    assert response.text == formats.to_srt(job.transcript())
    assert cues and " ".join(cue.content.replace("\n", " ") for cue in cues).split() == job.full_text.split()
    assert response.headers["Asr-Engine"] == "speechsite"

    # The WAV of the same audio gives the same transcript as Bazarr's raw PCM.
    body = as_json.json()
    assert body["language"] == "en" and body["text"] == job.full_text
    assert [(item["start"], item["end"], item["text"]) for item in body["segments"]] == [
        (round(s.start_s, 3), round(s.end_s, 3), s.text) for s in segments
    ]
    assert all(word["word"] for item in body["segments"] for word in item["words"])
    rows = [line.split("\t") for line in as_tsv.text.splitlines()]
    assert rows[0] == ["start", "end", "text"]
    assert [(int(start), int(end), text) for start, end, text in rows[1:]] == [
        (round(s.start_s * 1000), round(s.end_s * 1000), s.text) for s in segments
    ]
    assert as_txt.text == formats.to_txt(job.transcript())
    assert Transcription.objects.filter(owner=owner, status=Status.DONE).count() == 4


def test_translation_is_refused(endpoint, short_speech):
    response = asr(endpoint, short_speech.read_bytes(), task="translate", output="srt")
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "task"
    assert not Transcription.objects.exists()


def test_a_language_other_than_english_is_refused(endpoint, short_speech):
    response = asr(endpoint, short_speech.read_bytes(), language="es", output="srt")
    assert response.status_code == 400 and "English only" in response.json()["error"]["message"]
    assert not Transcription.objects.exists()


def test_odd_length_pcm_is_refused(endpoint):
    response = asr(endpoint, b"\x00" * 3201, encode="false")
    assert response.status_code == 400 and response.json()["error"]["param"] == "audio_file"


def test_a_bearer_header_works_too(live_api, owner, short_speech, settings):
    settings.API_WAIT_LIMIT_S = 0.2  # no worker: only the authentication is under test here
    response = requests.post(
        f"{live_api.url}/asr", files={"audio_file": short_speech.read_bytes()},
        headers={"Authorization": f"Bearer {issue_token(owner)}"}, timeout=30,
    )
    assert response.status_code == 504
    assert response.json()["transcription"]["id"] == Transcription.objects.get(owner=owner).pk


def test_a_wrong_token_in_the_path_is_401(live_api, short_speech):
    response = asr(f"{live_api.url}/t/ss_wrong", short_speech.read_bytes())
    assert response.status_code == 401 and json.loads(response.text)["error"]["type"] == "authentication_error"
    assert not Transcription.objects.exists()
