"""Evaluation API routes (on the bidding API blueprint): seating the committee, failing a trade whose
every bid was rejected."""
from __future__ import annotations

from flask import abort, jsonify
from flask_babel import gettext as _
from flask_login import current_user

from bidding.blueprints import api_bp as bp
from bidding.evaluation import services
from bidding.evaluation.models import CommitteeSeat, SeatKind
from bidding.evaluation.schemas import EvaluationReasonSchema, CommitteeSeatCreateSchema, CommitteeSeatSchema
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
