"""Readable transcripts in headless Debian chromium (Playwright) against a live
server and a real worker process with the tiny speech and punctuation models:
segments and the time left appear while a multi-chunk job runs, the readable /
as-heard switch, and an edit that shows in every download."""

import json
import re

import pytest
import srt
import webvtt
from playwright.sync_api import expect, sync_playwright

from testkit.speech import SENTENCES, make_speech
from tests.support import browser
from tests.support.worker_process import start_stalling_worker, stop_worker
from tests.web.test_browser import in_thread, sign_up, site_server  # noqa: F401 (a fixture)
from transcripts.models import Segment, Transcription

# Slow, and what it adds on the database (heard words, notes) is covered on both
# databases by tests/jobs/test_readable.py: run once.
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.once, pytest.mark.django_db(transaction=True)]

EDITED_TEXT = "Zebra crossing, corrected."


@pytest.fixture(scope="module")
def speech_6(tmp_path_factory):
    path, _, _ = make_speech(tmp_path_factory.mktemp("speech-6"), SENTENCES[:6], pause_s=1.5)
    return path


def job_view(page):
    return browser.page_value(
        page,
        """() => ({
            status: document.getElementById('job-status')?.textContent ?? null,
            stage: document.getElementById('job-stage')?.textContent ?? '',
            eta: document.getElementById('job-eta')?.textContent ?? '',
            segments: document.querySelectorAll('#segments .segment').length,
        })""",
    )


def watch_until_done(page, timeout_s=120):
    """(most segments shown while chunks were still being transcribed, whether a
    time left was shown then), until the finished page shows."""
    most_segments, saw_eta = 0, False
    for _ in range(int(timeout_s / 0.2)):
        view = job_view(page)
        if view:
            part = re.search(r"part \d+ of (\d+)", view["stage"])
            if view["status"] == "Running" and part and view["segments"] < int(part.group(1)):
                most_segments = max(most_segments, view["segments"])
                saw_eta = saw_eta or "left" in view["eta"]
            if view["status"] == "Done" and page.locator("#show-heard").count():
                return most_segments, saw_eta
            assert view["status"] not in ("Failed", "Canceled"), page.inner_text("#job")
        page.wait_for_timeout(200)
    raise AssertionError(f"the job did not finish in {timeout_s} s")


def texts(page):
    return page.locator("#segments .segment .text").all_inner_texts()


def downloaded(page, label):
    with page.expect_download() as download_info:
        page.click(f".downloads a:text-is('{label}')")
    with open(download_info.value.path(), encoding="utf-8") as handle:
        return handle.read()


def test_watch_a_readable_job_switch_to_what_was_heard_and_download_an_edit(
    site_server, tiny_model_dir, tiny_punctuation_dir, speech_6, media_root  # noqa: F811
):
    base_url = site_server.url
    worker = None
    with sync_playwright() as playwright:
        chromium = browser.launch_chromium(playwright)
        try:
            page = chromium.new_context(viewport=browser.DESKTOP, accept_downloads=True).new_page()
            sign_up(page, base_url, "reader")
            page.set_input_files("input[name=file]", str(speech_6))
            page.fill("input[name=speaker_count]", "off")  # speakers: tests/web/test_browser_speakers.py
            page.fill("input[name=title]", "Readable talk")
            expect(page.locator("input[name=numbers]")).to_be_checked()
            page.click("form.upload-form button[type=submit]")
            expect(page.locator("#job-status")).to_have_text("Queued")
            transcription_id = int(re.search(r"/t/(\d+)/", page.url).group(1))

            # The worker's memory budget would take every chunk in one forward;
            # the chunks still reach the page as they finish.
            worker = start_stalling_worker(
                tiny_model_dir, stall_after_batch_s=2.0, SPLIT_MIN_SPACE_S=3, SPLIT_MAX_SPACE_S=6,
                PUNCTUATION_MODEL=tiny_punctuation_dir,
            )
            most_segments, saw_eta = watch_until_done(page)
            assert most_segments >= 1, "no segment appeared while other chunks were being transcribed"
            assert saw_eta, "no estimate of the time left while chunks were being transcribed"

            rows = in_thread(lambda: list(Segment.objects.filter(transcription_id=transcription_id)))
            readable = [row.text for row in rows]
            heard = [row.heard_text for row in rows]
            assert texts(page) == readable and readable != heard
            assert readable[0][0].isupper() and readable[-1][-1] in ".?!"

            # What the model heard, in the same segments; edits are for the readable text.
            page.click("#show-heard")
            expect(page.locator("#segments .segment .text").first).to_have_text(heard[0])
            assert texts(page) == heard
            expect(page.locator("#segments .segment .edit-link").first).to_be_hidden()
            expect(page.locator("#show-heard")).to_have_attribute("aria-pressed", "true")
            page.click("#show-readable")
            expect(page.locator("#segments .segment .text").first).to_have_text(readable[0])
            assert texts(page) == readable

            # Correct the first segment in place: every download carries it.
            first = page.locator("#segments .segment").first
            first.locator(".edit-link").click()
            first.locator("textarea").fill(EDITED_TEXT)
            first.locator("button[type=submit]").click()
            expect(first.locator(".text")).to_have_text(EDITED_TEXT)
            page.reload()
            plain = " ".join(downloaded(page, ".txt").split())
            cues = " ".join(" ".join(cue.content.split()) for cue in srt.parse(downloaded(page, ".srt")))
            captions = " ".join(" ".join(c.text.split()) for c in webvtt.from_string(downloaded(page, ".vtt")).captions)
            document = json.loads(downloaded(page, ".json"))
            for rendered in (plain, cues, captions, document["text"]):
                assert rendered.startswith(EDITED_TEXT), rendered[:80]
            assert document["segments"][0]["text"] == EDITED_TEXT and document["segments"][0]["edited"] is True
            browser.screenshot(page, "transcript-readable-desktop", full_page=False)
        finally:
            chromium.close()
            if worker is not None:
                output = stop_worker(worker)
                assert worker.returncode == 0, output

    transcription = Transcription.objects.get(pk=transcription_id)
    assert transcription.notes == []
    first_row = Segment.objects.get(transcription=transcription, index=0)
    assert first_row.text == EDITED_TEXT and first_row.heard_text == heard[0]
