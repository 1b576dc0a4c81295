"""The experts API (under /api/v1, bearer tokens): the pool, sanctions, a trade's committee plan, its
draw (rounds, commitments, reveals), the seats, and an expert's own assignments."""
from __future__ import annotations

from flask import abort, jsonify
from flask_login import current_user

from bidding.blueprints import api_bp as bp, authenticated as _authenticated
from bidding.experts import pool, services
from bidding.experts.models import PURPOSE, Expert
from bidding.experts.schemas import (AbsenceCreateSchema, CommitteePlanSchema, ExpertCreateSchema,
                                     ExpertDrawCommitmentSchema, ExpertDrawRevealSchema, ExpertSchema, RoundSchema,
                                     SanctionCreateSchema, SeatReasonSchema, SeatSchema)
from trading.api import json_body as _json, trade_or_404 as _trade
from trading.api.openapi import doc
from trading.draws import services as draws
from trading.extensions import db
from trading.permissions import require


def _expert(expert_id: int) -> Expert:
    return db.get_or_404(Expert, expert_id)


@bp.get("/experts")
@doc("The expert pool (executing staff and administrative supervisors)", None, ExpertSchema(many=True))
def list_experts():
    _authenticated()
    require("experts.pool.view", None)
    return jsonify(ExpertSchema(many=True).dump(db.session.scalars(db.select(Expert).order_by(Expert.id))))


@bp.post("/experts")
@doc("Enter a person holding the expert role into the pool (executing staff)", ExpertCreateSchema, ExpertSchema(), 201)
def create_expert():
    _authenticated()
    require("experts.pool.manage", None)
    expert = pool.register_expert(current_user, ExpertCreateSchema().load(_json()))
    db.session.commit()
    return jsonify(ExpertSchema().dump(expert)), 201


@bp.post("/experts/<int:expert_id>/sanctions")
@doc("Record a sanction with its dates (administrative supervisors)", SanctionCreateSchema, ExpertSchema(), 201)
def create_sanction(expert_id: int):
    _authenticated()
    require("experts.sanction", None)
    expert = _expert(expert_id)
    pool.sanction(current_user, expert, SanctionCreateSchema().load(_json()))
    db.session.commit()
    return jsonify(ExpertSchema().dump(expert)), 201


@bp.post("/experts/<int:expert_id>/absences")
@doc("Record days an expert cannot sit (executing staff, or the expert)", AbsenceCreateSchema, ExpertSchema(), 201)
def create_absence(expert_id: int):
    _authenticated()
    expert = _expert(expert_id)
    if expert.user_id != current_user.id:
        require("experts.pool.manage", None)
    pool.add_absence(current_user, expert, AbsenceCreateSchema().load(_json()))
    db.session.commit()
    return jsonify(ExpertSchema().dump(expert)), 201


@bp.put("/trades/<int:trade_id>/committee/plan")
@doc("Set the committee's plan: the tenderer's representatives and experts per specialty, checked against the "
     "rule set (executing staff)", CommitteePlanSchema, None)
def put_plan(trade_id: int):
    trade = _trade(trade_id)
    require("experts.trade.draw", trade)
    plan = services.set_plan(current_user, trade, CommitteePlanSchema().load(_json()))
    db.session.commit()
    return jsonify({"lines": plan.lines, "representatives": plan.representatives, "complex": plan.complex,
                    "region": plan.region, "size": plan.size})


@bp.post("/trades/<int:trade_id>/committee/draws")
@doc("Fix a round of the draw per specialty still short of experts; the tick draws it (executing staff)", None,
     RoundSchema(many=True), 201, bodyless=True)
def post_draw(trade_id: int):
    trade = _trade(trade_id)
    require("experts.trade.draw", trade)
    rows = services.draw(current_user, trade)
    db.session.commit()
    return jsonify(RoundSchema(many=True).dump(rows)), 201


@bp.get("/trades/<int:trade_id>/committee/draws")
@doc("The rounds of the trade's expert draw (the centre's staff and supervisors; anyone after the result)", None,
     RoundSchema(many=True))
def list_draws(trade_id: int):
    trade = _trade(trade_id)
    require("experts.trade.view", trade)
    return jsonify(RoundSchema(many=True).dump(draws.rounds(PURPOSE, trade)))


@bp.post("/trades/<int:trade_id>/committee/draws/<int:round_no>/commitments")
@doc("Commit to a contribution to a fixed round: SHA-256 (hex) of 32 random bytes you keep (supervisors of the "
     "centre)", ExpertDrawCommitmentSchema, None, 201)
def post_commitment(trade_id: int, round_no: int):
    trade = _trade(trade_id)
    require("experts.trade.contribute", trade)
    data = ExpertDrawCommitmentSchema().load(_json())
    c = draws.commit(current_user, trade, PURPOSE, round_no, data["commitment"])
    db.session.commit()
    return jsonify({"round": round_no, "commitment": c.commitment}), 201


@bp.post("/trades/<int:trade_id>/committee/draws/<int:round_no>/reveals")
@doc("Reveal the 32 bytes committed to, once the round's beacon is signed", ExpertDrawRevealSchema, None)
def post_reveal(trade_id: int, round_no: int):
    trade = _trade(trade_id)
    require("experts.trade.contribute", trade)
    data = ExpertDrawRevealSchema().load(_json())
    c = draws.reveal(current_user, trade, PURPOSE, round_no, data["reveal"])
    db.session.commit()
    return jsonify({"round": round_no, "commitment": c.commitment, "revealed": True})


@bp.get("/trades/<int:trade_id>/committee/members")
@doc("The experts drawn for the trade: secret until the result is published (the centre's staff and supervisors "
     "before; an expert sees only their own seat)", None, SeatSchema(many=True))
def list_members(trade_id: int):
    trade = _trade(trade_id)
    require("experts.trade.seats", trade)
    return jsonify(SeatSchema(many=True).dump(services.members_for(current_user, trade)))


@bp.post("/trades/<int:trade_id>/committee/members/<int:seat_id>/recusal")
@doc("Set a drawn expert aside with a reason; the next of the draw's order replaces them (executing staff)",
     SeatReasonSchema, SeatSchema(), 200)
def post_recusal(trade_id: int, seat_id: int):
    trade = _trade(trade_id)
    require("experts.trade.draw", trade)
    seat = services.recuse(current_user, trade, seat_id, SeatReasonSchema().load(_json())["reason"])
    db.session.commit()
    return jsonify(SeatSchema().dump(seat))


@bp.get("/me/expert-assignments")
@doc("Your assignments as evaluation expert", None, SeatSchema(many=True))
def my_assignments():
    _authenticated()
    require("experts.assignments", None)
    return jsonify(SeatSchema(many=True).dump(services.assignments(current_user)))


@bp.post("/trades/<int:trade_id>/committee/members/<int:seat_id>/confirm")
@doc("Confirm your seat on the committee", None, SeatSchema(), bodyless=True)
def post_confirm(trade_id: int, seat_id: int):
    trade = _trade(trade_id)
    require("experts.assignments", None)
    seat = services.confirm(current_user, trade, seat_id)
    db.session.commit()
    return jsonify(SeatSchema().dump(seat))


@bp.post("/trades/<int:trade_id>/committee/members/<int:seat_id>/decline")
@doc("Decline your seat (or recuse yourself: recusal true) with a reason; the next of the order replaces you",
     SeatReasonSchema, SeatSchema())
def post_decline(trade_id: int, seat_id: int):
    trade = _trade(trade_id)
    require("experts.assignments", None)
    data = SeatReasonSchema().load(_json())
    seat = services.decline(current_user, trade, seat_id, data["reason"], recusal=data["recusal"])
    db.session.commit()
    if seat is None:
        abort(404)
    return jsonify(SeatSchema().dump(seat))
