"""Real speech on the real page: a person picks Whisper tiny.en (the packaged
weights) in the form, a worker process that serves only that model transcribes
a recording of the eight real utterances (seven LibriSpeech readers and JFK),
and the page plays it word by word. Its screenshots are the README's upload
and transcript pages."""


import pytest
from django.test import override_settings
from playwright.sync_api import expect, sync_playwright

from testkit.real_speech import join_with_pauses, write_wav
from tests.support import browser
from tests.support.worker_process import start_worker, stop_worker

# Real weights: run once (the SQLite pass), not once per database.
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.once, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-browser-password-42"


@pytest.fixture
def site_server():
    from pytest_django.live_server_helper import LiveServer

    # See test_browser.py: Django's test server needs some MEDIA_URL while it starts.
    with override_settings(MEDIA_URL="/test-server-media-not-linked/"):
        server = LiveServer("localhost")
    yield server
    server.stop()


def test_a_whisper_transcript_of_real_speech_plays_word_by_word(
    site_server, offer_models, tiny_model_dir, whisper_tiny_en_dir, real_speech, tmp_path
):
    recording = join_with_pauses(list(real_speech.values()), repeats=1)  # 98 s
    path = write_wav(recording.audio, tmp_path / "readers-and-jfk.wav")
    spec = f"hubert=ctc:{tiny_model_dir}, tiny.en=whisper:{whisper_tiny_en_dir}:en"
    offer_models(spec)
    base_url = site_server.url
    worker = start_worker(tiny_model_dir, ("transcribe-tiny.en",), STT_MODELS=spec, STT_PRECISION="auto")
    with sync_playwright() as playwright:
        chromium = browser.launch_chromium(playwright)
        try:
            page = chromium.new_context(viewport=browser.DESKTOP).new_page()
            page.goto(f"{base_url}/accounts/signup/")
            page.fill("input[name=username]", "jo")
            page.fill("input[name=email]", "jo@example.com")
            page.fill("input[name=password1]", PASSWORD)
            page.fill("input[name=password2]", PASSWORD)
            page.click("form.card button[type=submit]")
            expect(page).to_have_url(f"{base_url}/new/")

            page.set_input_files("input[name=file]", str(path))
            page.fill("input[name=speaker_count]", "off")  # speakers: tests/web/test_browser_speakers.py
            page.fill("input[name=title]", "Seven readers and a president")
            page.select_option("select[name=model]", "tiny.en")
            browser.screenshot(page, "upload-desktop")
            expect(page.locator("select[name=language]")).to_have_count(0)  # both models take English only
            page.click("form.upload-form button[type=submit]")
            expect(page.locator("#job-status")).to_have_text("Done", timeout=180_000)
            expect(page.locator("#job-model")).to_have_text("tiny.en")
            expect(page.locator("#job-language")).to_have_text("English")
            segments = page.locator("#segments .segment")
            assert segments.count() >= 2
            expect(page.locator("#segments")).to_contain_text("ask not what your country can do for you")
            expect(page.locator("#segments")).to_contain_text("He could wait no longer.")

            # Click "Americans": the player seeks to that word's time, not to its segment's.
            box = word_box(page, "Americans")
            start_s = page.evaluate(
                """async () => {
                    const data = await (await fetch(document.getElementById('segments').dataset.segmentsUrl)).json();
                    return data.segments.flatMap((segment) => segment.words).find((w) => w.word === 'Americans').start;
                }"""
            )
            page.mouse.click(box["x"], box["y"])
            page.wait_for_function(
                "(start) => Math.abs(document.getElementById('player').currentTime - start) < 0.6", arg=start_s
            )
            browser.screenshot(page, "transcript-desktop", full_page=False)
            page.set_viewport_size(browser.PHONE)
            browser.screenshot(page, "transcript-phone", full_page=False)
        finally:
            chromium.close()
            worker.terminate()
            stop_worker(worker)


def word_box(page, word):
    """The screen centre of `word`'s first occurrence in the transcript."""
    return page.evaluate(
        """(word) => {
            const text = [...document.querySelectorAll('#segments .segment .text')]
                .map((node) => node.firstChild).find((node) => node.textContent.includes(word));
            const at = text.textContent.indexOf(word);
            const range = document.createRange();
            range.setStart(text, at);
            range.setEnd(text, at + word.length);
            const rect = range.getBoundingClientRect();
            return { x: rect.left + rect.width / 2, y: rect.top + rect.height / 2 };
        }""",
        word,
    )
