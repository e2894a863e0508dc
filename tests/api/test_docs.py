"""The API examples in README.md work as written: every ```sh and ```python block
is run, with SPEECHSITE_URL and SPEECHSITE_TOKEN set as the first block says,
against a live server and a real worker."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import srt

from tests.support.api_helpers import issue_token, make_short_speech, worker_process
from transcripts.models import Transcription
from workers import webhooks

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

DOCS = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"^```(sh|python)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def code_blocks(language):
    return [code for found_language, code in BLOCK.findall(DOCS.read_text()) if found_language == language]


def is_setup(block):
    """The block that sets the two variables; the test sets them itself."""
    return all(line.startswith("export ") for line in block.strip().splitlines())


def test_the_shell_and_python_examples_run(live_api, owner, tiny_model_dir, tmp_path):
    make_short_speech(tmp_path / "audio").rename(tmp_path / "talk.wav")
    environment = {**os.environ, "SPEECHSITE_URL": live_api.url, "SPEECHSITE_TOKEN": issue_token(owner)}
    shell_blocks = code_blocks("sh")
    assert is_setup(shell_blocks[0]) and "SPEECHSITE_TOKEN" in shell_blocks[0]
    python_blocks = [block for block in code_blocks("python") if "OpenAI(" in block]
    assert len(shell_blocks) == 4 and len(python_blocks) == 1

    outputs = []
    with worker_process(tiny_model_dir):
        for block in shell_blocks[1:]:
            run = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=tmp_path, env=environment,
                                 capture_output=True, text=True, timeout=180)
            assert run.returncode == 0, block + run.stdout + run.stderr
            outputs.append(run.stdout)
            cues = list(srt.parse((tmp_path / "talk.srt").read_text()))
            assert cues, block
            (tmp_path / "talk.srt").unlink()
        run = subprocess.run([sys.executable, "-c", python_blocks[0]], cwd=tmp_path, env=environment,
                             capture_output=True, text=True, timeout=180)
        assert run.returncode == 0, run.stdout + run.stderr
        outputs.append(run.stdout)

    assert outputs[2].strip() == "done"  # the async example's poll loop
    transcriptions = Transcription.objects.filter(owner=owner)
    assert transcriptions.count() == 4
    assert set(transcriptions.values_list("status", flat=True)) == {Transcription.Status.DONE}
    text, *word_lines = outputs[3].splitlines()
    assert text == transcriptions.latest("created_at").full_text
    assert [line.split()[2] for line in word_lines] == text.split()


def test_the_webhook_verification_example_accepts_our_signature_only():
    [block] = [block for block in code_blocks("python") if "def is_from_speechsite" in block]
    namespace = {}
    exec(block, namespace)
    body = b'{"event":"transcription.done"}'
    signature = webhooks.signature("whsec_secret", body)  # what the worker sends
    assert namespace["is_from_speechsite"]("whsec_secret", body, signature)
    assert not namespace["is_from_speechsite"]("whsec_other", body, signature)
    assert not namespace["is_from_speechsite"]("whsec_secret", body + b" ", signature)
