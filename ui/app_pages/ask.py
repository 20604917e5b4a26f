"""Ask: a chat with the commons.  One conversation id per browser session."""

from __future__ import annotations

import uuid

import streamlit as st

from assistant.types import ROLES, Actor, Question
from ui.components import PURPOSES, buttons, error_message, get_pipeline, render_answer

EXAMPLES = (
    "What was the population of Liverpool in 2020?",
    "How deprived is Knowsley?",
    "Which neighbourhoods in Knowsley are the most deprived?",
)

state = st.session_state
state.setdefault("conversation_id", uuid.uuid4().hex)
state.setdefault("user_id", "web-" + uuid.uuid4().hex[:8])
state.setdefault("history", [])


def queue(text: str) -> None:
    """Button callback: ask ``text`` on this run, in the same conversation."""
    state.pending_question = text


def new_conversation() -> None:
    state.conversation_id = uuid.uuid4().hex
    state.history = []


with st.sidebar:
    st.caption("Who you are and why you ask decide which data the commons may show you.")
    st.selectbox("I am asking as a", ROLES, index=ROLES.index("resident"), key="role",
                 format_func=str.capitalize)
    st.selectbox("Purpose", list(PURPOSES), key="purpose",
                 format_func=lambda p: PURPOSES[p].label[:1].upper() + PURPOSES[p].label[1:])
    st.button("New conversation", key="new_conversation", icon=":material/add_comment:",
              on_click=new_conversation)

st.title("Ask the commons")
st.markdown(
    "Ask in plain language about places in the Liverpool City Region: population, "
    "deprivation and more. Every answer shows its sources, licence and caveats."
)
buttons(EXAMPLES, "example", queue, icon=":material/lightbulb:")

prompt = st.chat_input(
    "Ask about an area, e.g. What was the population of Liverpool in 2020?",
    key="chat_input", max_chars=get_pipeline().settings.max_question_chars,
)
pending = state.pop("pending_question", None)
question = (prompt or pending or "").strip()

history = state.history
for i, turn in enumerate(history):
    with st.chat_message(turn["role"]):
        if turn["role"] == "user":
            st.markdown(turn["text"])
        elif "error" in turn:
            st.error(turn["error"])
        else:
            last = i == len(history) - 1 and not question
            render_answer(turn["answer"], key=f"t{i}", on_ask=queue, interactive=last)

if question:
    history.append({"role": "user", "text": question})
    with st.chat_message("user"):
        st.markdown(question)
    with st.chat_message("assistant"):
        slot = st.empty()
        try:
            with slot.status("Planning and running your question…"):
                answer = get_pipeline().ask(Question(
                    question,
                    Actor(id=state.user_id, role=state.role),
                    purpose=state.purpose,
                    conversation_id=state.conversation_id,
                ))
        except Exception as exc:  # shown as a message in the chat, never a traceback
            history.append({"role": "assistant", "error": error_message(exc)})
            slot.error(history[-1]["error"])
        else:
            slot.empty()
            history.append({"role": "assistant", "answer": answer.to_dict()})
            render_answer(history[-1]["answer"], key=f"t{len(history) - 1}", on_ask=queue)
