"""Ask: a chat with the commons.

The conversation is kept under COMMONS_HOME (assistant/transcripts.py) for this browser (for a
signed-in account, for that account), so a reload shows it again.  A signed-in requester asks
person-level questions within one of their approved projects (its purpose is the purpose).  A reference typed in the chat ("check R-1A2B3C4D") is looked up, not
asked; a link to an answer (``?answer=A-...``) asks its question again for whoever opened it.
"""

from __future__ import annotations

import uuid

import streamlit as st

from assistant import startup
from assistant.references import error_answer, find_reference
from kernel.types import Actor, Question
from ui import session
from ui.components import (attempt, buttons, get_pipeline, get_references, get_stewardship, get_transcripts,
                           plain_words, render_answer)

EXAMPLES = (
    "What was the population of Liverpool in 2020?",
    "How deprived is Knowsley?",
    "Which neighbourhoods in Knowsley are the most deprived?",
)

state = st.session_state
pipeline = get_pipeline()
transcripts = get_transcripts()
references = get_references()
owner = session.owner()
LIMIT = pipeline.settings.max_question_chars

if state.get("history_owner") != owner or not isinstance(state.get("history"), list):
    # A new browser session: this browser's latest conversation, as it was kept.  A sign-in
    # starts a conversation of its own (kept under the account, never shown to the browser), and
    # signing out returns to the browser's: no conversation is carried across either.
    latest = None if session.signed_in() else transcripts.latest_conversation(owner)
    if latest:
        state.conversation_id = latest
    elif state.get("history_owner") is not None or session.signed_in():
        state.conversation_id = uuid.uuid4().hex
    state.history = transcripts.turns(owner, state.conversation_id) if latest else []
    state.history_owner = owner


def queue(text: str) -> None:
    """Button callback: ask ``text`` on this run, in the same conversation."""
    state.pending_question = text


def fetch(review_id: str) -> None:
    """Button callback: check a review request and fetch its answer once it is approved."""
    state.pending_fetch = review_id


def new_conversation() -> None:
    state.conversation_id = uuid.uuid4().hex
    state.history = []


# A shared link or a request link: looked up once, then the address is cleared.
for param in ("answer", "request"):
    link = st.query_params.get(param)
    if link:
        if state.get("_link_done") != link:
            state._link_done = link
            state.pending_question = f"check {link}"
        del st.query_params[param]

st.title("Ask the commons")
st.markdown(
    "Ask in plain language about places in the Liverpool City Region: population, "
    "deprivation and more. Every answer shows its sources, licence and caveats."
)
with st.container(horizontal=True):
    st.button("New conversation", key="new_conversation", icon=":material/add_comment:",
              on_click=new_conversation)
    st.page_link("app_pages/requests.py", label="My requests", icon=":material/receipt_long:")
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


def asking_purpose() -> str:
    """Within a project its purpose is the purpose; otherwise the one chosen in the bar."""
    project = chosen_project()
    return project.purpose if project else session.purpose()


prompt = st.chat_input("Ask about an area, e.g. What was the population of Liverpool in 2020?", key="chat_input")
pending = state.pop("pending_question", None)
pending_fetch = state.pop("pending_fetch", None)
raw = prompt if prompt is not None else (pending or "")
question = raw.strip()
notice = None
if prompt is not None and not question:
    notice = ("Type a question first, for example “What was the population of Liverpool in 2020?”, "
              "or a reference you were given, such as “check R-1A2B3C4D”.")
elif len(raw) > LIMIT:
    notice = (f"That is {len(raw):,} characters; a question can be at most {LIMIT:,}. Nothing was sent. "
              "Shorten it to the question itself (a sentence or two works best) and ask again.")
    question = ""
busy = bool(question or pending_fetch)


def _asker(kept: dict | None) -> Actor | None:
    """Who asked a kept turn: this session's actor when it is the same person (so a signed-in
    requester's review state is read with the live session), else the actor as it was kept."""
    if not kept:
        return None
    now = session.actor()
    return now if now.id == Actor(**kept).id else Actor(**kept)


history = state.history
for i, turn in enumerate(history):
    with st.chat_message(turn["role"]):
        if turn["role"] == "user":
            st.markdown(plain_words(turn["text"]))
        elif "error" in turn:
            st.error(turn["error"])
        else:
            last = i == len(history) - 1 and not busy
            # The review state is shown when nothing is about to change it in this run.
            asker = _asker(turn.get("actor")) if not busy else None
            render_answer(turn["answer"], key=f"t{i}", on_ask=queue, interactive=last,
                          on_fetch=fetch, requester=asker, ref=turn.get("ref"))

if notice:
    st.warning(notice, icon=":material/edit_note:")


def _run(user_text: str, label: str, call) -> None:
    """Show the user's turn, run ``call()`` under a status panel, then show the answer and keep
    both in the transcript.  ``call`` returns (answer, actor, reference or None)."""
    cid = state.conversation_id
    turn = transcripts.add_user(owner, cid, user_text)
    history.append(turn)
    with st.chat_message("user"):
        st.markdown(plain_words(turn["text"]))
    with st.chat_message("assistant"):
        slot = st.empty()
        with slot.status(label, expanded=False) as status:
            ok, out = attempt(call)
            status.update(label="Done" if ok else "Not answered", state="complete" if ok else "error")
        if not ok:           # shown as a message in the chat, never a traceback
            history.append(transcripts.add_error(owner, cid, out))
            slot.error(out)
        else:
            answer, who, ref = out
            slot.empty()
            history.append(transcripts.add_answer(owner, cid, answer.to_dict(), session.kept(who), ref))
            render_answer(history[-1]["answer"], key=f"t{len(history) - 1}", on_ask=queue,
                          on_fetch=fetch, requester=who, ref=ref)
            startup.opening().answer_shown()     # now load the documentation search, once


def _ask(text: str):
    who, project = session.actor(), chosen_project()
    context = references.context(state.conversation_id)
    answer = pipeline.ask(Question(text, who, purpose=asking_purpose(), conversation_id=state.conversation_id,
                                   project=project.id if project else None))
    # Every answer gets a reference (a request has its R- one; an error its E- one in the text).
    ref = transcripts.remember(owner, text, context) if answer.status not in ("needs_review", "error") else None
    return answer, who, ref


def _look_up(lookup):
    who = session.requester()
    if lookup.kind == "request":
        return references.collect(lookup.ref, who), who, None
    if lookup.kind == "error":
        return error_answer(lookup.ref), who, None
    # The same question in the same context: the reference stays the same (it names the question).
    project = chosen_project()
    _, answer = references.rerun(lookup.ref, session.actor(), asking_purpose(), state.conversation_id,
                                 project=project.id if project else None)
    return answer, session.actor(), lookup.ref if answer.status not in ("needs_review", "error") else None


if question:
    lookup = find_reference(question)
    if lookup is not None:
        shared = transcripts.answer_ref(lookup.ref) if lookup.kind == "answer" else None
        said = (f"{shared.question} (asked again from {lookup.ref})" if shared else
                f"Check {'request' if lookup.kind == 'request' else 'reference'} {lookup.ref}")
        _run(said, f"Looking up {lookup.ref}…", lambda: _look_up(lookup))
    else:
        _run(question, "Planning and running your question…", lambda: _ask(question))
elif pending_fetch:
    _run(f"Check request {pending_fetch}", f"Checking request {pending_fetch}…",
         lambda: (references.collect(pending_fetch, session.requester()), session.requester(), None))
