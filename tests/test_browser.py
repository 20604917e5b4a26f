"""The main journeys in a real browser (Debian chromium through Playwright)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
SLOW = 60_000  # ms; an answer runs the whole pipeline
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
DESKTOP = {"width": 1280, "height": 1000}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield b
        b.close()


def open_app(browser, url, viewport):
    page = browser.new_context(viewport=viewport).new_page()
    page.goto(url)
    expect(page.get_by_test_id("stChatInputTextArea")).to_be_visible(timeout=SLOW)
    return page


def ask(page, text):
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(text)
    box.press("Enter")


def body(page):
    return page.locator("body")


def settle(page, messages):
    """Wait for the script run to finish with `messages` chat turns on the page."""
    expect(page.get_by_test_id("stChatMessage")).to_have_count(messages, timeout=SLOW)
    page.wait_for_selector(IDLE, timeout=SLOW)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(body(page)).not_to_contain_text("something went wrong")


def shot(page, name):
    """Screenshot the whole conversation (Streamlit scrolls an inner container, not the page)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_timeout(500)  # let charts finish drawing
    size = page.viewport_size
    height = page.evaluate("document.querySelector('[data-testid=stAppScrollToBottomContainer]').scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    page.set_viewport_size(size)


@pytest.mark.parametrize("name,viewport", [("desktop", DESKTOP), ("phone", PHONE)])
def test_value_question_with_source_and_follow_up(browser, served_app, name, viewport):
    page = open_app(browser, served_app, viewport)
    shot(page, f"ask-empty-{name}")
    ask(page, "What was the population of Liverpool in 2020?")
    expect(body(page)).to_contain_text("500,474", timeout=SLOW)
    expect(body(page)).to_contain_text("Office for National Statistics")
    settle(page, 2)
    shot(page, f"ask-answer-{name}")
    ask(page, "and in 2019?")
    expect(body(page)).to_contain_text("498,042", timeout=SLOW)
    settle(page, 4)
    shot(page, f"ask-follow-up-{name}")
    page.context.close()


def test_ambiguous_place_then_choose_an_option(browser, served_app):
    page = open_app(browser, served_app, DESKTOP)
    ask(page, "population of Church ward")
    option = page.get_by_role("button", name=re.compile("Sefton"))
    expect(option).to_be_visible(timeout=SLOW)
    shot(page, "ask-clarify-desktop")
    option.click()
    settle(page, 4)
    last = page.get_by_test_id("stChatMessage").last
    expect(last).to_contain_text(re.compile(r"\d"))
    shot(page, "ask-clarified-desktop")
    page.context.close()
