"""The main journeys in a real browser (Debian chromium through Playwright)."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest
from conftest import contribution, running_app

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
    """Pick ``option`` in the selectbox labelled ``label`` (on the page, or in the who-is-asking
    bar's popover)."""
    box = page.get_by_test_id("stSelectbox").filter(has_text=label)
    bar = page.locator(".st-key-who_bar")
    try:       # a box on the page shows up with its page; one in the bar's popover only once opened
        box.wait_for(state="visible", timeout=3_000)
    except playwright_api.TimeoutError:
        pass
    idle(page)
    for attempt in range(3):
        # a chart drawn late can scroll the chat and the open popover with it, and a run that
        # ends after the click (a sign-in's landing page) closes an open list: try again
        try:
            if not box.is_visible():
                bar.scroll_into_view_if_needed()
                bar.get_by_role("button").first.click()
            field = box.get_by_role("combobox")     # the field itself: on a phone the box's middle is its label
            field.click(timeout=10_000)
            if isinstance(option, re.Pattern):      # a long list shows only its first options: filter it
                field.press_sequentially(option.pattern)
            page.get_by_role("option", name=option, exact=True).click(timeout=10_000)
            break
        except playwright_api.Error:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
            idle(page)
    idle(page)
    if box.is_visible():
        page.keyboard.press("Escape")


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
    expect(page.locator(".st-key-who_bar")).to_contain_text("Signed in as")   # in the bar, not only the sidebar
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
    try:
        expect(scan).to_be_enabled(timeout=20_000)    # both uploads received
    except AssertionError:
        # under load a rerun can swallow the second upload: the person would choose the file again
        contributor.get_by_test_id("stFileUploaderDropzoneInput").last.set_input_files(str(tmp_path / "pantry.yaml"))
        idle(contributor)
        expect(scan).to_be_enabled(timeout=SLOW)
    scan.click()
    idle(contributor)
    expect(body(contributor)).to_contain_text("Removed when published: visitor_name, email", timeout=SLOW)
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
    expect(body(steward)).to_contain_text("(community_pantry) approved", timeout=SLOW)   # publishing rebuilds the store
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


# -- issue 18: the app as residents and providers meet it ----------------------------------------
def overflow(page):
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def in_view(page, locator):
    """The element is on screen horizontally (not pushed off the right of a phone)."""
    box = locator.bounding_box()
    width = page.viewport_size["width"]
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 1


@pytest.mark.parametrize("name,viewport", [("desktop", DESKTOP), ("phone", PHONE)])
def test_phone_first_answer_table_chart_and_controls(browser, served_app, name, viewport):
    page = open_app(browser, served_app, viewport)
    bar = page.locator(".st-key-who_bar")
    who = bar.get_by_role("button").first
    expect(who).to_contain_text("Asking as a resident, not signed in")   # reachable without the sidebar
    assert in_view(page, who)
    signin = bar.get_by_role("link", name="Sign in")
    expect(signin).to_be_visible()
    assert in_view(page, signin)
    assert in_view(page, page.get_by_role("button", name="New conversation"))
    ask(page, "What was the population of Liverpool in 2020?")
    settle(page, 2)
    last = page.get_by_test_id("stChatMessage").last
    frame = last.get_by_test_id("stDataFrame")
    chart = last.get_by_test_id("stVegaLiteChart")
    expect(chart).to_have_count(1)
    assert in_view(page, frame) and in_view(page, chart)
    assert overflow(page) <= 2, f"the answer overflows the {name} width"
    # the text alternative and the image export
    last.get_by_role("button", name="The chart in words").click()
    expect(page.get_by_text(re.compile(r"Liverpool \(asked about\): 500,474"))).to_be_visible()
    page.keyboard.press("Escape")
    with page.expect_download() as dl:
        last.get_by_role("button", name="Download the chart (PNG)").click()
    assert Path(dl.value.path()).read_bytes()[:4] == b"\x89PNG"
    shot(page, f"issue18-answer-{name}")
    ask(page, "Give me a summary of Everton ward")
    settle(page, 4)
    expect(page.get_by_test_id("stChatMessage").last.get_by_test_id("stVegaLiteChart")).to_have_count(1)
    assert overflow(page) <= 2
    shot(page, f"issue18-summary-{name}")
    who.click()                                                 # no role to pick without signing in
    expect(page.get_by_test_id("stSelectbox").filter(has_text="Purpose")).to_be_visible()
    expect(page.get_by_test_id("stSelectbox").filter(has_text="asking as")).to_have_count(0)
    page.keyboard.press("Escape")
    signin.click()                                              # the bar's way to sign in
    idle(page)
    page.get_by_label("User id").fill("nia")
    page.get_by_label("Password", exact=True).fill("demo-nia-2025")
    page.get_by_role("button", name="Sign in").click()
    idle(page)
    expect(who).to_contain_text("Signed in as")
    expect(who).to_contain_text("(provider)")
    idle(page)                       # the signed-in page may still be laying out (a project box for nia)
    expect(who).to_be_in_viewport()
    assert in_view(page, who)
    shot(page, f"issue18-signed-in-{name}")
    page.get_by_role("button", name="New conversation").click()
    idle(page)
    expect(page.get_by_test_id("stChatMessage")).to_have_count(0)
    page.context.close()


@pytest.mark.parametrize("name,viewport", [("desktop", DESKTOP), ("phone", PHONE)])
def test_analysts_map_scatter_and_briefing(browser, served_app, name, viewport):
    """Issue 15: a map, two measures side by side, an area story downloaded as a document."""
    page = open_app(browser, served_app, viewport)
    ask(page, "Show me a map of deprivation in Liverpool")
    settle(page, 2)
    last = page.get_by_test_id("stChatMessage").last
    expect(last).to_contain_text("darker = more deprived")
    chart = last.get_by_test_id("stVegaLiteChart")
    expect(chart).to_have_count(1)
    expect(chart.locator("canvas, svg").first).to_be_visible(timeout=SLOW)
    assert chart.bounding_box()["height"] > 250, "the map is drawn at a readable size"
    assert overflow(page) <= 2, f"the map overflows the {name} width"
    shot(page, f"issue15-map-{name}")
    if name == "desktop":          # the rest is the same page at desktop width; the phone is the hard case
        page.context.close()
        return
    ask(page, "deprivation and homelessness by council")
    settle(page, 4)
    last = page.get_by_test_id("stChatMessage").last
    expect(last).to_contain_text("r = 0.24")
    expect(last).to_contain_text("Areas are not people")
    expect(last.get_by_test_id("stVegaLiteChart")).to_have_count(1)
    assert overflow(page) <= 2
    shot(page, f"issue15-scatter-{name}")
    ask(page, "Tell me about Knowsley for a funding bid")
    settle(page, 6)
    last = page.get_by_test_id("stChatMessage").last
    expect(last).to_contain_text("About 4 in 10 of Knowsley's neighbourhoods (40 of 100)")
    with page.expect_download() as dl:
        last.get_by_role("button", name="Download the briefing (Markdown)").click()
    doc = Path(dl.value.path()).read_text(encoding="utf-8")
    assert "## Sources and licences" in doc and "Open Government Licence" in doc
    assert overflow(page) <= 2
    shot(page, f"issue15-story-{name}")
    page.context.close()


@pytest.mark.parametrize("name,viewport", [("desktop", DESKTOP), ("phone", PHONE)])
def test_long_paste_and_empty_input_get_a_message(browser, served_app, name, viewport):
    page = open_app(browser, served_app, viewport)
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill("How deprived is Everton? " * 200)
    assert len(box.input_value()) == 5000                      # nothing cut off while typing
    box.press("Enter")
    idle(page)
    expect(body(page)).to_contain_text("That is 5,000 characters; a question can be at most 2,000")
    expect(page.get_by_test_id("stChatMessage")).to_have_count(0)
    box.fill("   ")
    box.press("Enter")
    idle(page)
    expect(body(page)).to_contain_text("Type a question first")
    shot(page, f"issue18-long-paste-{name}")
    page.context.close()


def test_nothing_is_fetched_from_outside(browser, served_app):
    page = browser.new_context(viewport=DESKTOP).new_page()
    seen = []
    page.on("request", lambda r: seen.append(r.url))
    page.goto(served_app)
    expect(page.get_by_test_id("stChatInputTextArea")).to_be_visible(timeout=SLOW)
    ask(page, "How deprived is Knowsley?")
    settle(page, 2)
    for path in ("datasets", "contribute", "requests", "transparency"):
        page.goto(f"{served_app}/{path}")
        idle(page)
    page.wait_for_timeout(500)
    icon = page.evaluate("[...document.querySelectorAll('link[rel~=icon]')].map(l => l.href)")
    outside = [u for u in seen + icon if not re.match(r"(https?|wss?)://127\.0\.0\.1[:/]|data:|blob:", u)]
    assert seen and not outside, outside
    page.context.close()


def _fee_project(title):
    """acme's commercial project naming the lupus commons, approved by its two stewards and the
    panel, with a fee agreement on file (the project journey above shows those steps in the app)."""
    from contextlib import closing
    from datetime import date, timedelta
    from assistant.pipeline import Pipeline
    from assistant.stewardship import Stewardship
    with closing(Pipeline.open()) as p:
        s = Stewardship(p)
        who = {u: p.commons.accounts.sign_in(u, f"demo-{u}-2025") for u in ("acme", "priya", "olu", "mo", "jen",
                                                                               "kai")}
        today, end = date.today(), (date.today() + timedelta(days=90)).isoformat()
        pr = s.submit_project(who["acme"], title=title, purpose="commercial", datasets=["lupus_commons"], end_date=end,
                              lay_summary="Where people with lupus live, to plan where a private clinic is needed.",
                              commercial="a private clinic operator", publication="a public summary")
        for steward in ("priya", "olu"):
            s.decide_project(pr.id, who[steward], "approve", "in scope")
        for member in ("mo", "jen", "kai"):
            s.panel_vote(pr.id, who[member], True, "members accept this use")
        s.record_fee(pr.id, who["priya"], "lupus_commons", "FA-40", 1500, today.isoformat(), end, "A. Carter, Acme")
        assert s.projects.get(pr.id).state == "approved"
        return pr.id


def test_reload_keeps_the_chat_and_a_request_is_collected_in_a_new_browser(browser, served_app):
    pid = _fee_project("Clinic siting (collected by reference)")
    requester = open_app(browser, served_app, PHONE)
    ask(requester, "How deprived is Everton?")
    settle(requester, 2)
    ref = re.search(r"A-[0-9A-F]{8}", requester.get_by_test_id("stChatMessage").last.inner_text()).group(0)
    requester.reload()                                          # the chat survives a reload
    expect(requester.get_by_test_id("stChatInputTextArea")).to_be_visible(timeout=SLOW)
    settle(requester, 2)
    expect(body(requester)).to_contain_text("67.384")

    sign_in(requester, served_app, "acme")                      # a conversation of the account's own
    expect(requester.locator(".st-key-who_bar")).to_contain_text("(commercial)")
    expect(requester.get_by_test_id("stChatMessage")).to_have_count(0)
    expect(requester.get_by_test_id("stSelectbox").filter(has_text="Project")).to_be_visible()
    choose(requester, "Project", re.compile(pid))
    ask(requester, LUPUS_Q)
    settle(requester, 2)
    rid = re.search(r"R-[0-9A-F]{8}", requester.get_by_test_id("stChatMessage").last.inner_text()).group(0)
    requester.get_by_test_id("stPageLink").filter(has_text="My requests").first.click()
    idle(requester)
    expect(requester.locator(f".st-key-myreq_{rid}")).to_contain_text("pending")
    full_shot(requester, "issue18-my-requests-phone")
    requester.goto(served_app)                                  # a new page load signs out: the browser's chat again
    expect(requester.get_by_test_id("stChatInputTextArea")).to_be_visible(timeout=SLOW)
    expect(body(requester)).to_contain_text("67.384", timeout=SLOW)
    expect(body(requester)).not_to_contain_text(rid)            # the account's conversation stays the account's
    requester.context.close()                                   # the requester closes the browser

    for steward in ("priya", "olu"):                            # two stewards of two organisations
        desk = signed_in_page(browser, served_app, steward)
        desk.get_by_role("tab", name="Review queue").click()
        idle(desk)
        block = card(desk, rid, "Approve")
        expect(block).to_contain_text(LUPUS_Q)
        expect(block).to_contain_text("commercial use of")       # the rule in words, not its id
        expect(block).not_to_contain_text("lupus_commons.duty.commercial")
        block.get_by_label("Reason for your decision").fill("Fee agreement FA-40 on file")
        block.get_by_label("Reason for your decision").press("Enter")
        idle(desk)
        if steward == "priya":
            full_shot(desk, "steward-desk-desktop")
        card(desk, rid, "Approve").get_by_role("button", name="Approve").click()
        idle(desk)
        expect(body(desk)).to_contain_text("needs another steward's approval" if steward == "priya"
                                           else f"{rid} approved")
        desk.context.close()

    later = open_app(browser, served_app, PHONE)                # a new browser: no cookie, only the reference
    expect(later.get_by_test_id("stChatMessage")).to_have_count(0)
    ask(later, f"check {rid}")                                  # a reference is never an identity
    settle(later, 2)
    expect(later.get_by_test_id("stChatMessage").last).to_contain_text("made by a signed-in account")
    sign_in(later, served_app, "acme")
    ask(later, f"check {rid}")
    settle(later, 2)
    last = later.get_by_test_id("stChatMessage").last
    expect(last).to_contain_text("Approved by two stewards")
    expect(last.get_by_test_id("stDataFrame")).to_have_count(1)
    shot(later, "issue18-collected-by-reference-phone")
    later.context.close()

    viewer = browser.new_context(viewport=DESKTOP).new_page()   # a shared link: asked again for the viewer
    viewer.goto(f"{served_app}/?answer={ref}")
    settle(viewer, 2)
    expect(viewer.get_by_test_id("stChatMessage").last).to_contain_text("67.384")
    expect(viewer.get_by_test_id("stChatMessage").first).to_contain_text("asked again from")
    viewer.context.close()


@pytest.mark.parametrize("name,viewport", [("desktop", DESKTOP), ("phone", PHONE)])
def test_contribute_in_plain_words_keeps_the_form_and_waits_for_a_clean_scan(browser, served_app, tmp_path,
                                                                            name, viewport):
    data, _ = contribution("pantry_keep")
    (tmp_path / "a.csv").write_bytes(data)
    (tmp_path / "b.csv").write_bytes(data)
    page = open_page(browser, served_app, viewport)
    page.goto(f"{served_app}/contribute")
    idle(page)

    def upload(name):
        page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(str(tmp_path / name))
        expect(page.get_by_test_id("stFileUploader").first).to_contain_text(name, timeout=SLOW)
        expect(body(page)).to_contain_text("Identifies a person (name, email, NHS number…)", timeout=SLOW)
        page.wait_for_timeout(300)
        idle(page)

    upload("a.csv")
    page.get_by_label("Title").fill("Pantry visits")
    page.get_by_label("Title").press("Tab")
    idle(page)
    expect(body(page)).not_to_contain_text("quasi_identifier")
    expect(page.get_by_label("Title")).to_have_value("Pantry visits")
    upload("b.csv")                                             # the file replaced: the form is kept
    expect(page.get_by_label("Title")).to_have_value("Pantry visits")
    for label, value in (("Publisher (your organisation)", "Pantry network"), ("Steward (who looks after it)", "S"),
                         ("Licence", "OGL"), ("Short id (letters, digits, _)", "population_la")):
        page.get_by_label(label, exact=True).fill(value)
        page.get_by_label(label, exact=True).press("Tab")
        idle(page)
    expect(body(page)).to_contain_text("is already used by")
    expect(page.get_by_role("button", name="Submit for a steward's approval")).to_be_disabled()
    assert overflow(page) <= 2
    full_shot(page, f"issue18-contribute-{name}")
    page.context.close()


# Every "Opening the commons: ..." line the page shows, as it shows it (read every 50 ms).
WATCH_START_UP = """(() => { window.__labels = [];
  setInterval(() => {
    for (const line of (document.body ? document.body.innerText : '').split('\\n')) {
      if (line.startsWith('Opening the commons') && !window.__labels.includes(line)) window.__labels.push(line);
    }
  }, 50);
})();"""
START_UP_STEPS = ("reading the datasheets and the data store", "preparing the SYNTHETIC demonstration data (",
                  "building the data store: ", "the data store is built; opening it",
                  "loading the scanner that keeps personal details out")


def test_start_up_names_each_step_then_the_first_answer_follows(browser, tmp_path, pristine_home):
    """`commons ui` on a home whose store and demo contributions are missing, the pages opened as
    soon as the server answers: the panel names each step as it happens, in words (no file
    paths), at phone and desktop width; then the first answer."""
    home = tmp_path / "home"
    for keep in ("index", "models"):          # the rest (store, demo contributions) is built again
        shutil.copytree(pristine_home / keep, home / keep)
    shutil.copy2(pristine_home / "secret.key", home / "secret.key")
    started = time.perf_counter()
    with running_app(home, tmp_path / "app.log", poll_s=0.05) as url:
        timings = {"server_healthy_s": round(time.perf_counter() - started, 2)}
        pages = {}
        for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            page = browser.new_context(viewport=viewport).new_page()
            page.add_init_script(WATCH_START_UP)
            page.goto(url)
            pages[name] = page
        expect(pages["phone"].get_by_text("Opening the commons: ")).to_be_visible(timeout=SLOW)
        ARTIFACTS.mkdir(exist_ok=True)
        pages["phone"].screenshot(path=str(ARTIFACTS / "issue18-start-up-panel-phone.png"))
        for name, page in pages.items():
            expect(page.get_by_test_id("stChatInputTextArea")).to_be_visible(timeout=3 * SLOW)
            labels = page.evaluate("window.__labels")
            steps = [label.removeprefix("Opening the commons: ").removesuffix("…") for label in labels]
            assert steps and all(s.startswith(START_UP_STEPS) for s in steps), labels
            assert not any("/" in s or ".csv" in s for s in steps), labels
            assert any(s.startswith("building the data store") for s in steps), labels   # it was built, and said so
            timings[f"{name}_panel"] = labels
        page = pages["phone"]
        ask(page, "What was the population of Liverpool in 2020?")
        settle(page, 2)
        expect(page.get_by_test_id("stChatMessage").last).to_contain_text("500,474")
        timings["first_answer_s"] = round(time.perf_counter() - started, 2)
        (ARTIFACTS / "issue18-start-up.json").write_text(json.dumps(timings, indent=1))
        shot(page, "issue18-start-up-first-answer-phone")
        for page in pages.values():
            page.context.close()


def test_my_data_and_the_periodic_report_at_phone_and_desktop_width(browser, served_app):
    """A SYNTHETIC demo participant signs in on My data with the reference and secret from the
    README, sees their record as the commons holds it and opts out of commercial use; the
    transparency page gives a quarter's report with its download (issue 14)."""
    from datetime import date
    from guardrails.participants import demo_credentials
    ref, secret = demo_credentials("lupus_commons", 5)
    quarter = f"{date.today().year}-Q{(date.today().month - 1) // 3 + 1}"
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = open_page(browser, f"{served_app}/mydata", viewport)
        expect(body(page)).to_contain_text("participation reference")
        page.get_by_label("Participation reference").fill(ref)
        page.get_by_label("Secret", exact=True).fill(secret)
        page.get_by_role("button", name="Sign in").click()
        idle(page)
        expect(body(page)).to_contain_text("Your record as the commons holds it", timeout=SLOW)
        expect(body(page)).to_contain_text("SYNTHETIC")
        expect(body(page)).to_contain_text(ref)
        expect(body(page)).not_to_contain_text("@example")          # no identifier of the raw contribution
        if name == "desktop":
            field = page.get_by_test_id("stMultiSelect").filter(has_text="Opt out of").locator("input")
            field.click()
            field.press_sequentially("commercial use")
            field.press("Enter")
            page.keyboard.press("Escape")
            idle(page)
            expect(page.get_by_test_id("stMultiSelect").filter(has_text="Opt out of")).to_contain_text("commercial use")
            page.get_by_role("button", name="Save my choices").click()
            idle(page)
            expect(body(page)).to_contain_text("next scheduled refresh", timeout=SLOW)
        else:
            expect(body(page)).to_contain_text("Waiting for the next refresh")
        assert not overflow(page), "My data is wider than the screen"
        full_shot(page, f"issue14-my-data-{name}")
        page.goto(f"{served_app}/transparency")
        idle(page)
        choose(page, "Period", quarter)
        expect(body(page)).to_contain_text("what came of it", timeout=SLOW)
        expect(page.get_by_role("button", name=re.compile("Download this report"))).to_be_visible()
        expect(body(page)).to_contain_text("What participants asked for")
        assert not overflow(page), "the report is wider than the screen"
        full_shot(page, f"issue14-report-{name}")
        page.context.close()


# -- who is missing (issue 15): the view for stewards and members' representatives -----------------
@pytest.mark.parametrize("user,name,viewport", [("priya", "desktop", DESKTOP), ("mo", "phone", PHONE)])
def test_who_is_missing_view_for_a_steward_and_a_members_representative(browser, served_app, user, name, viewport):
    page = open_page(browser, served_app)
    sign_in(page, served_app, user)
    nav(page, "Who is missing")         # the sidebar at desktop width, then the width asked for
    page.set_viewport_size(viewport)
    idle(page)
    expect(body(page)).to_contain_text("Who is missing", timeout=SLOW)
    expect(body(page)).to_contain_text("SYNTHETIC")
    expect(body(page)).to_contain_text("By deprivation decile", timeout=SLOW)
    expect(body(page)).to_contain_text("Reweighted (raked to the census age band and sex margins)")
    expect(page.get_by_test_id("stDataFrame")).to_have_count(4)       # age, sex, decile, reweighted
    assert not overflow(page), "the view is wider than the screen"
    full_shot(page, f"issue15-who-is-missing-region-{name}")
    choose(page, "Place", "Knowsley")
    idle(page)
    expect(body(page)).to_contain_text("in Knowsley", timeout=SLOW)
    expect(body(page)).to_contain_text("not given, because every crossed age band x sex cell")
    full_shot(page, f"issue15-who-is-missing-knowsley-{name}")
    page.context.close()


def test_who_is_missing_is_not_offered_to_a_researcher(browser, served_app):
    page = open_page(browser, served_app)
    sign_in(page, served_app, "rosa")
    expect(page.get_by_test_id("stSidebarNav")).to_contain_text("Projects")
    expect(page.get_by_test_id("stSidebarNav")).not_to_contain_text("Who is missing")
    page.context.close()


@pytest.mark.parametrize("name,viewport", [("desktop", DESKTOP), ("phone", PHONE)])
def test_find_my_area_by_postcode_and_by_town(browser, served_app, name, viewport):
    """Issue 18 point 0: the answer names the neighbourhood a postcode is in, never the postcode;
    a town people use is answered from its neighbourhoods, said to be approximate."""
    page = open_app(browser, served_app, viewport)
    ask(page, "how deprived is my area? my postcode is L4 0TH")
    settle(page, 2)
    last = page.get_by_test_id("stChatMessage").last
    expect(last).to_contain_text("Liverpool 018A")
    expect(last).to_contain_text("Anfield ward")
    expect(body(page)).not_to_contain_text("L4 0TH")        # not in the answer, not in the kept question
    ask(page, "how many people live in Kirkby?")
    settle(page, 4)
    expect(page.get_by_test_id("stChatMessage").last).to_contain_text("Kirkby (town)")
    assert overflow(page) <= 2, f"the answer overflows the {name} width"
    shot(page, f"issue18-find-my-area-{name}")
    page.context.close()


@pytest.mark.parametrize("name,viewport", [("desktop", DESKTOP), ("phone", PHONE)])
def test_a_provider_benchmarks_against_anonymised_peers(browser, served_app, commons_home, name, viewport):
    """Issue 15 point 2, as a provider meets it: signed in as nia (Knowsley CVS), within an approved
    project, 'how does our organisation compare with similar ones?' shows the organisation's own
    figure beside its peers' median and quartiles, and never a peer's name."""
    from assistant.pipeline import Pipeline
    from assistant.stewardship import Stewardship
    from kernel.settings import Settings
    from retrieval import synthetic
    from datetime import timedelta
    p = Pipeline.open(Settings.load(home=commons_home))
    try:       # the demo accounts of the shipped users file: nia asks, vik (the co-op's steward) approves
        st = Stewardship(p)
        nia = p.commons.accounts.sign_in("nia", "demo-nia-2025", "provider", via="evaluation")
        vik = p.commons.accounts.sign_in("vik", "demo-vik-2025", "steward", via="evaluation")
        project = st.submit_project(nia, title=f"Knowsley CVS service planning ({name})", purpose="service_planning",
                                    datasets=["vcse_coop"], lay_summary="How our services compare with other "
                                    "co-op members', to plan next year's sessions.",
                                    end_date=(st.projects.today() + timedelta(days=365)).isoformat(),
                                    commercial="", publication="", publication_due=None)
        st.decide_project(project.id, vik, "approve", "in scope: the co-op's own benchmarking")
        pid = project.id
        assert st.projects.get(pid).state == "approved"
    finally:
        p.close()
    page = signed_in_page(browser, served_app, "nia")
    nav(page, "Ask")
    choose(page, "Project", re.compile(pid))
    page.set_viewport_size(viewport)           # the project chosen, the question asked at this width
    ask(page, "how does our organisation compare with similar ones?")
    settle(page, 2)
    last = page.get_by_test_id("stChatMessage").last
    expect(last).to_contain_text("Knowsley CVS")
    expect(last).to_contain_text("median")
    expect(last).to_contain_text("SYNTHETIC")
    text = last.inner_text()
    peers = [o for o in synthetic.VCSE_ORGS if o != "Knowsley CVS"]
    assert len(peers) == 11 and not any(o in text for o in peers)
    assert overflow(page) <= 2, f"the answer overflows the {name} width"
    shot(page, f"issue15-benchmark-{name}")
    page.context.close()
