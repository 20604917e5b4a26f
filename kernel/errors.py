"""One error tree for the whole product.

Every error carries a message written for the person who will read it (a resident in the
app, an operator at the command line).  The UI and the CLI show ``str(error)``; neither
ever shows a traceback for a ``CommonsError``.
"""

from __future__ import annotations


class CommonsError(Exception):
    """Base class: something the user or operator can act on."""


class ConfigError(CommonsError):
    """A setting has a value the product cannot use."""


class DatasheetError(CommonsError):
    """A datasheet file is missing, unreadable or fails validation."""

    def __init__(self, path: str, field: str, problem: str):
        self.path, self.field, self.problem = path, field, problem
        super().__init__(f"Datasheet {path}: field '{field}': {problem}")


class StoreError(CommonsError):
    """The commons store could not be built or opened."""


class NotAvailable(CommonsError):
    """A question the commons understood but cannot answer in that form (e.g. a share or an
    England row from person-level data): answered ``no_data`` with this message."""


class InternalError(CommonsError):
    """A fault in the product itself, not in what was asked: the person gets status ``error``
    with a reference, the error log gets the traceback, the audit chain gets the outcome."""


class QueryRejected(InternalError):
    """Generated SQL failed the safety check (never shown to residents as SQL)."""


class PlanInvalid(InternalError):
    """A plan broke one of the plan invariants (whichever planner proposed it)."""


class UnsupportedPlan(InternalError):
    """No query builder handles this plan shape."""


class QueryTimeout(CommonsError):
    """A query ran past the time limit."""

    def __init__(self, seconds: float):
        super().__init__(
            f"The query took longer than {seconds:g} s and was stopped. "
            "An operator can raise the limit with the COMMONS_QUERY_TIMEOUT_S setting."
        )


class UsageError(CommonsError):
    """The command line was used wrongly."""


class IngestError(CommonsError):
    """A contributed file cannot be taken into the commons (says what is wrong and where)."""


class ReviewError(CommonsError):
    """A review-queue action is not allowed (wrong role, own request, already decided)."""


class ProjectError(ReviewError):
    """A project, members' panel, fee agreement or output action is not allowed (says why)."""


class AuthError(CommonsError):
    """Sign-in failed or the users file is unusable."""
