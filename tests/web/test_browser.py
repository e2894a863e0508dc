"""The site in headless Debian chromium (Playwright) against a live server and
a real worker process: sign up, upload, watch the progress, play from a
segment, correct it, download the subtitles, search, and stay private."""

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import srt
from django.db import connections
from django.test import override_settings
from playwright.sync_api import expect, sync_playwright

from testkit.speech import SENTENCES, make_speech
from tests.support import browser
from tests.support.web_factory import make_transcription
from tests.support.worker_process import start_stalling_worker, stop_worker
from transcripts.models import Segment, Transcription

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-browser-password-42"
EDITED_TEXT = "zebra crossing corrected"
POLL_MS = 1500  # static/js/transcript.js


@pytest.fixture(scope="module")
def speech_20s(tmp_path_factory):
    """About 20 s of speech: six sentences with 1.5 s pauses, enough for three or
    more segments with 3–6 s chunks."""
    path, _, _ = make_speech(tmp_path_factory.mktemp("speech-20s"), SENTENCES[:6], pause_s=1.5)
    return path


@pytest.fixture(scope="module")
def site_server():
    """A live server for this module. Django's test server wraps the site in a
    handler for MEDIA_URL that breaks when MEDIA_URL is None (media has no public
    URL here), so it gets a path nothing links to while it starts."""
    from pytest_django.live_server_helper import LiveServer

    with override_settings(MEDIA_URL="/test-server-media-not-linked/"):
        server = LiveServer("localhost")
    yield server
    server.stop()


def sign_up(page, base_url, username):
    page.goto(f"{base_url}/accounts/signup/")
    page.fill("input[name=username]", username)
    page.fill("input[name=email]", f"{username}@example.com")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.click("form.card button[type=submit]")
    expect(page).to_have_url(f"{base_url}/new/")


def sign_in(page, base_url, username, password):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form.card button[type=submit]")
    expect(page).to_have_url(f"{base_url}/")


def in_thread(function, *args):
    """An ORM call while Playwright's event loop runs in this thread, where
    Django refuses it: made from another thread, which closes its connection."""

    def run():
        try:
            return function(*args)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def percent_and_status(page):
    return browser.page_value(
        page,
        """() => ({
            percent: document.getElementById('job-percent')?.textContent ?? null,
            status: document.getElementById('job-status')?.textContent ?? null,
            segments: document.querySelectorAll('#segments .segment').length,
        })""",
    )


def watch_job_until_done(page, timeout_s=120):
    """(percentages the page showed, in order; most segments it showed while the
    job was running), until it shows the finished job."""
    seen, segments_while_running = [], 0
    for _ in range(int(timeout_s / 0.2)):
        state = percent_and_status(page)
        if state:
            if state["percent"] and (not seen or seen[-1] != state["percent"]):
                seen.append(state["percent"])
            if state["status"] == "Running":
                segments_while_running = max(segments_while_running, state["segments"])
            if state["status"] == "Done" and state["percent"] is None:
                return seen, segments_while_running
            assert state["status"] not in ("Failed", "Canceled"), page.inner_text("#job")
        page.wait_for_timeout(200)
    raise AssertionError(f"the job did not finish in {timeout_s} s; seen {seen}")


def farthest_word(page):
    """The screen position and start time of the word that starts furthest into
    its segment (so that a word seek and a segment seek differ by a second or more)."""
    return page.evaluate(
        """async () => {
            const data = await (await fetch(document.getElementById('segments').dataset.segmentsUrl)).json();
            let best = null;
            for (const item of data.segments) {
                item.words.forEach((word, index) => {
                    const into = word.start - item.start;
                    if (!best || into > best.into) best = { index: item.index, word: index, into, start: word.start };
                });
            }
            const text = document.querySelector(`#segment-${best.index} .text`).firstChild;
            const tokens = [...text.textContent.matchAll(/\\S+/g)];
            const range = document.createRange();
            range.setStart(text, tokens[best.word].index);
            range.setEnd(text, tokens[best.word].index + tokens[best.word][0].length);
            range.startContainer.parentElement.scrollIntoView({ block: 'center' });
            const rect = range.getBoundingClientRect();
            return { x: rect.left + rect.width / 2, y: rect.top + rect.height / 2, start: best.start, into: best.into };
        }"""
    )


def current_time(page):
    return page.evaluate("() => document.getElementById('player').currentTime")


def test_sign_up_upload_follow_correct_download_and_stay_private(site_server, tiny_model_dir, speech_20s, media_root):
    base_url = site_server.url
    worker = None
    with sync_playwright() as playwright:
        chromium = browser.launch_chromium(playwright)
        try:
            context = chromium.new_context(viewport=browser.DESKTOP, accept_downloads=True)
            page = context.new_page()

            # Sign up and upload.
            sign_up(page, base_url, "alice")
            page.set_input_files("input[name=file]", str(speech_20s))
            page.fill("input[name=speaker_count]", "off")  # speakers: tests/web/test_browser_speakers.py
            page.fill("input[name=title]", "Browser talk")
            page.click("form.upload-form button[type=submit]")
            expect(page.locator("#job-status")).to_have_text("Queued")
            expect(page.locator(".messages")).to_contain_text("in the queue")
            job_url = page.url
            transcription_id = int(re.search(r"/t/(\d+)/", job_url).group(1))

            # A real worker transcribes it, pausing after each chunk; the page
            # follows without a reload by anyone.
            worker = start_stalling_worker(
                tiny_model_dir, stall_after_batch_s=1.0,
                SPLIT_MIN_SPACE_S=3, SPLIT_MAX_SPACE_S=6, STT_CPU_BATCH_MB=0.01,
            )
            seen, segments_while_running = watch_job_until_done(page)
            numbers = [int(text.rstrip("%")) for text in seen]
            assert numbers == sorted(numbers), seen
            assert len({n for n in numbers if 0 < n < 100}) >= 2, f"progress did not visibly advance: {seen}"
            segments = page.locator("#segments .segment")
            assert segments.count() >= 3
            assert segments_while_running >= 1, "no segment appeared before the job finished"
            assert page.url == job_url

            # Click the third segment's time: the player seeks there.
            third = segments.nth(2)
            start_s = float(third.get_attribute("data-start"))
            assert start_s > 1.0
            third.locator(".time").click()
            page.wait_for_function(
                "(start) => Math.abs(document.getElementById('player').currentTime - start) < 1.5", arg=start_s
            )
            assert start_s - 0.05 <= current_time(page) <= start_s + 1.5
            expect(third).to_have_class(re.compile(r"\bcurrent\b"))

            # Click a word: the player seeks to that word, not to its segment.
            word = farthest_word(page)
            assert word["into"] >= 1.0, word
            page.mouse.click(word["x"], word["y"])
            page.wait_for_function(
                "(start) => Math.abs(document.getElementById('player').currentTime - start) < 0.6", arg=word["start"]
            )

            # Keyboard: space pauses, → skips 5 s.
            page.locator("body").click(position={"x": 5, "y": 5})
            page.keyboard.press("Space")
            page.wait_for_function("() => document.getElementById('player').paused")
            before_s = current_time(page)
            page.keyboard.press("ArrowRight")
            page.wait_for_function(
                "(before) => document.getElementById('player').currentTime >= before + 4.9", arg=before_s
            )

            # Correct the second segment in place; it survives a reload.
            second = segments.nth(1)
            second.locator(".edit-link").click()
            second.locator("textarea").fill(EDITED_TEXT)
            second.locator("button[type=submit]").click()
            expect(second.locator(".text")).to_have_text(EDITED_TEXT)
            page.reload()
            expect(page.locator("#segments .segment").nth(1).locator(".text")).to_have_text(EDITED_TEXT)
            expect(page.locator("#segments .segment").nth(1)).to_have_class(re.compile(r"\bedited\b"))

            # The .srt download carries the correction.
            with page.expect_download() as download_info:
                page.click("text=.srt")
            download = download_info.value
            assert download.suggested_filename == "browser-talk.srt"
            with open(download.path(), encoding="utf-8") as handle:
                cues = list(srt.parse(handle.read()))
            assert EDITED_TEXT in " ".join(" ".join(cue.content.split()) for cue in cues)

            # Search finds the corrected word.
            page.goto(f"{base_url}/?q=zebra")
            expect(page.locator(".hits")).to_contain_text("Browser talk")
            expect(page.locator(".hits mark")).to_have_text("zebra")
            page.goto(f"{base_url}/")
            browser.screenshot(page, "history-desktop")

            # Phone width.
            page.set_viewport_size(browser.PHONE)
            browser.screenshot(page, "history-phone")
            page.goto(f"{base_url}/new/")
            browser.screenshot(page, "upload-phone")
            # The transcript page's screenshots show real speech: test_browser_whisper.py.

            # A second user sees none of it.
            stranger = chromium.new_context(viewport=browser.DESKTOP).new_page()
            sign_up(stranger, base_url, "mallory")
            for path in ("", "status.json", "segments.json", "media", "download/srt", "download/json", "delete/"):
                response = stranger.goto(f"{job_url}{path}")
                assert response.status == 404, f"{job_url}{path} answered {response.status}"
            stranger.goto(f"{base_url}/?q=zebra")
            expect(stranger.locator("main")).not_to_contain_text("Browser talk")
            stranger.goto(f"{base_url}/")
            expect(stranger.locator("main")).to_contain_text("No transcripts yet")
        finally:
            chromium.close()
            if worker is not None:
                output = stop_worker(worker)
                assert worker.returncode == 0, output

    transcription = Transcription.objects.get(pk=transcription_id)
    assert transcription.status == Transcription.Status.DONE and transcription.title == "Browser talk"
    edited = Segment.objects.get(transcription=transcription, index=1)
    assert edited.text == EDITED_TEXT and edited.original_text != EDITED_TEXT


def test_job_page_keyboard_edit_refusals_and_a_job_deleted_elsewhere(site_server, owner, password):
    done = make_transcription(owner, title="Finished talk", texts=("first words", "second words"))
    running = make_transcription(owner, title="Running talk", status=Transcription.Status.RUNNING, texts=("partial",))
    base_url = site_server.url
    with sync_playwright() as playwright:
        chromium = browser.launch_chromium(playwright)
        try:
            context = chromium.new_context(viewport=browser.DESKTOP)
            page = context.new_page()
            sign_in(page, base_url, owner.username, password)

            # A running job's segments are replaced when it ends: no edit links yet.
            status_requests = []
            page.on("request", lambda request: "status.json" in request.url and status_requests.append(request.url))
            page.goto(base_url + running.get_absolute_url())
            expect(page.locator("#segment-0 .text")).to_have_text("partial")
            expect(page.locator("#segment-0 .edit-link")).to_be_hidden()

            # Deleted in another tab: the page says so and stops asking.
            other_tab = context.new_page()
            other_tab.goto(base_url + running.get_absolute_url() + "delete/")
            other_tab.click("form.actions button.danger")
            expect(page.locator("#job-stage")).to_contain_text("no longer exists")
            polls_seen = len(status_requests)
            page.wait_for_timeout(2 * POLL_MS + 500)
            assert len(status_requests) == polls_seen

            # Keys pressed on a focused control are the control's: Space opens
            # "Rename" and leaves the player alone.
            page.goto(base_url + done.get_absolute_url())
            page.locator("details.edit-title summary").focus()
            page.keyboard.press("Space")
            expect(page.locator("details.edit-title")).to_have_attribute("open", "")
            assert page.evaluate("() => document.getElementById('player').paused")

            # A refused save shows the server's reason beside the segment.
            page.locator("#segment-0 .edit-link").click()
            in_thread(lambda: Transcription.objects.filter(pk=done.pk).update(status=Transcription.Status.RUNNING))
            page.locator("#segment-0 textarea").fill("an edit the job would overwrite")
            page.locator("#segment-0 button[type=submit]").click()
            expect(page.locator("#segment-0 .editor-error")).to_have_text(
                "Segments can be edited once the transcription has finished."
            )
        finally:
            chromium.close()

    assert not Transcription.objects.filter(pk=running.pk).exists()
    assert Segment.objects.get(transcription=done, index=0).text == "first words"


def test_a_search_hit_opens_its_transcript_playing_from_the_words(site_server, owner, password):
    from tests.support.web_factory import add_segments, make_media, wav_bytes

    media = make_media(owner, content=wav_bytes(duration_s=40.0))
    transcription = Transcription.objects.create(
        owner=owner, media=media, title="Fruit talk", status=Transcription.Status.DONE, model_name="tiny", duration_s=40.0
    )
    texts = [f"segment number {number} about apples" for number in range(12)]
    texts[7] = "here the <b>pineapple</b> arrives"
    add_segments(transcription, texts, segment_s=3.0)
    start_s = Segment.objects.get(transcription=transcription, index=7).start_s
    base_url = site_server.url
    with sync_playwright() as playwright:
        chromium = browser.launch_chromium(playwright)
        try:
            page = chromium.new_context(viewport=browser.DESKTOP).new_page()
            sign_in(page, base_url, owner.username, password)
            page.fill("input[name=q]", "Pineapple")
            page.press("input[name=q]", "Enter")
            hit = page.locator(".hit")
            expect(hit).to_have_count(1)
            expect(hit.locator(".snippet mark")).to_have_text("pineapple")
            expect(hit.locator(".snippet")).to_contain_text("<b>pineapple</b>")  # shown as text, not markup
            browser.screenshot(page, "search-desktop")
            hit.locator("a.hit-link").click()
            expect(page).to_have_url(re.compile(rf"/t/{transcription.pk}/#t=21\.00$"))
            page.wait_for_function(
                "(start) => { const p = document.getElementById('player');"
                " return !p.paused && p.currentTime >= start && p.currentTime < start + 3; }",
                arg=start_s,
            )
            expect(page.locator("#segment-7")).to_have_class(re.compile(r"\bcurrent\b"))
        finally:
            chromium.close()
