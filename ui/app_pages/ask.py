"""Ask: a chat with the commons.  One conversation id per browser session."""

from __future__ import annotations

import uuid
from dataclasses import asdict

import streamlit as st

from kernel.types import Actor, Question
from ui import session
from ui.components import attempt, buttons, get_pipeline, get_stewardship, render_answer

EXAMPLES = (
    "What was the population of Liverpool in 2020?",
    "How deprived is Knowsley?",
    "Which neighbourhoods in Knowsley are the most deprived?",
)

state = st.session_state
state.setdefault("history", [])


def queue(text: str) -> None:
    """Button callback: ask ``text`` on this run, in the same conversation."""
    state.pending_question = text


def fetch(review_id: str) -> None:
    """Button callback: check a review request and fetch its answer once it is approved."""
    state.pending_fetch = review_id


def new_conversation() -> None:
    state.conversation_id = uuid.uuid4().hex
    state.history = []


with st.sidebar:
    st.button("New conversation", key="new_conversation", icon=":material/add_comment:",
              on_click=new_conversation)

st.title("Ask the commons")
st.markdown(
    "Ask in plain language about places in the Liverpool City Region: population, "
    "deprivation and more. Every answer shows its sources, licence and caveats."
)
buttons(EXAMPLES, "example", queue, icon=":material/lightbulb:")

# A signed-in requester asks person-level questions within one of their approved projects.
projects = {}
if session.signed_in() is not None and session.role() in session.REQUESTER_ROLES:
    ok, mine = attempt(get_stewardship().my_projects, session.actor(), "approved")
    projects = {p.id: p for p in (mine if ok else [])}
    st.selectbox("Project (person-level data is answered only within an approved project)", ["", *projects],
                 key="project", format_func=lambda pid: f"{pid} · {projects[pid].title} ({projects[pid].purpose_label})"
                 if pid else "No project: open data only")
    if not projects:
        st.caption("You have no approved project yet (see Projects).")


def chosen_project():
    pid = state.get("project")
    return projects.get(pid) if pid else None

prompt = st.chat_input(
    "Ask about an area, e.g. What was the population of Liverpool in 2020?",
    key="chat_input", max_chars=get_pipeline().settings.max_question_chars,
)
pending = state.pop("pending_question", None)
pending_fetch = state.pop("pending_fetch", None)
question = (prompt or pending or "").strip()
busy = bool(question or pending_fetch)

history = state.history
for i, turn in enumerate(history):
    with st.chat_message(turn["role"]):
        if turn["role"] == "user":
            st.markdown(turn["text"])
        elif "error" in turn:
            st.error(turn["error"])
        else:
            last = i == len(history) - 1 and not busy
            # The review state is shown when nothing is about to change it in this run.
            asker = Actor(**turn["actor"]) if turn.get("actor") and not busy else None
            render_answer(turn["answer"], key=f"t{i}", on_ask=queue, interactive=last,
                          on_fetch=fetch, requester=asker)


def _run(user_text: str, label: str, call) -> None:
    """Show the user's turn, run ``call()`` under a status panel, then show the answer."""
    history.append({"role": "user", "text": user_text})
    with st.chat_message("user"):
        st.markdown(user_text)
    with st.chat_message("assistant"):
        slot = st.empty()
        with slot.status(label, expanded=False) as status:
            ok, out = attempt(call)
            status.update(label="Done" if ok else "Not answered", state="complete" if ok else "error")
        if not ok:           # shown as a message in the chat, never a traceback
            history.append({"role": "assistant", "error": out})
            slot.error(out)
        else:
            answer, who = out
            slot.empty()
            history.append({"role": "assistant", "answer": answer.to_dict(), "actor": asdict(who)})
            render_answer(history[-1]["answer"], key=f"t{len(history) - 1}", on_ask=queue,
                          on_fetch=fetch, requester=who)


if question:
    def _ask():
        who, project = session.actor(), chosen_project()
        return get_pipeline().ask(Question(question, who, purpose=project.purpose if project else session.purpose(),
                                           conversation_id=state.conversation_id,
                                           project=project.id if project else None)), who
    _run(question, "Planning and running your question…", _ask)
elif pending_fetch:
    def _fetch():
        who = session.requester()
        return get_stewardship().fetch_review(pending_fetch, who), who
    _run(f"Check request {pending_fetch}", f"Checking request {pending_fetch}…", _fetch)
