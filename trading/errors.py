"""Domain errors: raised by services, turned into pages or JSON by the views' error handlers."""
from __future__ import annotations


class DomainError(Exception):
    """A refused operation; `code` is stable for clients, `message` is for people (translated)."""

    status = 409
    code = "refused"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field

    def to_dict(self) -> dict:
        out = {"code": self.code, "message": self.message}
        if self.field:
            out["field"] = self.field
        return out


class IllegalMove(DomainError):
    code = "illegal_move"


class NotAllowed(DomainError):
    """The caller lacks the named permission or role for this object."""

    status = 403
    code = "forbidden"
    permission: str | None = None

    def to_dict(self) -> dict:
        out = super().to_dict()
        if self.permission:
            out["permission"] = self.permission
        return out


class PolicyViolation(DomainError):
    """Separation of duties or a conflict of interest forbids this person here."""

    status = 403
    code = "separation_of_duties"


class Throttled(DomainError):
    """Too many attempts from one client in a window; `retry_after` says in how many seconds to try again."""

    status = 429
    code = "throttled"

    def __init__(self, message: str, *, retry_after: int | None = None, code: str | None = None):
        super().__init__(message, code=code)
        self.retry_after = retry_after

    def to_dict(self) -> dict:
        out = super().to_dict()
        if self.retry_after is not None:
            out["retry_after"] = self.retry_after
        return out


class InvalidInput(DomainError):
    """One or more fields break a rule; `errors` maps each field to its messages."""

    status = 422
    code = "invalid"

    def __init__(self, errors: dict[str, list[str]], message: str | None = None):
        first = next(iter(errors.items()))
        super().__init__(message or str(first[1][0]), field=first[0])
        self.errors = errors

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "field": self.field, "errors": self.errors}
