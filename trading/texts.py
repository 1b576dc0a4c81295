"""Text the platform writes into the database, kept as a message id and parameters and rendered in
the reader's language when read.

A notification, a notice body, a generated reason is stored as `message(...)` (JSON) beside the
plain text column, which keeps the text as first written (in the platform's language) for old
rows, for mail already sent and for any reader without the translation layer. What people type
stays as typed: it is a parameter, never translated.

A stored message is a dict `{"id": msgid, "params": {...}}` (with `"plural"` and `"num"` for
ngettext), a typed text `{"text": "..."}`, or a list of these (lines, joined by a newline).
Parameters are plain values or, to be rendered too: `at(datetime)` (a moment, shown in the
platform's time zone), `label(kind, code)` (a code shown through a label function that a package
registers, e.g. a trade state), or a nested message.

Msgids are marked with `N_` (`Nn_` for a plural pair) so `make messages` extracts them.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask_babel import format_datetime, gettext, ngettext

#: label functions by kind ("state" -> TradeState label, ...); packages register theirs
LABELS: dict[str, Callable[[str], str]] = {}


def N_(msgid: str) -> str:  # noqa: N802 (the gettext convention for "translate later")
    """Marks a msgid for extraction without translating it now."""
    return msgid


def Nn_(singular: str, plural: str) -> tuple[str, str]:  # noqa: N802
    """Marks a singular and plural msgid pair for extraction (`make messages`: -k Nn_:1,2)."""
    return singular, plural


def message(msgid: str, *, plural: str | None = None, num: int | None = None, **params) -> dict:
    """A message to store; with `plural`, rendered by ngettext for `num` (shown as %(num)d)."""
    out = {"id": msgid, "params": params}
    if plural is not None:
        out |= {"plural": plural, "num": num}
    return out


def typed(text: str | None) -> dict:
    """Text a person typed: shown as typed in every language."""
    return {"text": text or ""}


def at(moment: datetime | None) -> dict | str:
    return {"at": moment.isoformat()} if moment is not None else "—"


def label(kind: str, code: str) -> dict:
    return {"label": kind, "code": code}


def register_label(kind: str, fn: Callable[[str], str]) -> None:
    LABELS[kind] = fn


def sentence(text: str) -> str:
    """A label that starts a line or a sentence, with its first letter in capitals (no-op in Chinese)."""
    return text[:1].upper() + text[1:]


def _param(value):
    if isinstance(value, dict):
        if "at" in value:
            return format_datetime(datetime.fromisoformat(value["at"]), "yyyy-MM-dd HH:mm")
        if "label" in value:
            fn = LABELS.get(value["label"])
            return str(fn(value["code"])) if fn else str(value["code"])
        return render(value)
    if isinstance(value, list):
        return render(value)
    return value


def render(stored, fallback: str | None = None) -> str | None:
    """The stored message in the current locale; `fallback` (the stored text) for rows without one."""
    if not stored:
        return fallback
    if isinstance(stored, list):
        return "\n".join(render(part) or "" for part in stored)
    if "text" in stored:
        return stored["text"]
    params = {k: _param(v) for k, v in (stored.get("params") or {}).items()}
    if "plural" in stored:
        return ngettext(stored["id"], stored["plural"], stored.get("num") or 0, **params)
    return gettext(stored["id"], **params)
