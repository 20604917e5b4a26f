"""A recorded chat model: replays model outputs kept in eval/suites/llm_recorded.jsonl.

Each line maps a question (as asked) to the text a model returned for it.  The prompt the
LLM planner builds ends with the question, so the recorded model looks that up; a question
with no recording gets ``{"answerable": false}`` (the pipeline then keeps the rule
planner's outcome).  No network, deterministic: used by ``commons eval --llm recorded``
and by tests.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

RECORDED = Path(__file__).resolve().parent / "suites" / "llm_recorded.jsonl"
UNANSWERABLE = '{"answerable": false}'


def key(question: str) -> str:
    return " ".join(re.sub(r"[^\w%&'-]+", " ", question.lower()).split())


def load_recorded(path: Path = RECORDED) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            case = json.loads(line)
            out[key(case["question"])] = case["response"]
    return out


def question_of(prompt: str) -> str:
    """The question at the end of an LLM-planner prompt (after the last 'QUESTION:')."""
    head, sep, tail = prompt.rpartition("QUESTION:\n")
    if not sep:
        return prompt
    return tail.split("\n\nRELEASED TABLE", 1)[0].strip()


class RecordedChatModel(BaseChatModel):
    """Replays recorded responses keyed by the question in the prompt."""

    responses: dict[str, str]
    default: str = UNANSWERABLE
    calls: list[str] = []

    @property
    def _llm_type(self) -> str:
        return "recorded"

    @property
    def model(self) -> str:
        return "recorded:llm_recorded.jsonl"

    def _generate(self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs: Any) -> ChatResult:
        prompt = str(messages[-1].content)
        q = question_of(prompt)
        self.calls.append(q)
        text = self.responses.get(key(q), self.default)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    @classmethod
    def from_file(cls, path: Path = RECORDED) -> "RecordedChatModel":
        return cls(responses=load_recorded(path), calls=[])
