"""Commons Assistant: the Streamlit entry file (router, who-is-asking bar; pages live in app_pages/).

Anyone asks as an anonymous resident, known by this browser's identity (ui/session.py).  The
Projects, Members' panel, Steward desk and Who is missing pages are registered only for a session
whose signed-in account holds the role; before anyone has signed in the menu has a Sign in page instead.  Who is
asking (the signed-in account and its role, or "resident, not signed in" with a way to sign in)
and why is shown in a bar at the top of every page, so a phone reaches it without the sidebar.
Nothing is fetched from outside: the page icon is a file shipped here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run ui/app.py` puts only ui/ on the path
    sys.path.insert(0, str(ROOT))

from ui import session  # noqa: E402
from ui.components import attempt, get_pipeline, open_commons, plugin_pages, purpose_label  # noqa: E402

ICON = Path(__file__).resolve().parent / "static" / "icon.png"
st.set_page_config(page_title="Commons Assistant", page_icon=str(ICON), layout="wide")

# Phone widths: less padding, wrapped chat, tables and charts inside their own box.
st.html("""<style>
@media (max-width: 640px) {
  .block-container, [data-testid="stMainBlockContainer"] { padding: 3.5rem 0.75rem 5rem 0.75rem; }
  [data-testid="stChatMessage"] { padding: 0.5rem 0.25rem; gap: 0.5rem; }
  [data-testid="stChatMessageAvatarUser"], [data-testid="stChatMessageAvatarAssistant"] { display: none; }
  h1 { font-size: 1.6rem !important; }
  [data-testid="stDataFrame"], [data-testid="stVegaLiteChart"] { max-width: 100%; overflow-x: auto; }
}
.st-key-who_bar button p { white-space: normal; text-align: left; }
</style>""")

session.init()
signed_in = session.signed_in()
if signed_in is None:
    ACCOUNT_PAGES = [st.Page("app_pages/steward_signin.py", title="Sign in", icon=":material/login:",
                             url_path="signin")]
else:
    ACCOUNT_PAGES = (
        ([st.Page("app_pages/projects.py", title="Projects", icon=":material/assignment:", url_path="projects")]
         if set(signed_in.roles) & set(session.REQUESTER_ROLES) else []) +
        ([st.Page("app_pages/panel.py", title="Members' panel", icon=":material/how_to_vote:", url_path="panel")]
         if "member" in signed_in.roles else []) +
        ([st.Page("app_pages/steward.py", title="Steward desk", icon=":material/verified_user:", url_path="steward")]
         if "steward" in signed_in.roles else []) +
        ([st.Page("app_pages/missing.py", title="Who is missing", icon=":material/groups:", url_path="missing")]
         if set(signed_in.roles) & {"steward", "member"} else []))
PAGES = [
    st.Page("app_pages/ask.py", title="Ask", icon=":material/chat:", default=True),
    st.Page("app_pages/requests.py", title="My requests", icon=":material/receipt_long:", url_path="requests"),
    st.Page("app_pages/datasets.py", title="Datasets", icon=":material/dataset:", url_path="datasets"),
    st.Page("app_pages/contribute.py", title="Contribute", icon=":material/upload_file:", url_path="contribute"),
    *ACCOUNT_PAGES,
    st.Page("app_pages/mydata.py", title="My data", icon=":material/badge:", url_path="mydata"),
    st.Page("app_pages/transparency.py", title="How your data is used", icon=":material/visibility:",
            url_path="transparency"),
]
# Pages other packages add (eval/ adds Evaluate) through the commons.pages entry point.
PAGES += [st.Page(page["path"], title=page["title"], icon=page["icon"], url_path=page["url_path"])
          for page in plugin_pages()]


def _who_bar() -> None:
    """Who is asking and why, at the top of every page (a popover, so it fits a phone).  A role
    other than resident comes only from a signed-in account; there is no role picker otherwise."""
    with st.container(horizontal=True, key="who_bar", vertical_alignment="center"):
        s = session.signed_in()
        if s:
            # within a project its purpose is the purpose (the Ask page's Project field)
            why = f"within project {session.project_id()}" if session.project_id() else \
                purpose_label(session.purpose())
            with st.popover(f"Signed in as {s.name} ({session.role()}) · {why}",
                            icon=":material/verified_user:"):
                st.caption(f"{s.name}, {s.actor.org or 'no organisation'}. The roles this account holds "
                           "decide which data the commons may show you.")
                st.selectbox("Acting as", s.roles, key="role", format_func=str.capitalize)
                purposes = ("stewardship", *session.PUBLIC_PURPOSES) if session.role() == "steward" else \
                    session.PUBLIC_PURPOSES
                st.selectbox("Purpose", purposes, key="purpose", format_func=purpose_label)
                if session.project_id():
                    st.caption(f"Questions asked within {session.project_id()} use the project's own purpose; "
                               "this one is for questions asked without a project.")

                def _out():
                    session.sign_out(get_pipeline().commons.accounts)
                    if s.via == "identity provider":
                        st.logout()

                st.button("Sign out", key="sign_out", on_click=_out, icon=":material/logout:")
        else:
            if session.participant() is not None:
                st.caption(f"Signed in on My data as participant {session.participant().id.upper()}; the chat "
                           "asks as a resident.")
            with st.popover(f"Asking as a resident, not signed in · {purpose_label(session.purpose())}",
                            icon=":material/person:"):
                st.caption("You are asking as a resident, anonymously: open data. Providers, researchers, "
                           "commercial users, stewards and member representatives sign in.")
                st.selectbox("Purpose", session.PUBLIC_PURPOSES, key="purpose", format_func=purpose_label)
            st.page_link(ACCOUNT_PAGES[0], label="Sign in", icon=":material/login:")


def _landing():
    """The page a fresh sign-in opens: the desk for a steward, the panel for a member, else Ask."""
    for title in ("Steward desk", "Members' panel"):
        found = next((p for p in ACCOUNT_PAGES if p.title == title), None)
        if found is not None:
            return found
    return PAGES[0]


def _run() -> None:
    page = st.navigation(PAGES)
    if st.session_state.pop(session.LANDING, False) and signed_in is not None:
        st.switch_page(_landing())
    _who_bar()
    open_commons()
    session.write_cookie(get_pipeline().settings.transcript_retention_days)
    page.run()


# The one boundary around every page: whatever a page raises is shown as a message with a
# reference, never a traceback (Streamlit's stop and rerun signals pass through).
ok, problem = attempt(_run)
if not ok:
    st.error(problem, icon=":material/error:")
