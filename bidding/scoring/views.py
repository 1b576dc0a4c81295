"""The evaluation room's scoring page: a member's own score sheet (laptop and phone), the other sheets they may
see, adjustments, results and the report with its signatures; the staff's plan form; the branches read only.
One page, one POST with an `action`; each action checks its own permission before anything else."""
from __future__ import annotations

from decimal import Decimal

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from bidding.blueprints import bp
from bidding.scoring import disclosure, report as reports, services
from bidding.scoring.permissions import PLANNABLE, member
from trading.errors import DomainError, InvalidInput
from trading.extensions import db
from trading.permissions import can, require, requires
from trading.rules.scoring import ALL_SUBJECTS, SUBJECT_LABELS
from trading.trades.models import Trade
from trading.views_common import fmt_money, load_trade


def _form_scores() -> list[dict]:
    """score.<entry>.<criterion>.points / .reason inputs as the service's score list."""
    cells: dict[tuple[str, str], dict] = {}
    for key, value in request.form.items():
        parts = key.split(".")
        if len(parts) == 4 and parts[0] == "score" and parts[3] in ("points", "reason"):
            cell = cells.setdefault((parts[1], parts[2]), {"entry_id": parts[1], "criterion_id": parts[2]})
            cell[parts[3]] = value.strip() or None
    return list(cells.values())


def _plan_form() -> dict:
    criteria = []
    for line in (request.form.get("criteria") or "").splitlines():
        if line.strip():
            name, _sep, points = line.rpartition("|") if "|" in line else (line, "", "")
            criteria.append({"name": name.strip(), "max_points": points.strip()})
    params = {}
    for line in (request.form.get("params") or "").splitlines():
        if "=" in line:
            key, _sep, value = line.partition("=")
            params[key.strip()] = value.strip()
    return {"method": request.form.get("method"), "subject": request.form.get("subject"),
            "price_weight": (request.form.get("price_weight") or "").strip() or None, "criteria": criteria,
            "params": params}


def _subjects(trade: Trade) -> list[tuple[str, object]]:
    """The subjects the rule set's methods take (a land tender's: land use rights), in their usual order."""
    keys = {s for m in trade.rule_set.scoring for s in m.subject_keys()}
    return [(s, SUBJECT_LABELS[s]) for s in ALL_SUBJECTS if s in keys]


#: the page's actions and the permission each needs (checked before anything else runs)
ACTIONS = {"plan": "scoring.plan", "save": "scoring.score", "submit": "scoring.score", "reason": "scoring.score",
           "adjust": "scoring.score", "report": "scoring.report", "sign": "scoring.score"}


def _act(trade: Trade, action: str) -> str:
    form = request.form
    if action == "plan":
        services.set_plan(current_user, trade, _plan_form())
        return _("Scoring plan saved.")
    if action == "save":
        services.save_scores(current_user, trade, _form_scores())
        return _("Draft saved. Nobody else sees it.")
    if action == "submit":
        services.submit_sheet(current_user, trade, _form_scores())
        return _("Your sheet is submitted and locked.")
    if action == "reason":
        services.explain(current_user, trade, form.get("entry_id"), form.get("criterion_id"), form.get("reason"))
        return _("Reason recorded.")
    if action == "adjust":
        services.adjust_price(current_user, trade, form.get("entry_id"), form.get("amount"), form.get("reason"))
        return _("Price adjustment recorded.")
    if action == "report":
        reports.make_report(current_user, trade)
        return _("The evaluation report is made: each member now signs it.")
    reports.sign_report(current_user, trade, form.get("dissent") or None, form.get("statement"),
                        form.get("signature"))
    return _("You have signed the evaluation report.")


@bp.route("/trades/<int:trade_id>/scoring", methods=["GET", "POST"])
@login_required
@requires("scoring.view", load=load_trade)
def scoring_page(trade_id: int, obj: Trade):
    trade = obj
    errors: dict = {}
    if request.method == "POST":
        action = request.form.get("action", "")
        if action not in ACTIONS:
            raise InvalidInput({"action": [_("is not an action of this page")]})
        require(ACTIONS[action], trade)
        try:
            message = _act(trade, action)
            db.session.commit()
            flash(message, "success")
            return redirect(url_for("bidding.scoring_page", trade_id=trade.id))
        except InvalidInput as exc:
            db.session.rollback()
            errors = exc.errors
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(url_for("bidding.scoring_page", trade_id=trade.id))
    plan = services.plan_of(trade)
    sitting = can(current_user, "scoring.score", trade)
    own = disclosure.own_sheet_view(current_user, trade) if plan is not None and sitting else None
    if own is not None:
        own["cells"] = {f"{s['entry_id']}.{s['criterion_id']}": s for s in own["scores"]}
    if own is not None and request.method == "POST":  # show what was typed beside its error
        typed = {(str(c["entry_id"]), str(c["criterion_id"])): c for c in _form_scores()}
        own["typed"] = typed
    report = disclosure.report_view(current_user, trade)
    signed = report is not None and any(s["user_id"] == current_user.id for s in report["signatures"])
    complete = services.scoring_complete(trade)
    return render_template(
        "bidding/scoring.html", trade=trade, plan=disclosure.plan_view(trade) if plan else None, own=own,
        sitting=sitting, is_member=member(current_user, trade),
        sheets=[s for s in disclosure.sheets_view(current_user, trade) if not s["mine"]],
        progress=disclosure.progress_view(current_user, trade),
        results=disclosure.results_view(trade) if complete else None,
        adjustments=services.adjustments(trade) if plan is not None and plan.method == "lowest_evaluated_price" else [],
        report=report, signed=signed, complete=complete,
        may_plan=can(current_user, "scoring.plan", trade) and trade.state in PLANNABLE and not services.sheets(trade),
        may_report=can(current_user, "scoring.report", trade) and complete and report is None,
        methods=trade.rule_set.scoring, subjects=_subjects(trade),
        bidder_of={b["entry_id"]: b["bidder"] for b in disclosure.bids_view(trade)},
        money=lambda v: fmt_money(None if v is None else Decimal(str(v))), errors=errors), (422 if errors else 200)


@bp.route("/trades/<int:trade_id>/scoring/report.pdf")
@login_required
@requires("scoring.view", load=load_trade)
def scoring_report_pdf(trade_id: int, obj: Trade):
    """The report's PDF for the page's readers (session); the API serves the same to bearer tokens."""
    from flask import Response, abort

    from bidding.scoring.report_pdf import render_report

    report = reports.report_of(obj)
    if report is None:
        abort(404)
    return Response(render_report(report), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="evaluation-report-{obj.ref}.pdf"'})


def scoring_panel(user):
    """The workspace panel: the score sheets a sitting member has to fill, submitted or not (the composition
    root registers it)."""
    import sqlalchemy as sa

    from bidding.evaluation.permissions import SITTING, sitting_member
    from bidding.scoring.models import ScoringPlan

    if not getattr(user, "is_authenticated", False):
        return None
    planned = db.session.scalars(sa.select(Trade).join(ScoringPlan, ScoringPlan.trade_id == Trade.id)
                                 .where(Trade.state.in_(SITTING)).order_by(Trade.id))
    rows = [(t, services.sheet_of(user, t)) for t in planned if sitting_member(user, t)]
    if not rows:
        return None
    return render_template("bidding/_score_sheets.html", rows=rows)
