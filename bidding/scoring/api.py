"""Scoring API routes (on the bidding API blueprint), /api/v1/trades/<id>/scoring/...: the plan, each member's
own sheet, the sheets a caller may see, price adjustments, the results, and the evaluation report."""
from __future__ import annotations

from flask import Response, abort, jsonify
from flask_login import current_user

from bidding.blueprints import api_bp as bp
from bidding.scoring import disclosure, report as reports, services
from bidding.scoring.schemas import (AdjustmentLoadSchema, AdjustmentSchema, OwnSheetSchema, PlanLoadSchema,
                                     PlanSchema, ProgressSchema, ReasonLoadSchema, ReportSchema, ReportSignatureSchema,
                                     ReportSignLoadSchema, ResultsSchema, ScoreSchema, ScoresLoadSchema, SheetSchema)
from trading.api import json_body
from trading.api.openapi import doc
from trading.extensions import db
from trading.permissions import requires
from trading.views_common import load_trade

BASE = "/trades/<int:trade_id>/scoring"


@bp.get(f"{BASE}/plan")
@doc("The trade's scoring plan: method (with its source), subject, price weight, parameters, criteria", None,
     PlanSchema)
@requires("scoring.view", load_trade)
def get_scoring_plan(trade_id: int, obj):
    return jsonify(PlanSchema().dump(disclosure.plan_view(obj)))


@bp.put(f"{BASE}/plan")
@doc("Record the scoring plan the tender documents announced (executing staff; until the first score): the "
     "method must be one the rule set allows, price weight within its bounds (O87 Art. 55)", PlanLoadSchema,
     PlanSchema)
@requires("scoring.plan", load_trade)
def set_scoring_plan(trade_id: int, obj):
    data = PlanLoadSchema().load(json_body())
    services.set_plan(current_user, obj, data)
    db.session.commit()
    return jsonify(PlanSchema().dump(disclosure.plan_view(obj)))


@bp.get(f"{BASE}/progress")
@doc("How far the committee has got: members, sheets submitted, reasons pending, report signatures (names only "
     "for those who may see the committee)", None, ProgressSchema)
@requires("scoring.view", load_trade)
def get_scoring_progress(trade_id: int, obj):
    return jsonify(ProgressSchema().dump(disclosure.progress_view(current_user, obj)))


@bp.get(f"{BASE}/sheet")
@doc("My own score sheet (a sitting member): the bids in the running, the criteria, my scores, and any score "
     "that needs a late reason", None, OwnSheetSchema)
@requires("scoring.score", load_trade)
def get_my_sheet(trade_id: int, obj):
    return jsonify(OwnSheetSchema().dump(disclosure.own_sheet_view(current_user, obj)))


@bp.put(f"{BASE}/sheet")
@doc("Save scores on my draft sheet (points within each criterion's maximum; a reason optional until "
     "submission)", ScoresLoadSchema, OwnSheetSchema)
@requires("scoring.score", load_trade)
def save_my_sheet(trade_id: int, obj):
    data = ScoresLoadSchema().load(json_body())
    services.save_scores(current_user, obj, data["scores"])
    db.session.commit()
    return jsonify(OwnSheetSchema().dump(disclosure.own_sheet_view(current_user, obj)))


@bp.post(f"{BASE}/sheet/submit")
@doc("Submit and lock my sheet (every bid on every criterion; a score far from the others' needs its reason)",
     ScoresLoadSchema, OwnSheetSchema)
@requires("scoring.score", load_trade)
def submit_my_sheet(trade_id: int, obj):
    data = ScoresLoadSchema().load(json_body())
    services.submit_sheet(current_user, obj, data["scores"])
    db.session.commit()
    return jsonify(OwnSheetSchema().dump(disclosure.own_sheet_view(current_user, obj)))


@bp.post(f"{BASE}/sheet/reasons")
@doc("Write the reason for a submitted score that the later sheets put far from the others' (the points stay)",
     ReasonLoadSchema, ScoreSchema)
@requires("scoring.score", load_trade)
def explain_my_score(trade_id: int, obj):
    data = ReasonLoadSchema().load(json_body())
    row = services.explain(current_user, obj, data["entry_id"], data["criterion_id"], data["reason"])
    db.session.commit()
    return jsonify(ScoreSchema().dump({"entry_id": row.entry_id, "criterion_id": row.criterion_id,
                                       "points": str(row.points), "reason": row.reason}))


@bp.get(f"{BASE}/sheets")
@doc("The score sheets the caller may see: a member their own, and the others' submitted ones after submitting; "
     "the branches all, once every member has submitted; anyone after the award", None, SheetSchema(many=True))
@requires("scoring.view", load_trade)
def list_score_sheets(trade_id: int, obj):
    return jsonify(SheetSchema(many=True).dump(disclosure.sheets_view(current_user, obj)))


@bp.get(f"{BASE}/adjustments")
@doc("The committee's price adjustments for deviations (lowest evaluated price)", None, AdjustmentSchema(many=True))
@requires("scoring.view", load_trade)
def list_price_adjustments(trade_id: int, obj):
    return jsonify(AdjustmentSchema(many=True).dump(services.adjustments(obj)))


@bp.post(f"{BASE}/adjustments")
@doc("Cost one deviation of a bid into its evaluated price, with the reason (a sitting member; Reg 53)",
     AdjustmentLoadSchema, AdjustmentSchema, 201)
@requires("scoring.score", load_trade)
def add_price_adjustment(trade_id: int, obj):
    data = AdjustmentLoadSchema().load(json_body())
    row = services.adjust_price(current_user, obj, data["entry_id"], data["amount"], data["reason"])
    db.session.commit()
    return jsonify(AdjustmentSchema().dump(row)), 201


@bp.get(f"{BASE}/results")
@doc("Totals, ranking and up to three candidates, once every member has submitted (409 before)", None,
     ResultsSchema)
@requires("scoring.view", load_trade)
def get_scoring_results(trade_id: int, obj):
    return jsonify(ResultsSchema().dump(disclosure.results_view(obj)))


@bp.post(f"{BASE}/report")
@doc("Make the evaluation report from the submitted sheets (a sitting member or the staff; once scoring is "
     "complete and no far-off score lacks its reason)", None, ReportSchema, 201, bodyless=True)
@requires("scoring.report", load_trade)
def make_evaluation_report(trade_id: int, obj):
    reports.make_report(current_user, obj)
    db.session.commit()
    return jsonify(ReportSchema().dump(disclosure.report_view(current_user, obj))), 201


@bp.get(f"{BASE}/report")
@doc("The evaluation report: its canonical record, SHA-256 and the members' signatures", None, ReportSchema)
@requires("scoring.view", load_trade)
def get_evaluation_report(trade_id: int, obj):
    view = disclosure.report_view(current_user, obj)
    if view is None:
        abort(404)
    return jsonify(ReportSchema().dump(view))


@bp.get(f"{BASE}/report.pdf")
@doc("The evaluation report as a PDF (评标报告), with the members' signatures and dissents", None, None)
@requires("scoring.view", load_trade)
def get_evaluation_report_pdf(trade_id: int, obj):
    from bidding.scoring.report_pdf import render_report

    report = reports.report_of(obj)
    if report is None:
        abort(404)
    return Response(render_report(report), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="evaluation-report-{obj.ref}.pdf"'})


@bp.post(f"{BASE}/report/sign")
@doc("Sign the evaluation report with my own key (a sitting member): the statement from POST "
     "/api/v1/signing/statements (kind evaluation-report), my signature over it, my dissent if any",
     ReportSignLoadSchema, ReportSignatureSchema, 201)
@requires("scoring.score", load_trade)
def sign_evaluation_report(trade_id: int, obj):
    data = ReportSignLoadSchema().load(json_body())
    row = reports.sign_report(current_user, obj, data["dissent"], data["statement"], data["signature"])
    db.session.commit()
    return jsonify(ReportSignatureSchema().dump({"user_id": row.user_id, "member": row.user.display_name,
                                                 "signed_at": row.signed_at, "report_sha256": row.report_sha256,
                                                 "key_fingerprint": row.key_fingerprint,
                                                 "dissent": row.dissent})), 201
