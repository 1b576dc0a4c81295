"""Bounded request parameters: the app-wide `int` URL converter and whole-number query arguments.

The databases store ids as signed 64-bit integers; a larger number reaching a query is an overflow
(a 500), so every integer the caller chooses is bounded before it gets near one.
"""
from __future__ import annotations

import builtins

from flask import request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

#: the largest id or count the databases can hold (signed 64-bit)
MAX_INT = 2**63 - 1
#: a page number whose offset still fits the database at the largest page size
MAX_PAGE = 1_000_000


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` for every route: 1..2^63-1, anything else no match (404).

    The bound is in the regex, not only in `to_python`: werkzeug answers 405 instead of 404 when a value
    its converter refuses sits on a path that other methods share (GET and POST /trades/<id>/bids).
    """

    def __init__(self, map, fixed_digits: int = 0, min: int | None = 1, max: int | None = MAX_INT,
                 signed: bool = False) -> None:
        bounded = MAX_INT if max is None else builtins.min(max, MAX_INT)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=bounded, signed=signed)
        if not signed and not fixed_digits and min in (0, 1):
            self.regex = ("0|" if min == 0 else "") + up_to(bounded)


def up_to(n: int) -> str:
    """A regex matching the decimal numbers 1..n exactly (no sign, no leading zero)."""
    digits = str(n)
    width = len(digits)
    options = [rf"[1-9]\d{{0,{width - 2}}}"] if width > 1 else []  # every shorter number
    for i, ch in enumerate(digits):  # same width: n's first i digits, then a smaller digit, then anything
        low, d = (1 if i == 0 else 0), int(ch)
        if d > low:
            rest = width - i - 1
            options.append(digits[:i] + (f"[{low}-{d - 1}]" if d - 1 > low else str(low))
                           + (rf"\d{{{rest}}}" if rest else ""))
    options.append(digits)
    return "(?:" + "|".join(options) + ")"


def register_converters(app) -> None:
    """Replace werkzeug's unbounded `int`; must run before any blueprint adds its rules."""
    app.url_map.converters["int"] = BoundedIntConverter


def int_arg(name: str, default: int | None = None, *, minimum: int = 1, maximum: int = MAX_INT,
            required: bool = False) -> int | None:
    """The query argument `name` as a whole number in [minimum, maximum], `default` when absent, or a 422
    naming the argument and the rule."""
    from trading.errors import InvalidInput

    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        if required:
            raise InvalidInput({name: [_("is required")]})
        return default
    raw = raw.strip()
    digits = raw[1:] if raw[:1] in "+-" else raw
    if not digits.isascii() or not digits.isdigit():
        raise InvalidInput({name: [_("must be a whole number")]})
    value = int(raw) if len(digits) <= 20 else None  # longer cannot be in range; don't parse it
    if value is None or not minimum <= value <= maximum:
        raise InvalidInput({name: [_("must be a whole number from %(min)s to %(max)s", min=minimum, max=maximum)]})
    return value
