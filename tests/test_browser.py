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


def sign_in(page, url, user="sam", password=None):
    page.goto(f"{url}/signin")
    idle(page)
    page.get_by_label("User id").fill(user)
    page.get_by_label("Password", exact=True).fill(password or f"demo-{user}-2025")
    page.get_by_role("button", name="Sign in").click()
    idle(page)


def signed_in_page(browser, url, user):
    page = open_page(browser, url)
    sign_in(page, url, user)
    expect(page.get_by_test_id("stSidebar")).to_contain_text("Signed in as")
    return page


def card(page, text, button):
    """The bordered block holding ``text`` and a ``button``."""
    return page.get_by_test_id("stVerticalBlock").filter(has_text=text).filter(
        has=page.get_by_role("button", name=button)).last


def act_on_card(page, key, button, shows, label, reason):
    """On the card of ``key`` (which shows ``shows``): write ``reason`` in the field ``label``, press ``button``."""
    block = card(page, key, button)
    expect(block).to_contain_text(shows)
    block.get_by_label(re.compile(label)).fill(reason)
    block.get_by_label(re.compile(label)).press("Enter")
    idle(page)
    card(page, key, button).get_by_role("button", name=button).click()
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


# -- safe people, safe projects: the project journey -------------------------------------------
def test_a_project_approved_by_two_stewards_and_the_panel_then_answered_within(browser, served_app):
    """A researcher submits a project; two stewards of the lupus commons (two organisations)
    approve it; the members' panel votes; the researcher asks within it and gets a
    disclosure-controlled answer."""
    rosa = signed_in_page(browser, served_app, "rosa")
    nav(rosa, "Projects")
    rosa.get_by_label("Title").fill("Lupus and work across the city region")
    choose(rosa, "Purpose of the project", "Health or medical research")
    rosa.get_by_label(re.compile("^Lay summary")).fill(
        "How lupus affects work across the city region, so services can help people stay in work.")
    rosa.get_by_test_id("stMultiSelect").filter(has_text="Datasets").click()
    rosa.get_by_role("option", name=re.compile("Lupus health commons")).click()
    rosa.keyboard.press("Escape")
    rosa.get_by_label(re.compile("^Publication commitment")).fill("an open-access report")
    rosa.get_by_role("button", name="Submit the project").click()
    idle(rosa)
    expect(body(rosa)).to_contain_text("Submitted P-")
    pid = re.search(r"P-[0-9A-F]{8}", body(rosa).inner_text()).group(0)
    full_shot(rosa, "project-submitted-desktop")

    for steward in ("priya", "olu"):
        desk = signed_in_page(browser, served_app, steward)
        nav(desk, "Steward desk")
        act_on_card(desk, pid, "Approve project", "Lupus and work across the city region", "^Reason",
                    "In scope: aggregates only, published")
        expect(body(desk)).to_contain_text("1 more steward approval" if steward == "priya" else "members' panel")
        if steward == "olu":
            full_shot(desk, "project-desk-desktop")
        desk.context.close()

    for member in ("mo", "jen", "kai"):
        panel = signed_in_page(browser, served_app, member)
        nav(panel, "Members' panel")
        act_on_card(panel, pid, "Vote for", "How lupus affects work", "^Your reason",
                    "Members asked for research on work")
        expect(body(panel)).to_contain_text("vote recorded" if member != "kai" else "approved by the members' panel")
        panel.context.close()

    nav(rosa, "Ask")
    choose(rosa, "Project", re.compile(pid))
    ask(rosa, LUPUS_Q)
    settle(rosa, 2)
    last = rosa.get_by_test_id("stChatMessage").last
    expect(last).to_contain_text("SYNTHETIC")
    expect(last.get_by_test_id("stDataFrame")).to_have_count(1)
    expect(last).to_contain_text("Disclosure control")
    shot(rosa, "project-answer-desktop")
    rosa.context.close()


def test_a_commercial_project_without_a_fee_agreement_is_never_released(browser, served_app):
    from contextlib import closing
    from datetime import date, timedelta
    from assistant.pipeline import Pipeline
    from assistant.stewardship import Stewardship
    # approved by its two stewards and the panel (the journey above shows those steps in the app),
    # but no fee agreement is recorded
    with closing(Pipeline.open()) as p:
        s = Stewardship(p)
        who = {u: p.commons.accounts.sign_in(u, f"demo-{u}-2025") for u in ("acme", "priya", "olu", "mo", "jen",
                                                                               "kai")}
        pr = s.submit_project(who["acme"], title="Clinic siting (browser)", purpose="commercial",
                              datasets=["lupus_commons"], end_date=(date.today() + timedelta(days=90)).isoformat(),
                              lay_summary="Where people with lupus live, to plan where a private clinic is needed.",
                              commercial="a private clinic operator", publication="a public summary")
        for steward in ("priya", "olu"):
            s.decide_project(pr.id, who[steward], "approve", "in scope")
        for member in ("mo", "jen", "kai"):
            s.panel_vote(pr.id, who[member], True, "members accept this use")
        assert s.projects.get(pr.id).state == "approved"
    acme = signed_in_page(browser, served_app, "acme")
    nav(acme, "Ask")
    ask(acme, LUPUS_Q)
    settle(acme, 2)
    expect(acme.get_by_test_id("stChatMessage").last).to_contain_text("project.required")
    choose(acme, "Project", re.compile(pr.id))
    ask(acme, LUPUS_Q)
    settle(acme, 4)
    last = acme.get_by_test_id("stChatMessage").last
    expect(last).to_contain_text("fees.no_agreement")
    expect(last.get_by_test_id("stDataFrame")).to_have_count(0)
    shot(acme, "commercial-no-fee-desktop")
    acme.context.close()


# -- the contribution journey -------------------------------------------------------------
def test_contribution_uploaded_scanned_approved_and_answerable(browser, served_app, tmp_path):
    data, sheet = contribution("community_pantry")
    sheet = sheet.replace("Food bank visitors", "Community pantry members").replace(
        "[food bank visitors, people using food banks, food bank users]",
        "[community pantry members, pantry members, people using the community pantry]")
    (tmp_path / "pantry.csv").write_bytes(data)
    (tmp_path / "pantry.yaml").write_text(sheet)

    contributor = open_page(browser, served_app)
    nav(contributor, "Contribute")
    contributor.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(str(tmp_path / "pantry.csv"))
    idle(contributor)
    contributor.get_by_text("Upload a datasheet (YAML)").click()
    idle(contributor)
    contributor.get_by_test_id("stFileUploaderDropzoneInput").last.set_input_files(str(tmp_path / "pantry.yaml"))
    idle(contributor)
    scan = contributor.get_by_role("button", name="Scan the file")
    expect(scan).to_be_enabled(timeout=SLOW)          # both uploads received (slow under load)
    scan.click()
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
    expect(body(steward)).to_contain_text("(community_pantry) approved", timeout=SLOW)
    steward.context.close()

    ask(contributor, "How many community pantry members are there in Knowsley?")
    settle(contributor, 4)
    last = contributor.get_by_test_id("stChatMessage").last
    # published and governed: person-level data, answered only within an approved project naming it
    expect(last).to_contain_text("Community pantry members")
    expect(last).to_contain_text("project.required")
    shot(contributor, "contribute-answerable-desktop")
    contributor.context.close()


# -- every page at a desktop's and a phone's width -------------------------------------------
@pytest.mark.parametrize("name,viewport", [("desktop", DESKTOP), ("phone", PHONE)])
def test_pages_read_well_at_desktop_and_phone_width(browser, served_app, name, viewport):
    page = open_page(browser, served_app, viewport)
    for path, title in (("datasets", "Datasets in the commons"), ("contribute", "Contribute data"),
                        ("transparency", "How your data is used"), ("evaluate", "Evaluate"),
                        ("signin", "Sign in")):
        page.goto(f"{served_app}/{path}")
        idle(page)
        expect(page.get_by_role("heading", name=title).first).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 2, f"{path} overflows the {name} width by {overflow}px"
        full_shot(page, f"page-{path}-{name}")
    sign_in(page, served_app)                  # a steward lands on the desk
    expect(body(page)).to_contain_text("Review queue")
    full_shot(page, f"page-steward-desk-{name}")
    page.context.close()
