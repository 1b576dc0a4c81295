"""Shared schema pieces: translated default messages, so every 422 names the field and the rule."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields

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
    messages.update(kwargs.pop("error_messages", {}))
    return cls(*args, error_messages=messages, **kwargs)


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
