"""Shared schema pieces: translated default messages, so every 422 names the field and the rule."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

MESSAGES = {
    "required": _l("is required"),
    "null": _l("may not be empty"),
    "invalid": _l("is not in the right form"),
}
TYPE_MESSAGES = {
    fields.Integer: _l("must be a whole number"),
    fields.Decimal: _l("must be an amount such as 1250000.00"),
    fields.AwareDateTime: _l("must be a date and time with a time zone, e.g. 2026-12-01T09:30:00+08:00"),
    fields.Boolean: _l("must be true or false"),
    fields.String: _l("must be text"),
}


def field(cls, *args, **kwargs):
    """A marshmallow field whose messages go through the translation layer."""
    messages = dict(MESSAGES)
    for base, msg in TYPE_MESSAGES.items():
        if issubclass(cls, base):
            messages["invalid"] = msg
    if cls is fields.AwareDateTime:
        messages["invalid_awareness"] = _l("needs a time zone offset, e.g. +08:00")
    if issubclass(cls, fields.Decimal):
        messages["special"] = _l("must be a finite amount")
    if issubclass(cls, fields.Integer):  # beyond 64 bits the database overflows (a 500): refuse it here
        given = kwargs.pop("validate", None)
        given = [] if given is None else list(given) if isinstance(given, (list, tuple)) else [given]
        kwargs["validate"] = [*given, INT64]
    messages.update(kwargs.pop("error_messages", {}))
    return cls(*args, error_messages=messages, **kwargs)


#: what a database integer column holds
INT64 = validate.Range(min=-(2**63), max=2**63 - 1, error=_l("must be a whole number from {min} to {max}"))


def id_field(**kwargs):
    """A whole number naming a row (strict: 7, not "7" or 7.0), within what the database holds."""
    return field(fields.Integer, strict=True, **kwargs)


class LoadSchema(Schema):
    """Input schemas refuse unknown fields with a translated message."""

    error_messages = {"unknown": _l("is not a field of this request"), "type": _l("must be a JSON object")}


def plain_messages(messages):
    """Lazy strings are not JSON: resolve them in the caller's language."""
    if isinstance(messages, dict):
        return {k: plain_messages(v) for k, v in messages.items()}
    if isinstance(messages, (list, tuple)):
        return [plain_messages(m) for m in messages]
    return str(messages)
