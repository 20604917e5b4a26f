"""The main journeys in a real browser (Debian chromium through Playwright)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import contribution

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


# -- helpers for the multipage journeys ------------------------------------------------------
LUPUS_Q = "How many people with lupus live in Liverpool?"


def idle(page):
    page.wait_for_selector(IDLE, timeout=SLOW)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(body(page)).not_to_contain_text("something went wrong")


def open_page(browser, url, viewport=DESKTOP):
    page = browser.new_context(viewport=viewport).new_page()
    page.goto(url)
    idle(page)
    return page


def choose(page, label, option):
    """Pick ``option`` in the selectbox labelled ``label``."""
    page.get_by_test_id("stSelectbox").filter(has_text=label).click()
    page.get_by_role("option", name=option, exact=True).click()
    idle(page)


def nav(page, title):
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    idle(page)


def sign_in(page, url, user="sam", password="demo-sam-2025"):
    page.goto(f"{url}/steward")
    idle(page)
    page.get_by_label("Steward id").fill(user)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    idle(page)


def full_shot(page, name):
    """Screenshot a page that is not a chat (the main block scrolls, not the window)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_timeout(600)
    size = page.viewport_size
    height = page.evaluate("Math.max(...[...document.querySelectorAll('[data-testid=stMain], "
                           "[data-testid=stAppScrollToBottomContainer], [data-testid=stMainBlockContainer]')]"
                           ".map(e => e.scrollHeight), 0)")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(height + 40, 9000))})
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    page.set_viewport_size(size)


# -- the review journey -------------------------------------------------------------------
def test_commercial_request_reviewed_approved_and_released(browser, served_app):
    requester = open_app(browser, served_app, DESKTOP)
    choose(requester, "I am asking as a", "Commercial")
    choose(requester, "Purpose", "Commercial use")
    ask(requester, LUPUS_Q)
    settle(requester, 2)
    expect(body(requester)).to_contain_text("pending")
    rid = re.search(r"R-[0-9A-F]{8}", requester.get_by_test_id("stChatMessage").last.inner_text()).group(0)
    shot(requester, "review-pending-desktop")

    steward = open_page(browser, served_app)
    expect(steward.get_by_test_id("stTabs")).to_have_count(0)  # the desk is not there before sign-in
    sign_in(steward, served_app, "sam", "wrong-password")
    expect(body(steward)).to_contain_text("do not match")
    sign_in(steward, served_app)
    expect(body(steward)).to_contain_text("Review queue")
    card = steward.get_by_test_id("stVerticalBlock").filter(has_text=rid).filter(
        has=steward.get_by_role("button", name="Approve")).last
    expect(card).to_contain_text(LUPUS_Q)
    expect(card).to_contain_text("lupus_commons.duty.commercial")
    card.get_by_role("button", name="Preview what would be released").click()
    idle(steward)
    card = steward.get_by_test_id("stVerticalBlock").filter(has_text=rid).filter(
        has=steward.get_by_role("button", name="Approve")).last
    expect(card.get_by_test_id("stDataFrame")).to_have_count(1)
    card.get_by_label("Reason for your decision").fill("Fee agreement FA-12 is on file")
    card.get_by_label("Reason for your decision").press("Enter")
    idle(steward)
    full_shot(steward, "steward-desk-desktop")
    steward.get_by_test_id("stVerticalBlock").filter(has_text=rid).get_by_role("button", name="Approve").last.click()
    idle(steward)
    expect(body(steward)).to_contain_text(f"{rid} approved")
    steward.get_by_role("tab", name="Audit log").click()
    steward.get_by_role("button", name="Verify the audit chain").click()
    idle(steward)
    expect(steward.get_by_test_id("stMain")).to_contain_text("Audit chain: ")

    requester.get_by_role("button", name="Check / fetch answer").click()
    settle(requester, 4)
    last = requester.get_by_test_id("stChatMessage").last
    expect(last).to_contain_text("Approved by a steward")
    expect(last).to_contain_text("SYNTHETIC")
    expect(last.get_by_test_id("stDataFrame")).to_have_count(1)
    with requester.expect_download() as dl:
        last.get_by_role("button", name="Download the table (CSV)").click()
    text = Path(dl.value.path()).read_text(encoding="utf-8")
    assert "Attribution:" in text and "Lupus Commons" in text
    shot(requester, "review-released-desktop")
    requester.context.close()
    steward.context.close()


# -- the contribution journey -------------------------------------------------------------
def test_contribution_uploaded_scanned_approved_and_answerable(browser, served_app, tmp_path):
    data, sheet = contribution("community_pantry")
    sheet = sheet.replace("Food bank visitors", "Community pantry members").replace(
        "[food bank visitors, people using food banks, food bank users]",
        "[community pantry members, pantry members, people using the community pantry]")
    (tmp_path / "pantry.csv").write_bytes(data)
    (tmp_path / "pantry.yaml").write_text(sheet)

    contributor = open_page(browser, served_app)
    choose(contributor, "I am asking as a", "Provider")
    nav(contributor, "Contribute")
    contributor.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(str(tmp_path / "pantry.csv"))
    idle(contributor)
    contributor.get_by_text("Upload a datasheet (YAML)").click()
    idle(contributor)
    contributor.get_by_test_id("stFileUploaderDropzoneInput").last.set_input_files(str(tmp_path / "pantry.yaml"))
    idle(contributor)
    contributor.get_by_role("button", name="Scan the file").click()
    idle(contributor)
    expect(body(contributor)).to_contain_text("Removed when published: visitor_name, email")
    expect(body(contributor)).to_contain_text("The file can be submitted")
    full_shot(contributor, "contribute-scan-desktop")
    contributor.get_by_role("button", name="Submit for a steward's approval").click()
    idle(contributor)
    expect(body(contributor)).to_contain_text("nothing is published until they approve it")

    nav(contributor, "Ask")
    ask(contributor, "How many community pantry members are there in Knowsley?")
    settle(contributor, 2)
    expect(contributor.get_by_test_id("stChatMessage").last).not_to_contain_text("Community pantry members in")

    steward = open_page(browser, served_app)
    sign_in(steward, served_app, "priya", "demo-priya-2025")
    steward.get_by_role("tab", name="Contributions").click()
    card = steward.get_by_test_id("stVerticalBlock").filter(has_text="community_pantry").filter(
        has=steward.get_by_role("button", name="Approve and publish")).last
    expect(card).to_contain_text("Community pantry")
    card.get_by_label("Reason for your decision").fill("Identifier scan checked: names and emails dropped")
    card.get_by_label("Reason for your decision").press("Enter")
    idle(steward)
    steward.get_by_test_id("stVerticalBlock").filter(has_text="community_pantry").get_by_role(
        "button", name="Approve and publish").last.click()
    idle(steward)
    # Publishing rebuilds the dataset's table, reloads the commons and embeds its documentation.
    expect(body(steward)).to_contain_text("approved", timeout=SLOW)
    steward.context.close()

    ask(contributor, "How many community pantry members are there in Knowsley?")
    settle(contributor, 4)
    last = contributor.get_by_test_id("stChatMessage").last
    expect(last).to_contain_text("Community pantry members")
    expect(last).to_contain_text("Knowsley")
    expect(last).to_contain_text(re.compile(r"\*?\d+"))
    shot(contributor, "contribute-answerable-desktop")
    contributor.context.close()


# -- every page at a desktop's and a phone's width -------------------------------------------
@pytest.mark.parametrize("name,viewport", [("desktop", DESKTOP), ("phone", PHONE)])
def test_pages_read_well_at_desktop_and_phone_width(browser, served_app, name, viewport):
    page = open_page(browser, served_app, viewport)
    for path, title in (("datasets", "Datasets in the commons"), ("contribute", "Contribute data"),
                        ("transparency", "How your data is used"), ("evaluate", "Evaluate"),
                        ("steward", "Steward desk")):
        page.goto(f"{served_app}/{path}")
        idle(page)
        expect(page.get_by_role("heading", name=title).first).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 2, f"{path} overflows the {name} width by {overflow}px"
        full_shot(page, f"page-{path}-{name}")
    sign_in(page, served_app)
    expect(body(page)).to_contain_text("Review queue")
    full_shot(page, f"page-steward-desk-{name}")
    page.context.close()
