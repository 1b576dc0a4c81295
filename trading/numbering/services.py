"""Handing out numbers: one atomic statement per number, safe when several requests ask at once.

`next_number` is a single `INSERT ... ON CONFLICT DO UPDATE SET value = value + 1 RETURNING value`
on SQLite and PostgreSQL alike: the database, not the application, decides who gets which number.
On PostgreSQL the row stays locked until the asking transaction ends, so a second request waits and
then gets the next number; SQLite lets one writer in at a time. A rolled-back transaction takes its
number back with it, so sequences stay gapless as long as callers commit what they number.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from trading.clock import local_tz
from trading.extensions import db
from trading.numbering.models import Counter

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _upsert(scope: str, period: int, first: int, step):
    dialect = db.session.get_bind().dialect.name
    insert = _INSERTS.get(dialect)
    if insert is None:
        raise RuntimeError(f"numbering supports SQLite and PostgreSQL, not {dialect}")
    table = Counter.__table__
    stmt = insert(table).values(scope=scope, period=period, value=first)
    stmt = stmt.on_conflict_do_update(index_elements=[table.c.scope, table.c.period],
                                      set_={"value": step(table.c.value, stmt.excluded.value)})
    return db.session.execute(stmt.returning(table.c.value)).scalar_one()


def next_number(scope: str, period: int = 0) -> int:
    """The next number of `scope` in `period` (1, 2, ...), taken inside the caller's transaction."""
    return _upsert(scope, period, 1, lambda current, _new: current + 1)


def advance_to(scope: str, period: int, value: int) -> int:
    """Make sure the next number is above `value` (numbers taken before this counter existed, or
    a centre carrying on a sequence it began elsewhere); never moves a counter back."""
    if value < 0:
        raise ValueError("a counter cannot go below zero")
    return _upsert(scope, period, value,
                   lambda current, new: sa.case((current > new, current), else_=new))


def year_of(at: datetime) -> int:
    """The legal (local) year a number belongs to: a trade made on 31 December at 23:30 in Beijing is
    numbered in that year, not the next one UTC has already reached."""
    return at.astimezone(local_tz()).year


def trade_ref_scope(ref_prefix: str) -> str:
    return f"trade-ref:{ref_prefix}"


def clarification_scope(trade_id: int) -> str:
    return f"clarification:{trade_id}"


def certificate_scope(ref_prefix: str) -> str:
    return f"supervisor-certificate:{ref_prefix}"


def formatted(prefix: str, number: int) -> str:
    """`<prefix><number>`, at least four digits, widening past 9999 (GC-2026-0001 ... GC-2026-10000)."""
    return f"{prefix}{number:04d}"
