"""Award API routes (on the bidding API blueprint), under /api/v1/trades/<id>/award: the candidates, objections,
complaints, the award with its letters and report, the contract and the refunds after it."""
from __future__ import annotations

from flask import Response, abort, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from bidding.award import services
from bidding.award.letters import render_letter
from bidding.award.schemas import (AwardCreateSchema, AwardReportCreateSchema, AwardReportSchema, AwardSchema,
                                   AwardStateSchema, CandidateListSchema, CandidateObjectionAnswerSchema,
                                   CandidateObjectionCreateSchema, CandidateObjectionSchema, ComplaintCreateSchema,
                                   ComplaintDecisionSchema, ComplaintRulingSchema, ComplaintSchema,
                                   ContractCreateSchema, ContractSchema, DepositRefundSchema, LetterSchema)
from bidding.blueprints import api_bp as bp, authenticated
from trading.accounts.models import User
from trading.api import json_body, trade_or_404
from trading.api.openapi import doc
from trading.errors import InvalidInput
from trading.extensions import db
from trading.permissions import can, require
from trading.trades import services as trades
from trading.trades.schemas import TransitionSchema


def visible_trade(trade_id: int):
    """The trade, or 404 to anyone who may not know it exists (a trade before its notice)."""
    trade = trade_or_404(trade_id)
    if not can(current_user, "trade.view", trade):
        abort(404)
    return trade


def state_of(trade) -> dict:
    """What the tenderer and the branches see of the award."""
    return {"state": trade.state.value, "candidates": services.current_list(trade),
            "objections": services.objections(trade), "award": services.decision_of(trade),
            "report": services.report_of(trade),
            "disqualified": services.disqualifications(trade), "letters": services.letters(trade),
            "contract": services.contract_of(trade)}


@bp.get("/trades/<int:trade_id>/award/candidates")
@doc("The published candidates (中标候选人公示): names and prices in rank order and the publicity period "
     "(anyone, once published)", None, CandidateListSchema, auth=False)
def award_candidates(trade_id: int):
    trade = visible_trade(trade_id)
    lst = services.current_list(trade)
    if lst is None:
        abort(404)
    return jsonify(CandidateListSchema().dump(lst))


@bp.get("/trades/<int:trade_id>/award")
@doc("The award of a trade as the tenderer and the centre's branches see it: candidates, objections, "
     "the award, letters, the contract", None, AwardStateSchema)
def award_state(trade_id: int):
    trade = trade_or_404(trade_id)
    require("award.view", trade)
    return jsonify(AwardStateSchema().dump(state_of(trade)))


@bp.post("/trades/<int:trade_id>/award/publicize")
@doc("Publish the candidates: the `publicize` move, gated by the supervisors' sign-off of the evaluation "
     "report (executing staff)", None, TransitionSchema, 201, bodyless=True)
def award_publicize(trade_id: int):
    trade = trade_or_404(trade_id)
    require("award.manage", trade)
    record = trades.move(trade, "publicize", current_user)
    db.session.commit()
    return jsonify(TransitionSchema().dump(record)), 201


@bp.post("/trades/<int:trade_id>/award/objections")
@doc("Object to the candidates during their publicity (a bidder or interested party; Reg 54): the tender "
     "is suspended until the tenderer answers", CandidateObjectionCreateSchema, CandidateObjectionSchema, 201)
def award_object(trade_id: int):
    trade = visible_trade(trade_id)
    require("award.object", trade)
    data = CandidateObjectionCreateSchema().load(json_body())
    row = services.raise_objection(current_user, trade, data["text"])
    db.session.commit()
    return jsonify(CandidateObjectionSchema().dump(row)), 201


@bp.get("/trades/<int:trade_id>/award/objections/mine")
@doc("Your objections on the trade and their answers (signed-in callers)", None, CandidateObjectionSchema(many=True))
def award_my_objections(trade_id: int):
    authenticated()
    trade = visible_trade(trade_id)
    return jsonify(CandidateObjectionSchema(many=True).dump(services.objections_by(current_user, trade)))


@bp.post("/trades/<int:trade_id>/award/objections/<int:objection_id>/answer")
@doc("Answer an objection (the tenderer, or the staff for it; within 3 days, Reg 54): the tender resumes "
     "once none is open", CandidateObjectionAnswerSchema, CandidateObjectionSchema)
def award_answer(trade_id: int, objection_id: int):
    trade = trade_or_404(trade_id)
    require("award.answer", trade)
    row = services.objection_of(trade, objection_id)
    if row is None:
        abort(404)
    data = CandidateObjectionAnswerSchema().load(json_body())
    services.answer_objection(current_user, row, data["answer"], data["upheld"])
    db.session.commit()
    return jsonify(CandidateObjectionSchema().dump(row))


@bp.post("/trades/<int:trade_id>/award/complaints")
@doc("Complain to the administrative supervisors within 10 days of knowing (Reg 60); about the candidates "
     "only after an objection", ComplaintCreateSchema, ComplaintSchema, 201)
def award_complain(trade_id: int):
    trade = visible_trade(trade_id)
    require("award.complain", trade)
    data = ComplaintCreateSchema().load(json_body())
    row = services.file_complaint(current_user, trade, data["text"], data["knew_at"], data["about"])
    db.session.commit()
    return jsonify(ComplaintSchema().dump(row)), 201


@bp.get("/trades/<int:trade_id>/award/complaints")
@doc("Complaints on the trade: all of them to the supervising branch of its centre, your own to you",
     None, ComplaintSchema(many=True))
def award_complaints(trade_id: int):
    authenticated()
    trade = visible_trade(trade_id)
    rows = services.complaints(trade) if can(current_user, "award.complaints.view", trade) \
        else services.complaints_by(current_user, trade)
    return jsonify(ComplaintSchema(many=True).dump(rows))


def _complaint(trade, complaint_id: int):
    row = services.complaint_of(trade, complaint_id)
    if row is None:
        abort(404)
    return row


@bp.post("/trades/<int:trade_id>/award/complaints/<int:complaint_id>/decision")
@doc("Accept a complaint (its reviewer may read the kept bid documents) or refuse it with the reason, "
     "within 3 working days (administrative supervisors; Reg 61)", ComplaintDecisionSchema, ComplaintSchema)
def award_decide_complaint(trade_id: int, complaint_id: int):
    trade = trade_or_404(trade_id)
    require("award.complaints.handle", trade)
    row = _complaint(trade, complaint_id)
    data = ComplaintDecisionSchema().load(json_body())
    reviewer = None
    if data.get("reviewer_id") is not None:
        reviewer = db.session.get(User, data["reviewer_id"])
        if reviewer is None:
            raise InvalidInput({"reviewer_id": [_("no such user")]})
    services.decide_complaint(current_user, row, data["accept"], data.get("reason"), reviewer, data["suspend"])
    db.session.commit()
    return jsonify(ComplaintSchema().dump(row))


@bp.post("/trades/<int:trade_id>/award/complaints/<int:complaint_id>/ruling")
@doc("Rule on an accepted complaint within 30 working days (administrative supervisors; Reg 61): the "
     "ruling is published", ComplaintRulingSchema, ComplaintSchema)
def award_rule_complaint(trade_id: int, complaint_id: int):
    trade = trade_or_404(trade_id)
    require("award.complaints.handle", trade)
    row = _complaint(trade, complaint_id)
    data = ComplaintRulingSchema().load(json_body())
    services.rule_complaint(current_user, row, data["upheld"], data["ruling"])
    db.session.commit()
    return jsonify(ComplaintSchema().dump(row))


@bp.post("/trades/<int:trade_id>/award/decision")
@doc("Award the trade after the publicity: rank 1 unless passed over for a recorded reason (Reg 55); issues "
     "the award notice and the result notices and publishes the result (executing staff)",
     AwardCreateSchema, AwardSchema, 201)
def award_decide(trade_id: int):
    trade = trade_or_404(trade_id)
    require("award.decide", trade)
    data = AwardCreateSchema().load(json_body())
    passes = [services.PassOver(p["candidate_id"], p["reason"], p["note"]) for p in data["disqualified"]]
    decision = services.award(current_user, trade, passes, data.get("winner_id"), data.get("reason"))
    db.session.commit()
    return jsonify(AwardSchema().dump(decision)), 201


@bp.post("/trades/<int:trade_id>/award/report")
@doc("The written report of the award to the supervising department, within 15 days (the tenderer or the "
     "staff for it; Law 47)", AwardReportCreateSchema, AwardReportSchema, 201)
def award_report(trade_id: int):
    trade = trade_or_404(trade_id)
    require("award.report", trade)
    data = AwardReportCreateSchema().load(json_body())
    report = services.report_award(current_user, trade, data["text"])
    db.session.commit()
    return jsonify(AwardReportSchema().dump(report)), 201


@bp.get("/trades/<int:trade_id>/award/letters")
@doc("The award and result letters you may read: your company's own; all of them for the tenderer and "
     "the staff", None, LetterSchema(many=True))
def award_letters(trade_id: int):
    authenticated()
    trade = visible_trade(trade_id)
    rows = [letter for letter in services.letters(trade) if can(current_user, "award.letter", letter)]
    return jsonify(LetterSchema(many=True).dump(rows))


def letter_pdf(trade, letter_id: int) -> Response:
    letter = services.letter_of(trade, letter_id)
    if letter is None:
        abort(404)
    require("award.letter", letter)
    data = render_letter(letter)
    db.session.commit()  # the first read is on record
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{trade.ref}-{letter.kind.value}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/trades/<int:trade_id>/award/letters/<int:letter_id>.pdf")
@doc("One letter as a PDF in your language (its company's members; the tenderer and the staff)", None, None)
def award_letter_pdf(trade_id: int, letter_id: int):
    authenticated()
    return letter_pdf(trade_or_404(trade_id), letter_id)


@bp.post("/trades/<int:trade_id>/award/contract")
@doc("Record the contract within 30 days of the award notice: amount (the winning price), performance bond "
     "(at most 10%, Reg 58), signing date, and the signed document as multipart field 'document'; the "
     "contract is published (executing staff)", None, ContractSchema, 201, upload="document")
def award_contract(trade_id: int):
    trade = trade_or_404(trade_id)
    require("award.contract", trade)
    data = ContractCreateSchema().load({k: v for k, v in request.form.items() if k != "document"})
    file = request.files.get("document")
    contract = services.record_contract(current_user, trade, data["amount"], data["performance_bond"],
                                        data["signed_on"], file.filename if file else None,
                                        file.mimetype if file else None, file.stream if file else None)
    db.session.commit()
    return jsonify(ContractSchema().dump(contract)), 201


@bp.post("/trades/<int:trade_id>/award/refunds")
@doc("Refund every bid security not yet settled, after the contract (within 5 days, Reg 57; executing staff)",
     None, DepositRefundSchema(many=True), bodyless=True)
def award_refunds(trade_id: int):
    trade = trade_or_404(trade_id)
    require("deposits.manage", trade)
    rows = services.refund_deposits(current_user, trade)
    db.session.commit()
    return jsonify(DepositRefundSchema(many=True).dump(rows))
