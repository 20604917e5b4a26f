"""Evaluations through the JSON API: ``commons eval --suite redteam --api`` (or ``public``).

``serving(pipeline)`` runs the real API (``assistant.api``, uvicorn) on a free port on
127.0.0.1 over the evaluation's own pipeline; ``ApiPipeline`` then stands in for the
pipeline in the suite runners: every question is an HTTP ``POST /api/v1/ask`` with a token
made by the case's signed-in account for its role (the role travels in the token, never in
the request; the case's approved project, if any, in the body), and a requester's review
status and fetch go through ``/api/v1/reviews``.  A token is made only by an actor carrying a
live sign-in (``eval.grants`` signs the harness's throwaway accounts in with their password):
a hand-built actor claiming a role gets no token, which stops it as the pipeline would.  An
anonymous resident's questions go with a resident token of a throwaway account.  Stewards' decisions
stay at the steward desk (in process, on the same governance store).  The runners score
what comes back over HTTP with the same rules and gates.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from contextlib import contextmanager
from typing import Iterator

import httpx
import uvicorn

from assistant.api import create_app
from assistant.stewardship import Stewardship
from eval import grants
from guardrails import govdb
from guardrails.auth import USER_ID
from guardrails.tokens import Tokens
from kernel.errors import ReviewError
from kernel.types import Actor, Question


class HttpAnswer:
    """An answer as it came over HTTP (what the runners read: ``status`` and ``to_dict()``)."""

    def __init__(self, data: dict):
        self._data = data
        self.status = data.get("status")
        self.review_id = data.get("review_id")
        self.answer = data.get("answer") or ""

    def to_dict(self) -> dict:
        return dict(self._data)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(pipeline, stewardship: Stewardship | None = None) -> Iterator[str]:
    """The API over ``pipeline`` on 127.0.0.1 (a uvicorn server in a thread); yields its URL."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(pipeline, stewardship=stewardship), host="127.0.0.1",
                                           port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, name="commons-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the API server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class ApiPipeline:
    """The pipeline as the runners use it, but every question asked over HTTP."""

    def __init__(self, pipeline, url: str):
        self.pipeline, self.url = pipeline, url
        self.tokens = Tokens(govdb.target(pipeline.settings), pipeline.commons.accounts)
        self._secrets: dict[tuple[str, str], str] = {}
        self._http = httpx.Client(base_url=url, timeout=300)
        self.calls = 0

    settings = property(lambda self: self.pipeline.settings)
    sheets = property(lambda self: self.pipeline.sheets)

    def token(self, actor: Actor) -> str:
        """The secret of a token made by ``actor``'s account for its role (AuthError, a
        CommonsError, when the actor carries no live sign-in for that role)."""
        key = (actor.id, actor.role)
        if key not in self._secrets:
            if actor.role == "resident":
                uid = actor.id if actor.id != "anonymous" and USER_ID.match(actor.id) else "api-anonymous"
                actor = grants.signed_in(self.pipeline.commons, uid, "provider")
                role = "resident"
            else:
                role = actor.role
            self._secrets[key] = self.tokens.create(actor, role, note="evaluation").secret
        return self._secrets[key]

    def request(self, method: str, path: str, actor: Actor, headers_extra: dict | None = None,
                **kw) -> httpx.Response:
        self.calls += 1
        headers = {"Authorization": f"Bearer {self.token(actor)}", **(headers_extra or {})}
        return self._http.request(method, path, headers=headers, **kw)

    def ask(self, question: Question) -> HttpAnswer:
        body = {"question": question.text, "purpose": question.purpose}
        if question.conversation_id:
            body["conversation"] = question.conversation_id
        if question.project:
            body["project"] = question.project
        # JSON escapes every non-ASCII character (a lone surrogate in an attack's text too), as
        # any HTTP client must send text that is not valid UTF-8
        r = self.request("POST", "/api/v1/ask", question.actor, content=json.dumps(body, ensure_ascii=True),
                         headers_extra={"Content-Type": "application/json"})
        data = r.json()
        if "status" not in data:            # refused before the pipeline (401, 413, 422, 429): nothing answered
            data = {"status": "refused", "answer": data.get("error", ""), "http_status": r.status_code}
        return HttpAnswer(data)

    def close(self) -> None:
        self._http.close()


class ApiStewardship(Stewardship):
    """Stewardship whose requester side (status, fetch) goes through the API."""

    def __init__(self, api: ApiPipeline):
        super().__init__(api.pipeline)
        self.api = api

    def review_status(self, review_id: str, actor: Actor):
        if actor.role == "steward":
            return super().review_status(review_id, actor)
        r = self.api.request("GET", f"/api/v1/reviews/{review_id}", actor)
        if r.status_code != 200:
            raise ReviewError(r.json().get("error", f"HTTP {r.status_code}"))
        return self.commons.reviews.get(review_id)

    def fetch_review(self, review_id: str, actor: Actor):
        if actor.role == "steward":
            return super().fetch_review(review_id, actor)
        r = self.api.request("POST", f"/api/v1/reviews/{review_id}/fetch", actor)
        if r.status_code in (403, 404, 409):
            raise ReviewError(r.json().get("error", f"HTTP {r.status_code}"))
        return HttpAnswer(r.json())
