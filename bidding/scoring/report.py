"""The evaluation report (评标报告): made once every member has submitted and every far-off score carries its
reason; a canonical record (criteria, each member's scores and reasons, adjustments, totals, ranking, up to
three candidates) whose SHA-256 each member signs with their own key (trading/signing, kind
"evaluation-report"), with a dissent if they have one. Signed by all: the supervisors' sign-off of the
evaluation report binds the same hash (monitor/supervisors/signoffs.py) and gates `publicize`."""
from __future__ import annotations

import hashlib
from decimal import Decimal

import sqlalchemy as sa
from blinker import Namespace
from flask_babel import gettext as _

from bidding.scoring import services
from bidding.scoring.models import EvaluationReport, ReportSignature
from bidding.scoring.ranking import results
from trading.accounts.models import User
from trading.canonical import canonical_json
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db, flush_unless_taken
from trading.permissions import require
from trading.signing.services import STATEMENTS, Expected, accept
from trading.signing.statements import iso
from trading.trades.flows import TradeState
from trading.trades.models import Trade

FORMAT = "evaluation-report/1"
KIND = "evaluation-report"
_signals = Namespace()
#: sender=Trade; kwargs: signature (ReportSignature), actor, complete (bool: the last member signed)
report_signed = _signals.signal("evaluation-report-signed")


def report_of(trade: Trade) -> EvaluationReport | None:
    return db.session.scalar(sa.select(EvaluationReport).where(EvaluationReport.trade_id == trade.id))


def _s(value) -> str | None:
    return None if value is None else str(value)


def build_record(trade: Trade) -> dict:
    """The report's content as plain JSON (amounts and points as decimal strings)."""
    plan = services.plan_of(trade)
    res = results(trade)
    members = services.members(trade)
    seat_kinds = _seat_kinds(trade)
    entries = {r.entry.id: r.entry for r in res.rows}
    org = {e.id: e.organisation for e in entries.values()}
    sheets = {s.user_id: s for s in services.submitted_sheets(trade)}
    return {
        "format": FORMAT,
        "trade": {"id": trade.id, "ref": trade.ref, "title": trade.title, "tenderer": trade.tenderer.name},
        "plan": {"method": plan.method, "subject": plan.subject, "price_weight": _s(plan.price_weight),
                 "params": dict(sorted(plan.params.items()))},
        "criteria": [{"id": c.id, "name": c.name, "max_points": str(c.max_points)} for c in plan.criteria],
        "bids": [{"entry_id": e.id, "bidder": org[e.id].name, "credit_code": org[e.id].credit_code,
                  "price": str(e.price)} for e in sorted(entries.values(), key=lambda e: e.id)],
        "members": [{"user_id": u.id, "name": u.display_name, "kind": seat_kinds.get(u.id, "expert")}
                    for u in members],
        "sheets": [{"user_id": uid, "submitted_at": iso(sheet.submitted_at),
                    "scores": [{"entry_id": s.entry_id, "criterion_id": s.criterion_id, "points": str(s.points),
                                "reason": s.reason} for s in sorted(sheet.scores,
                                                                    key=lambda s: (s.entry_id, s.criterion_id))]}
                   for uid, sheet in sorted(sheets.items())],
        "adjustments": [{"entry_id": a.entry_id, "amount": str(a.amount), "reason": a.reason,
                         "recorded_by": a.recorded_by_id} for a in services.adjustments(trade)],
        "benchmark": _s(res.benchmark),
        "kept_prices": [str(p) for p in res.kept],
        "results": [{"rank": r.rank, "entry_id": r.entry.id, "price": str(r.price),
                     "price_score": _s(r.price_score), "expert_mean": _s(r.expert_mean), "total": _s(r.total),
                     "evaluated_price": _s(r.evaluated_price),
                     "member_totals": {str(k): str(v) for k, v in sorted(r.member_totals.items())}}
                    for r in res.rows],
        "candidates": [{"rank": r.rank, "entry_id": r.entry.id, "bidder": org[r.entry.id].name}
                       for r in res.candidates],
    }


def _seat_kinds(trade: Trade) -> dict[int, str]:
    from bidding.evaluation.models import CommitteeSeat

    return {s.user_id: s.kind.value for s in db.session.scalars(
        sa.select(CommitteeSeat).where(CommitteeSeat.trade_id == trade.id, CommitteeSeat.left_at.is_(None)))}


def sha256_of(record: dict) -> str:
    return hashlib.sha256(canonical_json(record)).hexdigest()


def make_report(actor: User, trade: Trade) -> EvaluationReport:
    """Fix the report once scoring is complete and no far-off score lacks its reason (a sitting member or
    the staff make it; its content comes from the sheets, not from them)."""
    require("scoring.report", trade, user=actor)
    if trade.state is not TradeState.EVALUATING:
        raise IllegalMove(_("The report is made while the committee sits."), code="not_evaluating")
    if report_of(trade) is not None:
        raise IllegalMove(_("The evaluation report has already been made."), code="report_made")
    if not services.scoring_complete(trade):
        raise IllegalMove(_("Not every member of the committee has submitted their sheet yet."),
                          code="scoring_incomplete")
    pending = services.pending_reasons(trade)
    if pending:
        sheet, score = pending[0]
        raise IllegalMove(_("%(name)s must first write the reason for a score far from the others'.",
                            name=sheet.user.display_name), code="reason_missing")
    record = build_record(trade)
    row = EvaluationReport(trade_id=trade.id, record=record, sha256=sha256_of(record), made_at=now(),
                           made_by_id=actor.id)
    db.session.add(row)
    trade_id = trade.id
    flush_unless_taken(lambda: db.session.scalar(sa.select(EvaluationReport.id)
                                                 .where(EvaluationReport.trade_id == trade_id)) is not None,
                       IllegalMove(_("The evaluation report has already been made."), code="report_made"))
    return row


def unsigned(trade: Trade) -> list[User]:
    """The members who have not signed the report yet."""
    report = report_of(trade)
    done = {s.user_id for s in report.signatures} if report else set()
    return [u for u in services.members(trade) if u.id not in done]


def _expectation(actor: User, trade: Trade, dissent: str | None) -> Expected:
    require("scoring.score", trade, user=actor)
    report = report_of(trade)
    if report is None:
        raise IllegalMove(_("There is no evaluation report to sign yet."), code="no_report")
    dissent = (dissent or "").strip() or None
    if dissent and len(dissent) > services.MAX_TEXT:
        raise InvalidInput({"dissent": [_("at most %(n)d characters", n=services.MAX_TEXT)]})
    return Expected({"trade": trade.ref, "trade_id": trade.id, "report_sha256": report.sha256},
                    "dissent" if dissent else "signed", dissent)


def report_statement(actor: User, params: dict) -> Expected:
    """trading.signing.STATEMENTS["evaluation-report"]: what a member signs: this trade, this report's hash,
    their dissent."""
    trade = db.session.get(Trade, params.get("trade_id") or 0)
    if trade is None:
        raise InvalidInput({"trade_id": [_("is not a trade")]})
    return _expectation(actor, trade, params.get("dissent"))


STATEMENTS[KIND] = report_statement


def sign_report(actor: User, trade: Trade, dissent: str | None = None, statement: str | None = None,
                signature=None) -> ReportSignature:
    """A member signs the report's SHA-256 with their own key, once, with their dissent if any; the last
    signature completes the report (the e-supervision fact `evaluation_report`)."""
    expected = _expectation(actor, trade, dissent)
    report = report_of(trade)
    report_id, user_id = report.id, actor.id
    before = lambda: db.session.scalar(sa.select(ReportSignature.id).where(  # noqa: E731
        ReportSignature.report_id == report_id, ReportSignature.user_id == user_id)) is not None
    already = IllegalMove(_("You have already signed this report."), code="already_signed")
    if before():
        raise already
    signed = accept(actor, KIND, expected, statement, signature)
    row = ReportSignature(report_id=report.id, user_id=actor.id, report_sha256=report.sha256, signed_at=now(),
                          dissent=expected.dissent, **signed.as_columns())
    db.session.add(row)
    flush_unless_taken(before, already)  # the same signature sent twice at once: 409, not 500
    db.session.refresh(report)
    complete = not unsigned(trade)
    if complete and report.completed_at is None:
        report.completed_at = row.signed_at
        db.session.flush()
    report_signed.send(trade, signature=row, actor=actor, complete=complete)
    return row


def dissents(report: EvaluationReport) -> list[ReportSignature]:
    return [s for s in report.signatures if s.dissent]


def decimal_of(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)
