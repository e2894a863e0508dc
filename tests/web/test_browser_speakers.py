"""Speakers in headless Debian chromium (Playwright) against a live server:
rename a speaker once and see the name in the page, the txt, vtt and srt
downloads and the history search."""

import pytest
import srt
import webvtt
from django.contrib.auth import get_user_model
from playwright.sync_api import expect, sync_playwright

from tests.support import browser
from tests.support.web_factory import make_conversation_transcription
from tests.web.test_browser import in_thread, sign_up, site_server  # noqa: F401 (a fixture)
from tests.web.test_browser_readable import downloaded

# Slow; the same rules on both databases are in tests/web/test_speakers.py.
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.once, pytest.mark.django_db(transaction=True)]


def test_rename_a_speaker_and_see_it_everywhere(site_server, media_root):  # noqa: F811
    base_url = site_server.url
    with sync_playwright() as playwright:
        chromium = browser.launch_chromium(playwright)
        try:
            page = chromium.new_context(viewport=browser.DESKTOP, accept_downloads=True).new_page()
            sign_up(page, base_url, "interviewer")
            user = in_thread(lambda: get_user_model().objects.get(username="interviewer"))
            transcription = in_thread(make_conversation_transcription, user)
            page.goto(f"{base_url}{transcription.get_absolute_url()}")
            labels = page.locator("#segments .segment .speaker")
            expect(labels).to_have_text(["Speaker 1", "Speaker 2", "Speaker 1", "Speaker 2"])

            page.get_by_label("Name of Speaker 2").fill("Ada Lovelace")
            page.locator("#speakers li").nth(1).get_by_role("button", name="Rename").click()
            expect(labels).to_have_text(["Speaker 1", "Ada Lovelace", "Speaker 1", "Ada Lovelace"])
            expect(page.locator("#speakers")).to_contain_text("Ada Lovelace")
            # A different colour for each speaker, the same one wherever a speaker appears.
            colours = [labels.nth(i).evaluate("e => getComputedStyle(e).color") for i in range(4)]
            assert colours[0] == colours[2] != colours[1] == colours[3]
            browser.screenshot(page, "transcript-speakers-desktop", full_page=False)

            plain = downloaded(page, ".txt")
            assert "Ada Lovelace: with a broken radio" in plain.split("\n\n")
            cues = [cue.content for cue in srt.parse(downloaded(page, ".srt"))]
            assert cues[1] == "Ada Lovelace: with a broken radio"
            captions = webvtt.from_string(downloaded(page, ".vtt")).captions
            assert [caption.voice for caption in captions][:2] == ["Speaker 1", "Ada Lovelace"]

            page.goto(f"{base_url}/")
            page.get_by_label("Search").fill("lovelace")
            page.keyboard.press("Enter")
            expect(page.locator(".title-hits")).to_contain_text("An interview")
        finally:
            chromium.close()
