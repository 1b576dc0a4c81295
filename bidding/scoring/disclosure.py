"""What each viewer may see of the scoring, as plain data for the API and the pages (one rule for both).

- A member sees their own sheet, draft or submitted; the other members' submitted sheets only once their
  own is submitted (each scores alone), and those under "Member n" until the result is published.
- The three branches of the trade's centre see the progress (who has submitted) at once, and the submitted
  sheets, results and report once every member has submitted.
- Everyone else sees nothing until the result is published (AWARDED onwards); then anyone sees it all.
Results (totals, ranking) wait until scoring is complete for everyone: partial totals would tell a
member who has not submitted what the others gave."""
from __future__ import annotations

from flask_babel import gettext as _

from bidding.experts.permissions import PUBLISHED
from bidding.scoring import services
from bidding.scoring.models import ScoreSheet
from bidding.scoring.permissions import branches, member, sheet_submitted
from trading.errors import IllegalMove
from trading.permissions import can
from trading.trades.models import Trade


def names_visible(viewer, trade: Trade) -> bool:
    """The committee's names (bidding/experts: the three branches before the result, anyone after)."""
    return can(viewer, "experts.trade.members", trade)


def _label(viewer, trade: Trade, sheet: ScoreSheet, order: dict[int, int]) -> str:
    if getattr(viewer, "id", None) == sheet.user_id:
        return sheet.user.display_name
    if names_visible(viewer, trade):
        return sheet.user.display_name
    return _("Member %(n)d", n=order.get(sheet.user_id, 0))


def visible_sheets(viewer, trade: Trade) -> list[ScoreSheet]:
    all_sheets = services.sheets(trade)
    submitted = [s for s in services.submitted_sheets(trade)]
    if trade.state in PUBLISHED:
        return submitted
    out: list[ScoreSheet] = []
    if branches(viewer, trade) and services.scoring_complete(trade):
        out = submitted
    elif member(viewer, trade):
        own = [s for s in all_sheets if s.user_id == viewer.id]
        out = own + ([s for s in submitted if s.user_id != viewer.id] if sheet_submitted(viewer, trade) else [])
    return out


def bids_view(trade: Trade) -> list[dict]:
    from bidding.evaluation.services import passed_bids

    return [{"entry_id": e.id, "bidder": e.organisation.name, "price": str(e.price)} for e in passed_bids(trade)]


def _scores(sheet: ScoreSheet) -> list[dict]:
    return [{"entry_id": s.entry_id, "criterion_id": s.criterion_id, "points": str(s.points), "reason": s.reason}
            for s in sorted(sheet.scores, key=lambda s: (s.entry_id, s.criterion_id))]


def plan_view(trade: Trade) -> dict:
    plan = services.plan_of(trade)
    if plan is None:
        raise IllegalMove(_("The staff have not recorded this trade's scoring plan yet."), code="no_plan")
    method = services.method_of(plan)
    return {"trade_id": trade.id, "method": plan.method, "method_name": str(method.name) if method else plan.method,
            "source": str(method.source) if method else "", "subject": plan.subject,
            "price_weight": None if plan.price_weight is None else str(plan.price_weight),
            "params": dict(plan.params), "set_at": plan.set_at,
            "criteria": [{"id": c.id, "position": c.position, "name": c.name, "max_points": str(c.max_points)}
                         for c in plan.criteria]}


def own_sheet_view(viewer, trade: Trade) -> dict:
    sheet = services.sheet_of(viewer, trade)
    plan = services.plan_of(trade)
    pending = services.unexplained(trade, sheet) if sheet is not None and sheet.submitted_at else []
    return {"id": sheet.id if sheet else None, "member": viewer.display_name, "mine": True,
            "submitted_at": sheet.submitted_at if sheet else None, "scores": _scores(sheet) if sheet else [],
            "bids": bids_view(trade),
            "criteria": plan_view(trade)["criteria"] if plan else [],
            "reasons_needed": [{"entry_id": s.entry_id, "criterion_id": s.criterion_id, "points": str(s.points),
                                "reason": None} for s, _f in pending]}


def sheets_view(viewer, trade: Trade) -> list[dict]:
    order = {u.id: i + 1 for i, u in enumerate(services.members(trade))}
    return [{"id": s.id, "member": _label(viewer, trade, s, order), "mine": s.user_id == getattr(viewer, "id", None),
             "submitted_at": s.submitted_at, "scores": _scores(s)} for s in visible_sheets(viewer, trade)]


def progress_view(viewer, trade: Trade) -> dict:
    from bidding.scoring.report import report_of

    members = services.members(trade)
    done = {s.user_id for s in services.submitted_sheets(trade)}
    report = report_of(trade)
    names = [{"name": u.display_name, "submitted": u.id in done}
             for u in members] if names_visible(viewer, trade) else []
    return {"members": len(members), "submitted": len(done & {u.id for u in members}),
            "complete": services.scoring_complete(trade), "reasons_pending": len(services.pending_reasons(trade)),
            "report_made": report is not None, "report_signed": len(report.signatures) if report else 0,
            "names": names}


def results_view(trade: Trade) -> dict:
    """The totals and ranking, once scoring is complete (409 before, for everyone)."""
    from bidding.scoring.ranking import results

    if not services.scoring_complete(trade):
        raise IllegalMove(_("The results are shown once every member has submitted their sheet."),
                          code="scoring_incomplete")
    res = results(trade)

    def row(r) -> dict:
        s = lambda v: None if v is None else str(v)  # noqa: E731
        return {"rank": r.rank, "entry_id": r.entry.id, "bidder": r.entry.organisation.name, "price": str(r.price),
                "price_score": s(r.price_score), "expert_mean": s(r.expert_mean), "total": s(r.total),
                "evaluated_price": s(r.evaluated_price)}

    return {"method": res.plan.method, "benchmark": None if res.benchmark is None else str(res.benchmark),
            "rows": [row(r) for r in res.rows], "candidates": [row(r) for r in res.candidates]}


def report_view(viewer, trade: Trade) -> dict | None:
    from bidding.scoring.report import report_of, unsigned

    report = report_of(trade)
    if report is None:
        return None
    return {"sha256": report.sha256, "made_at": report.made_at, "completed_at": report.completed_at,
            "record": report.record, "waiting": len(unsigned(trade)),
            "signatures": [{"user_id": s.user_id, "member": s.user.display_name, "signed_at": s.signed_at,
                            "report_sha256": s.report_sha256, "key_fingerprint": s.key_fingerprint,
                            "dissent": s.dissent} for s in report.signatures]}
