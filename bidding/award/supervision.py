"""What e-supervision asks the award about (monitor/cards/esupervision.py reads these): each objection
with its answer, each complaint with its decision and its ruling, and the award's written report."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from bidding.award.models import AwardReport, CandidateObjection, Complaint, ComplaintState
from trading.extensions import db
from trading.rules.norms import Item
from trading.trades.models import Trade


def items(trade: Trade, name: str) -> list[Item]:
    if name == "objections":
        rows = db.session.scalars(sa.select(CandidateObjection).where(CandidateObjection.trade_id == trade.id).order_by(CandidateObjection.id))
        return [Item(f"objection:{o.id}", o.raised_at, o.answered_at) for o in rows]
    complaints = list(db.session.scalars(sa.select(Complaint).where(Complaint.trade_id == trade.id)
                                         .order_by(Complaint.id)))
    if name == "complaint_decisions":
        return [Item(f"complaint:{c.id}", c.filed_at, c.decided_at) for c in complaints]
    if name == "complaint_rulings":
        return [Item(f"complaint:{c.id}", c.decided_at, c.ruled_at) for c in complaints
                if c.state in (ComplaintState.ACCEPTED, ComplaintState.RULED)]
    return []


def award_reports(trade: Trade) -> list[datetime]:
    at = db.session.scalar(sa.select(AwardReport.reported_at).where(AwardReport.trade_id == trade.id))
    return [at] if at is not None else []
