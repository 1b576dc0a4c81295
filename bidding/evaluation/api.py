"""Evaluation API routes (on the bidding API blueprint): seating the committee, failing a trade whose
every bid was rejected, the compliance and qualification review and the clarifications."""
from __future__ import annotations

from flask import abort, jsonify
from flask_babel import gettext as _
from flask_login import current_user

from bidding.blueprints import api_bp as bp
from bidding.evaluation import clarifications, review, services
from bidding.evaluation.models import CommitteeSeat, SeatKind
from bidding.evaluation.schemas import (BidClarificationAnswerSchema, BidClarificationCreateSchema, BidClarificationSchema,
                                        CommitteeSeatCreateSchema, CommitteeSeatSchema, CriterionCreateSchema,
                                        CriterionSchema, EvaluationReasonSchema, MarkSchema, MarksCreateSchema,
                                        ReviewClosureSchema, ReviewSchema)
from trading.accounts.models import User
from trading.api import json_body, trade_or_404
from trading.api.openapi import doc
from trading.errors import InvalidInput
from trading.extensions import db
from trading.permissions import require
from trading.trades.schemas import TransitionSchema


@bp.post("/trades/<int:trade_id>/evaluation/seats")
@doc("Seat a member of the evaluation committee: an expert or a representative of the tenderer "
     "(executing staff; the expert draw fills these)", CommitteeSeatCreateSchema, CommitteeSeatSchema, 201)
def seat_member(trade_id: int):
    trade = trade_or_404(trade_id)
    require("evaluation.seat", trade)
    data = CommitteeSeatCreateSchema().load(json_body())
    member = db.session.get(User, data["user_id"])
    if member is None:
        raise InvalidInput({"user_id": [_("no such user")]})
    seat = services.seat_member(current_user, trade, member, SeatKind(data["kind"]))
    db.session.commit()
    return jsonify(CommitteeSeatSchema().dump(seat)), 201


@bp.post("/trades/<int:trade_id>/evaluation/seats/<int:seat_id>/leave")
@doc("A member leaves the committee (stepped aside, replaced), with a reason (executing staff)",
     EvaluationReasonSchema, CommitteeSeatSchema)
def unseat_member(trade_id: int, seat_id: int):
    trade = trade_or_404(trade_id)
    require("evaluation.seat", trade)
    seat = db.session.get(CommitteeSeat, seat_id)
    if seat is None or seat.trade_id != trade.id:
        abort(404)
    data = EvaluationReasonSchema().load(json_body())
    services.unseat_member(current_user, seat, data["reason"])
    db.session.commit()
    return jsonify(CommitteeSeatSchema().dump(seat))


@bp.post("/trades/<int:trade_id>/evaluation/fail")
@doc("Every bid was rejected in review: the trade fails (流标) with the reason, published in the failure "
     "notice (executing staff)", EvaluationReasonSchema, TransitionSchema, 201)
def fail_all_invalid(trade_id: int):
    trade = trade_or_404(trade_id)
    require("evaluation.fail", trade)
    data = EvaluationReasonSchema().load(json_body())
    record = services.fail_all_invalid(current_user, trade, data["reason"])
    db.session.commit()
    return jsonify(TransitionSchema().dump(record)), 201


# ---- the review and the clarifications -----------------------------------------------------------

def _clarification(trade, clarification_id: int):
    row = clarifications.clarification_of(trade, clarification_id)
    if row is None:
        abort(404)
    return row


@bp.get("/trades/<int:trade_id>/evaluation/review")
@doc("The compliance and qualification review: criteria (with their clauses), each opened bid with the "
     "committee's conclusion per criterion, and the marks the caller may read (a sitting member their own; "
     "executing staff and supervisors all)", None, ReviewSchema)
def get_review(trade_id: int):
    trade = trade_or_404(trade_id)
    require("evaluation.review.view", trade)
    return jsonify(ReviewSchema().dump(review.grid(current_user, trade)))


@bp.post("/trades/<int:trade_id>/evaluation/review/criteria")
@doc("Add a criterion the tender documents name, before the first mark (executing staff)", CriterionCreateSchema,
     CriterionSchema, 201)
def add_criterion(trade_id: int):
    trade = trade_or_404(trade_id)
    require("evaluation.criteria.add", trade)
    row = review.add_criterion(current_user, trade, CriterionCreateSchema().load(json_body()))
    db.session.commit()
    criterion = next(c for c in review.criteria(trade) if c.code == row.code)
    return jsonify(CriterionSchema().dump(criterion)), 201


@bp.post("/trades/<int:trade_id>/evaluation/review/marks")
@doc("A sitting member marks one opened bid pass or fail on one or more criteria, all or nothing; a fail "
     "needs its reason (Reg 51); a mark given again replaces the member's earlier one", MarksCreateSchema,
     MarkSchema(many=True))
def record_marks(trade_id: int):
    trade = trade_or_404(trade_id)
    require("evaluation.review.mark", trade)
    data = MarksCreateSchema().load(json_body())
    rows = review.record_marks(current_user, trade, data["entry_id"], data["marks"])
    db.session.commit()
    return jsonify(MarkSchema(many=True).dump(rows))


@bp.post("/trades/<int:trade_id>/evaluation/review/close")
@doc("Close the review once every sitting member marked every bid on every criterion and each has its "
     "conclusion: the conclusions are recorded and the marks fixed (a sitting member)", None,
     ReviewClosureSchema, 201, bodyless=True)
def close_review(trade_id: int):
    trade = trade_or_404(trade_id)
    require("evaluation.review.mark", trade)
    closure = review.close_review(current_user, trade)
    db.session.commit()
    return jsonify(ReviewClosureSchema().dump(closure)), 201


@bp.get("/trades/<int:trade_id>/evaluation/clarifications")
@doc("Clarification questions and answers: all of them for the committee, executing staff and supervisors; "
     "a bidder its own organisation's only", None, BidClarificationSchema(many=True))
def list_bid_clarifications(trade_id: int):
    trade = trade_or_404(trade_id)
    require("evaluation.room", trade)
    return jsonify(BidClarificationSchema(many=True).dump(clarifications.visible(current_user, trade)))


@bp.post("/trades/<int:trade_id>/evaluation/clarifications")
@doc("Ask the bidder of an opened bid a written question with a deadline ahead, within the answer period "
     "(Law 39; Reg 52; a sitting member)", BidClarificationCreateSchema, BidClarificationSchema, 201)
def ask_bid_clarification(trade_id: int):
    trade = trade_or_404(trade_id)
    require("evaluation.clarify", trade)
    data = BidClarificationCreateSchema().load(json_body())
    row = clarifications.ask(current_user, trade, data["entry_id"], data["question"], data["deadline"])
    db.session.commit()
    return jsonify(BidClarificationSchema().dump(row)), 201


@bp.post("/trades/<int:trade_id>/evaluation/clarifications/<int:clarification_id>/answer")
@doc("The bidder answers in writing before the deadline, once; the answer has no price field (it cannot "
     "change the price) and a late answer is refused (members of the bidder asked)", BidClarificationAnswerSchema,
     BidClarificationSchema)
def answer_bid_clarification(trade_id: int, clarification_id: int):
    trade = trade_or_404(trade_id)
    require("evaluation.room", trade)
    row = _clarification(trade, clarification_id)
    require("evaluation.clarification.answer", row)
    data = BidClarificationAnswerSchema().load(json_body())
    clarifications.answer(current_user, row, data["answer"])
    db.session.commit()
    return jsonify(BidClarificationSchema().dump(row))


@bp.post("/trades/<int:trade_id>/evaluation/clarifications/<int:clarification_id>/refuse")
@doc("Refuse an answer that changes the price or substance of the bid or goes beyond it, with the reason "
     "(a sitting member)", EvaluationReasonSchema, BidClarificationSchema)
def refuse_bid_clarification(trade_id: int, clarification_id: int):
    trade = trade_or_404(trade_id)
    require("evaluation.clarify", trade)
    row = _clarification(trade, clarification_id)
    data = EvaluationReasonSchema().load(json_body())
    clarifications.refuse(current_user, row, data["reason"])
    db.session.commit()
    return jsonify(BidClarificationSchema().dump(row))
