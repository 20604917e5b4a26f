"""My requests: the requests this browser sent to a steward, any reference a person enters, and
the references of this browser's answers.  A request's reference works from any browser."""

from __future__ import annotations

import streamlit as st

from assistant.references import find_reference
from ui import session
from ui.components import STATE_TEXT, attempt, get_references, get_transcripts, plain_words, purpose_label

state = st.session_state
references = get_references()
transcripts = get_transcripts()
holder = session.requester()
state.setdefault("my_refs", [])

st.title("My requests")
st.markdown("Requests that need a steward's decision, with their state. **Keep your reference** (it looks like "
            "R-1A2B3C4D): it finds the request again from this or any other browser, and once a steward approves "
            "it you can collect the answer once.")

with st.form("lookup_form", clear_on_submit=False, border=True):
    typed = st.text_input("A reference you were given", key="lookup_ref", placeholder="R-1A2B3C4D or A-1A2B3C4D",
                          max_chars=40)
    looked = st.form_submit_button("Look it up", icon=":material/search:", type="primary")

if looked:
    found = find_reference(typed)
    if not typed.strip():
        st.info("Type the reference you were given first, for example R-1A2B3C4D.", icon=":material/edit_note:")
    elif found is None:
        st.warning("That does not look like a reference. A request's looks like R-1A2B3C4D, an answer's like "
                   "A-1A2B3C4D.", icon=":material/help:")
    elif found.kind == "request":
        ok, req = attempt(references.request, found.ref, holder)
        if not ok:
            st.error(req, icon=":material/error:")
        elif found.ref not in state.my_refs:
            state.my_refs.append(found.ref)
    else:   # an answer (or an error): asked again on the Ask page, for whoever is asking now
        state.pending_question = f"check {found.ref}"
        st.switch_page("app_pages/ask.py")

ok, mine = attempt(references.my_requests, holder)
mine = list(mine) if ok else []
if not ok:
    st.error(mine, icon=":material/error:")
seen = {r.id for r in mine}
for rid in state.my_refs:
    if rid not in seen:
        good, req = attempt(references.request, rid, holder)
        if good:
            mine.insert(0, req)
            seen.add(rid)

st.subheader("Requests")
if not mine:
    st.caption("No requests from this browser yet. A question that needs a steward's decision (for example a "
               "commercial use of person-level data) gives you a reference and shows up here.")
for req in mine:
    with st.container(border=True, key=f"myreq_{req.id}"):
        st.markdown(f"**{req.id}** · {STATE_TEXT.get(req.state, req.state)}")
        st.markdown(plain_words(req.question))
        st.caption(f"Asked {req.created[:16].replace('T', ' ')} as a {req.role}, for {purpose_label(req.purpose)}")
        if req.decision_reason:
            st.caption(f"Steward's reason: {plain_words(req.decision_reason)}")
        if req.state in ("approved", "pending"):
            label = "Collect the answer" if req.state == "approved" else "Check again"
            if st.button(label, key=f"myreq_fetch_{req.id}", icon=":material/download_done:",
                         type="primary" if req.state == "approved" else "secondary"):
                state.pending_fetch = req.id
                st.switch_page("app_pages/ask.py")

st.subheader("Answers")
answers = [t for t in transcripts.answer_turns(session.owner()) if t.get("ref")]
if not answers:
    st.caption("Answers you are given here get a reference (A-…): a link with it asks the same question again "
               "for whoever opens it, with their own role and purpose.")
for t in answers[:20]:
    first = plain_words((t["answer"].get("answer") or "").split("\n")[0])
    st.markdown(f"**{t['ref']}** · {first[:140]}{'…' if len(first) > 140 else ''}")
