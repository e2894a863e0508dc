"""Helpers for the Playwright tests: Debian's chromium (no browser download),
screenshots, and a real worker process that shares the test database."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    # A click is a user gesture anyway; this keeps play() from being refused
    # when a test seeks before any click.
    "--autoplay-policy=no-user-gesture-required",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def launch_chromium(playwright):
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install chromium (see SETUP-NOTES)")
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def screenshot(page, name, full_page=True):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def start_worker(database_name, media_root, model_dir, stall_after_batch_s, **extra_environment):
    """A burst worker process (tests.slow_worker) that pauses after each batch,
    so that a page can watch the progress move. The pause lives in the test."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "SPEECHSITE_TEST_DB_NAME": str(database_name),
        "MEDIA_ROOT": str(media_root),
        "STT_MODEL": str(model_dir),
        "STT_PRECISION": "fp32",
        "STALL_AFTER_BATCH_S": str(stall_after_batch_s),
        **extra_environment,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tests.slow_worker"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop_worker(process, timeout_s=5):
    """The worker's output, after it ends (or is killed)."""
    try:
        output, _ = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output


def page_value(page, script):
    """Evaluate `script` in the page; None while the page is reloading."""
    try:
        return page.evaluate(script)
    except Exception as exc:  # the execution context is destroyed by a reload
        if "context was destroyed" in str(exc) or "navigat" in str(exc):
            return None
        raise

