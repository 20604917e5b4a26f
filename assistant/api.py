"""The JSON API (``commons serve``): the commons over HTTP for other systems.

    POST /api/v1/ask                          {"question", "purpose"?, "project"?, "conversation"?}
                                              -> the JSON of ``commons ask --json`` (+
                                              "conversation"); 202 when a steward must review it
                                              (with review_id)
    GET  /api/v1/datasets                     the catalogue
    GET  /api/v1/datasets/{id}                a datasheet, sections hidden from roles it restricts
    GET  /api/v1/datasets/{id}/data.csv       an OPEN dataset's file as published, with its
                                              licence and attribution in the response headers
    GET  /api/v1/transparency/{id}            how a dataset has been used (disclosure-controlled)
    GET  /api/v1/reviews/{id}                 a review request's state (the token's own requests)
    POST /api/v1/reviews/{id}/fetch           the approved answer, once
    GET  /api/v1/openapi.json, /api/v1/docs   the schema; GET /api/v1/health

Every call needs ``Authorization: Bearer <token>`` (``guardrails.tokens``: a token is made by an
account that signed in with its password, acts in one role the account holds and holds scopes);
the role is the token's, never a field of the request (a body with a ``role`` is rejected, 422).
Each call acts as the token's account with a session of its own (``Accounts.for_token``), so the
pipeline's sign-in check is the CLI's; a person-level question is answered only within an
approved project of that account (``project`` in the body; its purpose is the purpose), the
same gate as ``commons ask --project``.  Bodies over ``api_max_body_bytes``
get 413, more than ``api_rate_per_min`` calls a minute per token get 429.  Questions go
through the same ``Pipeline.ask`` as the CLI and the app (screening, policy, checked SQL,
disclosure control, outbound scan, audit); every call, refused ones included, is one
``api_call`` audit record (token id, account, role, route, HTTP status, and the question's
own audit id).  Conversation ids are the caller's, kept apart per account.
"""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from assistant.pipeline import Pipeline, new_conversation_id
from assistant.stewardship import Stewardship
from guardrails import govdb, policy
from guardrails.tokens import AuthError, ScopeError, Token, Tokens
from kernel.errors import CommonsError, ReviewError
from kernel.text import same_person
from kernel.types import Actor, GuardedAnswer, Question
from retrieval.datasheets import Datasheet

API = "/api/v1"
CONVERSATION = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
SECTIONS = ("description", "publisher", "steward", "licence", "source", "methodology", "caveats", "measures",
            "policy")


class AskBody(BaseModel):
    """A question. No role: the token's role is the one used."""

    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, description="the question, in plain language")
    purpose: str | None = Field(None, description="why it is asked (e.g. health_research); default personal, "
                                "or the project's purpose")
    project: str | None = Field(None, description="an approved project of the token's account (P-...): needed "
                                "for person-level data")
    conversation: str | None = Field(None, description="an id of yours; follow-ups with the same id carry context")


class _RateLimiter:
    """A token bucket per API token: ``per_min`` calls, refilled continuously."""

    def __init__(self, per_min: int):
        self.per_min = max(1, per_min)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 when the call may go ahead, else the seconds until it may."""
        now = time.monotonic()
        rate = self.per_min / 60.0
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.per_min), now))
            tokens = min(float(self.per_min), tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return (1.0 - tokens) / rate
            self._buckets[key] = (tokens - 1.0, now)
            return 0.0


class _BodyLimit:
    """ASGI middleware: a request body over ``limit`` bytes is answered 413 before it is read
    whole (declared length, or counted as it streams)."""

    def __init__(self, app, limit: int, audit):
        self.app, self.limit, self.audit = app, limit, audit

    async def _refuse(self, scope, receive, send):
        self.audit("api_call", route=scope.get("path"), method=scope.get("method"), status_code=413, token=None,
                   actor=None, role=None, error="request body too large")
        await _too_large(self.limit)(scope, receive, send)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            return await self._refuse(scope, receive, send)
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._refuse(scope, receive, send)


class _TooLarge(Exception):
    pass


class _Refused(Exception):
    """A call refused (401, 403, 404, 409, 429...): ``response`` is what the caller gets."""

    def __init__(self, response: JSONResponse):
        super().__init__(response.status_code)
        self.response = response


def _too_large(limit: int) -> JSONResponse:
    return JSONResponse({"error": f"The request body is larger than {limit} bytes "
                                  "(COMMONS_API_MAX_BODY_BYTES)."}, status_code=413)


def answer_json(answer: GuardedAnswer) -> dict[str, Any]:
    """What ``commons ask --json`` prints for an answer."""
    d = answer.to_dict()
    d.pop("plan", None)
    return d


def datasheet_json(sheet: Datasheet, role: str) -> dict[str, Any]:
    """A datasheet as the Datasets page shows it to ``role``: a section the datasheet restricts
    to other roles is replaced by the roles that may see it."""
    sections: dict[str, Any] = {
        "description": sheet.description,
        "publisher": sheet.publisher,
        "steward": {"name": sheet.steward.name, "contact": sheet.steward.contact},
        "licence": {"name": sheet.licence.name, "url": sheet.licence.url, "attribution": sheet.licence.attribution},
        "source": sheet.source_url,
        "methodology": sheet.methodology,
        "caveats": list(sheet.caveats),
        "measures": [{"id": m.id, "label": m.label, "description": m.description, "unit": m.unit}
                     for m in sheet.measures],
        "policy": sheet.policy.model_dump(mode="json"),
    }
    out: dict[str, Any] = {"id": sheet.id, "title": sheet.title, "sensitivity": sheet.sensitivity,
                           "synthetic": sheet.synthetic,
                           "geography": {"level": sheet.geography.level, "vintage": sheet.geography.vintage},
                           "time": sheet.time.period or sheet.time.label,
                           "dimensions": [{"column": d.column, "label": d.label} for d in sheet.dimensions]}
    for name in SECTIONS:
        if sheet.section_visible(name, role):
            out[name] = sections[name]
        else:
            out[name] = {"restricted_to": list(sheet.section_roles(name) or ())}
    return out


def catalogue_json(sheet: Datasheet) -> dict[str, Any]:
    return {"id": sheet.id, "title": sheet.title, "publisher": sheet.publisher, "sensitivity": sheet.sensitivity,
            "synthetic": sheet.synthetic, "licence": sheet.licence.name,
            "data_csv": f"{API}/datasets/{sheet.id}/data.csv" if sheet.sensitivity == "open" else None}


def create_app(pipeline: Pipeline, tokens: Tokens | None = None, stewardship: Stewardship | None = None) -> FastAPI:
    """The API over one opened pipeline (``commons serve`` makes one per process)."""
    settings = pipeline.settings
    tokens = tokens or Tokens(govdb.target(settings), pipeline.commons.accounts)
    stewardship = stewardship or Stewardship(pipeline)
    limiter = _RateLimiter(settings.api_rate_per_min)
    app = FastAPI(title="Commons Assistant API", version="1", openapi_url=f"{API}/openapi.json",
                  docs_url=f"{API}/docs", redoc_url=None,
                  description="Governed answers from the data commons. Every call needs a bearer token.")

    def audit(request: Request, token: Token | None, status: int, **extra) -> None:
        pipeline.audit.append("api_call", route=request.scope.get("route").path if request.scope.get("route")
                              else request.url.path, method=request.method, status_code=status,
                              token=token.id if token else None, actor=token.account if token else None,
                              role=token.role if token else None, **extra)

    def refuse(request: Request, token: Token | None, status: int, message: str,
               headers: dict | None = None) -> _Refused:
        """The refusal to raise: audited now, answered by the handler below."""
        audit(request, token, status, error=message[:200])
        return _Refused(JSONResponse({"error": message}, status_code=status, headers=headers))

    @app.exception_handler(_Refused)
    async def refused(request: Request, exc: _Refused):
        return exc.response

    def authorise(request: Request, scope: str) -> tuple[Token, Actor]:
        """The call's token and who it acts as (the account, signed in through the token)."""
        header = request.headers.get("authorization") or ""
        secret = header[7:].strip() if header.lower().startswith("bearer ") else None
        try:
            token = tokens.check(secret, scope)
        except ScopeError as e:
            raise refuse(request, None, 403, str(e)) from None
        except AuthError as e:
            raise refuse(request, None, 401, str(e), {"WWW-Authenticate": "Bearer"}) from None
        wait = limiter.take(token.id)
        if wait:
            raise refuse(request, token, 429, f"More than {limiter.per_min} calls a minute with this token "
                                               "(COMMONS_API_RATE_PER_MIN); try again shortly.",
                          {"Retry-After": str(max(1, round(wait)))})
        try:
            return token, tokens.actor(token)
        except AuthError as e:
            raise refuse(request, token, 401, str(e), {"WWW-Authenticate": "Bearer"}) from None

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        problems = "; ".join(f"{'.'.join(str(x) for x in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors())
        if any(e.get("type") == "extra_forbidden" and "role" in e.get("loc", ()) for e in exc.errors()):
            problems = "the role comes from your token, never from the request"
        audit(request, None, 422, error=problems[:200])
        return JSONResponse({"error": f"The request is not valid: {problems}"[:500]}, status_code=422)

    @app.get(f"{API}/health", include_in_schema=False)
    def health():
        return {"ok": True}

    @app.post(f"{API}/ask")
    def ask(body: AskBody, request: Request):
        token, actor = authorise(request, "ask")
        conversation = body.conversation or new_conversation_id()
        if not CONVERSATION.match(conversation):
            raise refuse(request, token, 422, "A conversation id is 1-64 letters, digits, '.', '_' or '-'.")
        project, purpose = (body.project or "").strip().upper() or None, body.purpose
        if project:
            # As `commons ask --project`: a project belongs to an account, and its purpose is the purpose.
            if actor.role == "resident":
                raise refuse(request, token, 422, "A project belongs to the account that submitted it: a resident "
                                                  "token asks without one.")
            try:
                found = pipeline.commons.projects.get(project)
            except CommonsError:
                found = None        # the pipeline refuses it (project.unknown), audited
            if found is not None:
                if purpose and policy.canonical_purpose(purpose) != found.purpose:
                    raise refuse(request, token, 422, f"Project {found.id} is approved for {found.purpose}: its "
                                                      "purpose is the purpose (leave out purpose).")
                purpose = found.purpose
        answer = pipeline.ask(Question(text=body.question, actor=actor, purpose=purpose or settings.default_purpose,
                                       conversation_id=f"api.{token.account}.{conversation}", project=project))
        status = {"needs_review": 202, "error": 500}.get(answer.status, 200)
        audit(request, token, status, question_audit_id=answer.audit_id, answer_status=answer.status,
              project=project)
        return JSONResponse({**answer_json(answer), "conversation": conversation}, status_code=status)

    @app.get(f"{API}/datasets")
    def datasets(request: Request):
        token, _ = authorise(request, "datasets")
        audit(request, token, 200)
        return [catalogue_json(s) for s in pipeline.sheets.values() if s.measures]

    def _sheet(request: Request, token: Token, dataset: str) -> Datasheet:
        sheet = pipeline.sheets.get(dataset)
        if sheet is None or not sheet.measures:
            raise refuse(request, token, 404, f"There is no dataset '{dataset}'.")
        return sheet

    @app.get(f"{API}/datasets/{{dataset}}")
    def datasheet(dataset: str, request: Request):
        token, _ = authorise(request, "datasets")
        sheet = _sheet(request, token, dataset)
        audit(request, token, 200, dataset=sheet.id)
        return datasheet_json(sheet, token.role)

    @app.get(f"{API}/datasets/{{dataset}}/data.csv")
    def data_csv(dataset: str, request: Request):
        token, _ = authorise(request, "data")
        sheet = _sheet(request, token, dataset)
        if sheet.sensitivity != "open":
            raise refuse(request, token, 403, f"{sheet.title} is {sheet.sensitivity} data: only open data can be "
                                               "downloaded; ask questions of it instead.")
        path = Path(sheet.source_file)
        path = path if path.is_absolute() else Path(settings.data_dir) / path
        try:
            data = path.read_bytes()
        except OSError:
            raise refuse(request, token, 404, f"The file of {sheet.id} is not available.")
        audit(request, token, 200, dataset=sheet.id, bytes=len(data))
        return Response(data, media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{sheet.id}.csv"',
            "X-Commons-Licence": _header(sheet.licence.name),
            "X-Commons-Attribution": _header(sheet.licence.attribution),
            "X-Commons-Publisher": _header(sheet.publisher),
            "Link": f'<{sheet.licence.url}>; rel="license", <{sheet.source_url}>; rel="describedby"'})

    @app.get(f"{API}/transparency/{{dataset}}")
    def transparency(dataset: str, request: Request):
        token, _ = authorise(request, "transparency")
        sheet = _sheet(request, token, dataset)
        audit(request, token, 200, dataset=sheet.id)
        return JSONResponse(json.loads(json.dumps(stewardship.transparency(sheet.id), default=str)))

    def _own_review(request: Request, token: Token, review_id: str):
        try:
            req = pipeline.reviews.get(review_id)
        except ReviewError as e:
            raise refuse(request, token, 404, str(e)) from None
        if not same_person(req.requester, token.account):
            raise refuse(request, token, 403, f"Request {req.id} belongs to someone else.")
        return req

    @app.get(f"{API}/reviews/{{review_id}}")
    def review_status(review_id: str, request: Request):
        token, actor = authorise(request, "reviews")
        req = _own_review(request, token, review_id)
        req = stewardship.review_status(req.id, actor)
        audit(request, token, 200, review_id=req.id)
        return {"review_id": req.id, "state": req.state, "datasets": list(req.datasets), "rule": req.rule,
                "reason": req.reason, "created": req.created, "decision_reason": req.decision_reason}

    @app.post(f"{API}/reviews/{{review_id}}/fetch")
    def review_fetch(review_id: str, request: Request):
        token, actor = authorise(request, "reviews")
        req = _own_review(request, token, review_id)
        try:
            answer = stewardship.fetch_review(req.id, actor)
        except ReviewError as e:
            raise refuse(request, token, 409, str(e)) from None
        status = {"needs_review": 202, "error": 500}.get(answer.status, 200)
        audit(request, token, status, review_id=req.id, question_audit_id=answer.audit_id)
        return JSONResponse(answer_json(answer), status_code=status)

    @app.exception_handler(CommonsError)
    async def commons_error(request: Request, exc: CommonsError):
        return JSONResponse({"error": str(exc)}, status_code=400)

    return _BodyLimit(app, settings.api_max_body_bytes, pipeline.audit.append) if settings.api_max_body_bytes else app


def _header(text: str) -> str:
    """Header values are latin-1: anything else is replaced."""
    return " ".join(str(text).split()).encode("latin-1", "replace").decode("latin-1")


def serve(pipeline: Pipeline, host: str = "127.0.0.1", port: int = 8600) -> None:
    """Run the API with uvicorn until interrupted."""
    uvicorn.run(create_app(pipeline), host=host, port=port, log_level="warning", access_log=False)
