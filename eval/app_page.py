"""Evaluate: run the evaluation suites against the live pipeline; metrics, charts, failures.

A page the app finds through the ``commons.pages`` entry point (``PAGE`` in eval/pages.py):
the product never imports ``eval``."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from eval import registry
from ui.components import attempt, get_pipeline

state = st.session_state
st.title("Evaluate")
st.markdown("Run the commons' evaluation suites against the assistant as it is running now. "
            "Each suite reports its metrics and every failed case with its details.")

names = list(registry.SUITES)
name = st.selectbox("Suite", names, key="eval_suite", format_func=lambda n: registry.SUITES[n].title)
suite = registry.SUITES[name]
st.caption(suite.description)
ok, why = registry.available(name)
if not ok:
    st.info(f"The {name} suite is {why}.", icon=":material/hourglass_empty:")

if st.button("Run the suite", key="eval_run", type="primary", disabled=not ok, icon=":material/play_arrow:"):
    with st.status(f"Running the {name} suite…", expanded=False) as status:
        ok, out = attempt(registry.run, name, get_pipeline())
        if ok:
            state[f"eval_result_{name}"] = out
            status.update(label="Finished", state="complete")
        else:
            status.update(label="The suite could not run", state="error")
            st.error(out)

result = state.get(f"eval_result_{name}")
if not result:
    st.stop()
if not result.get("available"):
    st.info(f"The {name} suite is {result.get('reason', 'not available')}.")
    st.stop()

metrics = result["metrics"]
headline = [(k, v) for k, v in metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
st.subheader("Metrics")
if headline:
    per_row = 4
    for i in range(0, len(headline), per_row):
        cols = st.columns(per_row)
        for col, (k, v) in zip(cols, headline[i:i + per_row]):
            col.metric(k.replace("_", " "), f"{v:,.4g}" if isinstance(v, float) else f"{v:,}")
other = {k: v for k, v in metrics.items() if (k, v) not in headline}
if other:
    st.dataframe(pd.DataFrame([{"Metric": k, "Value": str(v)} for k, v in other.items()]), hide_index=True,
                 width="stretch", key="eval_other")
if "elapsed_s" in result:
    st.caption(f"Ran in {result['elapsed_s']} s.")


def _chart(title: str, data: dict) -> None:
    """A bar chart of a breakdown: {key: number} or {key: {metric: number}}."""
    rows = []
    for k, v in data.items():
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            rows.append({"Item": str(k), "Value": v})
        elif isinstance(v, dict):
            for metric in ("accuracy_pct", "f1", "recall", "precision", "passed"):
                if isinstance(v.get(metric), (int, float)):
                    rows.append({"Item": str(k), "Value": v[metric], "Metric": metric})
                    break
    if not rows:
        return
    st.markdown(f"**{title.replace('_', ' ').capitalize()}**" +
                (f" ({rows[0]['Metric'].replace('_', ' ')})" if "Metric" in rows[0] else ""))
    st.bar_chart(pd.DataFrame(rows), x="Item", y="Value", horizontal=True, x_label="", y_label="")
    flat = [{"Item": k, **v} if isinstance(v, dict) else {"Item": k, "Value": v} for k, v in data.items()]
    with st.expander(f"{title.replace('_', ' ').capitalize()}: the numbers"):
        st.dataframe(pd.DataFrame(flat).astype(str), hide_index=True, width="stretch")


for title, data in result.get("breakdowns", {}).items():
    if isinstance(data, dict) and data:
        _chart(title, data)

failures = result.get("failures") or []
st.subheader(f"Failures ({len(failures)})")
if not failures:
    st.success("Every case passed.", icon=":material/check_circle:")
else:
    cols = [c for c in ("id", "question", "status", "expected_status", "detail", "kind", "entity", "text")
            if any(c in f for f in failures)]
    st.dataframe(pd.DataFrame([{c: str(f.get(c, "")) for c in cols} for f in failures]), hide_index=True,
                 width="stretch", key="eval_failures")
    for i, f in enumerate(failures[:50]):
        label = f.get("id") or f.get("question") or f.get("text") or f"failure {i + 1}"
        with st.expander(f"{label}: {str(f.get('detail') or f.get('kind') or '')[:80]}"):
            st.code(json.dumps(f, indent=1, ensure_ascii=False, default=str), language="json")
