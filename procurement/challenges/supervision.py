"""What e-supervision asks about questions, challenges and complaints (monitor/cards/esupervision.py reads
these): each one with its answer or decision, and each suspension a complaint made with its end."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from procurement.challenges.models import Filing, FilingKind
from trading.extensions import db
from trading.rules.norms import Item
from trading.trades.models import Trade

#: ITEMS names -> the kind of filing each lists
KINDS = {"gp_questions": FilingKind.QUESTION, "gp_challenges": FilingKind.CHALLENGE,
         "gp_complaints": FilingKind.COMPLAINT}


def _filings(trade: Trade) -> list[Filing]:
    return list(db.session.scalars(sa.select(Filing).where(Filing.trade_id == trade.id).order_by(Filing.id)))


def items(trade: Trade, name: str) -> list[Item]:
    rows = _filings(trade)
    if name == "gp_suspensions":  # the finance department's suspension lasts at most 30 days (GPL 57)
        return [Item(f"gp_filing:{f.id}:suspension", f.suspended_at, f.suspension_lifted_at) for f in rows
                if f.kind is FilingKind.COMPLAINT and f.suspended_at is not None]
    kind = KINDS.get(name)
    return [Item(f"gp_filing:{f.id}", f.filed_at, f.answered_at) for f in rows if f.kind is kind]


def times(trade: Trade, name: str) -> list[datetime]:
    """When the facts named happened on the trade (fact:gp_question, fact:gp_question_answer, ...)."""
    answered = name.endswith("_answer") or name.endswith("_decision") or name.endswith("_lifted")
    base = name.rsplit("_", 1)[0] if answered else name
    rows = _filings(trade)
    if base == "gp_suspension":
        rows = [f for f in rows if f.kind is FilingKind.COMPLAINT]
        return [t for t in ((f.suspension_lifted_at if answered else f.suspended_at) for f in rows) if t is not None]
    kind = FilingKind(base[3:])
    return [t for t in ((f.answered_at if answered else f.filed_at) for f in rows if f.kind is kind) if t is not None]
