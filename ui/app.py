"""Commons Assistant: the Streamlit entry file (router and sidebar; pages live in app_pages/).

Anyone asks as an anonymous resident.  The Projects, Members' panel and Steward desk pages are
registered only for a session whose signed-in account holds the role (see ui/session.py);
before anyone has signed in the menu has a Sign in page instead.
"""

from __future__ import annotations

import sys
from importlib.metadata import entry_points
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run ui/app.py` puts only ui/ on the path
    sys.path.insert(0, str(ROOT))

from ui import session  # noqa: E402
from ui.components import attempt, get_pipeline, purpose_label  # noqa: E402

st.set_page_config(page_title="Commons Assistant", page_icon=":material/forum:", layout="wide")

# Phone widths: less padding, wrapped chat, tables scroll inside their own box.
st.html("""<style>
@media (max-width: 640px) {
  .block-container, [data-testid="stMainBlockContainer"] { padding: 3.5rem 0.75rem 5rem 0.75rem; }
  [data-testid="stChatMessage"] { padding: 0.5rem 0.25rem; gap: 0.5rem; }
  [data-testid="stChatMessageAvatarUser"], [data-testid="stChatMessageAvatarAssistant"] { display: none; }
  h1 { font-size: 1.6rem !important; }
  [data-testid="stDataFrame"], [data-testid="stVegaLiteChart"] { max-width: 100%; overflow-x: auto; }
}
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
         if "steward" in signed_in.roles else []))
PAGES = [
    st.Page("app_pages/ask.py", title="Ask", icon=":material/chat:", default=True),
    st.Page("app_pages/datasets.py", title="Datasets", icon=":material/dataset:", url_path="datasets"),
    st.Page("app_pages/contribute.py", title="Contribute", icon=":material/upload_file:", url_path="contribute"),
    *ACCOUNT_PAGES,
    st.Page("app_pages/transparency.py", title="How your data is used", icon=":material/visibility:",
            url_path="transparency"),
]
# Pages other packages add (eval/ adds Evaluate) through the commons.pages entry point.
PAGES += [st.Page(page["path"], title=page["title"], icon=page["icon"], url_path=page["url_path"])
          for page in (ep.load() for ep in entry_points(group="commons.pages"))]


def _sidebar() -> None:
    with st.sidebar:
        s = session.signed_in()
        if s:
            st.success(f"Signed in as **{s.name}** ({s.actor.org or 'no organisation'})",
                       icon=":material/verified_user:")
            st.selectbox("Acting as", s.roles, key="role", format_func=str.capitalize)
            purposes = ("stewardship", *session.PUBLIC_PURPOSES) if session.role() == "steward" else \
                session.PUBLIC_PURPOSES
            st.selectbox("Purpose", purposes, key="purpose", format_func=purpose_label)

            def _out():
                session.sign_out(get_pipeline().commons.accounts)
                if s.via == "identity provider":
                    st.logout()

            st.button("Sign out", key="sign_out", on_click=_out, icon=":material/logout:")
        else:
            st.caption("You are asking as a resident (anonymously): open data. Providers, researchers, "
                       "commercial users, stewards and member representatives sign in.")
            st.selectbox("Purpose", session.PUBLIC_PURPOSES, key="purpose", format_func=purpose_label)


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
    _sidebar()
    with st.spinner("Preparing the commons (the first run builds the data store)…"):
        get_pipeline()
    page.run()


# The one boundary around every page: whatever a page raises is shown as a message with a
# reference, never a traceback (Streamlit's stop and rerun signals pass through).
ok, problem = attempt(_run)
if not ok:
    st.error(problem, icon=":material/error:")
