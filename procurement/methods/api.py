"""Methods API (on the procurement API blueprint): an invitation tender's invitees and their draw, and the
change of method after a failed tender (/api/v1/trades/<id>/invitees, /api/v1/trades/<id>/method-changes)."""
from __future__ import annotations

from flask import abort, jsonify
from flask_babel import gettext as _
from flask_login import current_user

from procurement.blueprints import api_bp as bp
from procurement.methods import changes, services
from procurement.methods.models import PURPOSE
from procurement.methods.rules import MIN_INVITEES
from procurement.methods.schemas import (InviteeDrawCommitmentSchema, InviteeDrawRevealSchema, InviteeDrawCreateSchema,
                                         InviteeListCreateSchema, InviteeRoundSchema, InviteesSchema,
                                         MethodChangeCreateSchema, MethodChangeDecisionSchema, MethodChangeSchema)
from trading.api import json_body, trade_or_404
from trading.api.openapi import doc
from trading.draws import services as draws
from trading.extensions import db
from trading.permissions import NotAuthenticated, can, require
from trading.trades.models import Trade


def _trade(trade_id: int, *permissions: str) -> Trade:
    """The trade, or 401 for an anonymous caller / 404 for one who holds none of the `permissions` on it."""
    trade = trade_or_404(trade_id)
    if not any(can(current_user, permission, trade) for permission in permissions):
        if not current_user.is_authenticated:
            raise NotAuthenticated(_("Please log in to continue."))
        abort(404)
    return trade


def invitees_body(trade: Trade) -> dict:
    return InviteesSchema().dump({"trade": trade.ref, "minimum": int(MIN_INVITEES.value),
                                  "invitees": services.invitees(trade), "rounds": services.rounds(trade)})


@bp.get("/trades/<int:trade_id>/invitees")
@doc("An invitation tender's invitees and the rounds of their draw (candidates, beacon, seed, order): public "
     "once the trade is, before that to its purchaser and the centre's branches", None, InviteesSchema)
def procurement_invitees(trade_id: int):
    trade = _trade(trade_id, "procurement.invitees.view")
    return jsonify(invitees_body(trade))


@bp.post("/trades/<int:trade_id>/invitees")
@doc("Publish the purchaser's own list of invitees (at least three registered suppliers, GPL 34; O87 14), "
     "before the trade opens for bids", InviteeListCreateSchema, InviteesSchema, 201)
def procurement_invitee_list(trade_id: int):
    trade = _trade(trade_id, "procurement.invitees.view")
    require("procurement.invitees.set", trade)
    data = InviteeListCreateSchema().load(json_body())
    services.publish_list(current_user, trade, data["organisation_ids"], data["reason"])
    db.session.commit()
    return jsonify(invitees_body(trade)), 201


@bp.post("/trades/<int:trade_id>/invitees/draws")
@doc("Fix a round drawing `count` invitees (at least three) from the registered suppliers or the candidates "
     "named; the tick draws it once its beacon is signed (docs/procurement-methods.md)",
     InviteeDrawCreateSchema, InviteeRoundSchema, 201)
def procurement_invitee_draw(trade_id: int):
    trade = _trade(trade_id, "procurement.invitees.view")
    require("procurement.invitees.set", trade)
    data = InviteeDrawCreateSchema().load(json_body())
    row = services.fix_draw(current_user, trade, data["count"], data["candidates"])
    db.session.commit()
    return jsonify(InviteeRoundSchema().dump(row)), 201


@bp.post("/trades/<int:trade_id>/invitees/draws/<int:round_no>/commitments")
@doc("Commit to a contribution to a fixed round of the invitee draw: SHA-256 (hex) of 32 random bytes you keep "
     "(supervisors of the centre)", InviteeDrawCommitmentSchema, None, 201)
def procurement_invitee_commitment(trade_id: int, round_no: int):
    # the supervisors contribute, though they may not read the invitees; those who may read them are told 403
    trade = _trade(trade_id, "procurement.invitees.view", "procurement.invitees.contribute")
    require("procurement.invitees.contribute", trade)
    data = InviteeDrawCommitmentSchema().load(json_body())
    c = draws.commit(current_user, trade, PURPOSE, round_no, data["commitment"])
    db.session.commit()
    return jsonify({"round": round_no, "commitment": c.commitment}), 201


@bp.post("/trades/<int:trade_id>/invitees/draws/<int:round_no>/reveals")
@doc("Reveal the 32 bytes committed to, once the round's beacon is signed (supervisors who committed)",
     InviteeDrawRevealSchema, None)
def procurement_invitee_reveal(trade_id: int, round_no: int):
    # the supervisors contribute, though they may not read the invitees; those who may read them are told 403
    trade = _trade(trade_id, "procurement.invitees.view", "procurement.invitees.contribute")
    require("procurement.invitees.contribute", trade)
    data = InviteeDrawRevealSchema().load(json_body())
    c = draws.reveal(current_user, trade, PURPOSE, round_no, data["reveal"])
    db.session.commit()
    return jsonify({"round": round_no, "commitment": c.commitment, "revealed": True})


@bp.get("/trades/<int:trade_id>/method-changes")
@doc("The requests to change a failed tender's method and their decisions", None, MethodChangeSchema(many=True))
def procurement_method_changes(trade_id: int):
    trade = _trade(trade_id, "procurement.method_change.view")
    return jsonify(MethodChangeSchema(many=True).dump(changes.changes_of(trade)))


@bp.post("/trades/<int:trade_id>/method-changes")
@doc("Ask the decision branch to procure by another method after an open or invitation tender failed for too "
     "few suppliers (GPL 36; O87 43; O74 27), with the reason (the purchaser or the clerk)",
     MethodChangeCreateSchema, MethodChangeSchema, 201)
def procurement_method_change_request(trade_id: int):
    trade = _trade(trade_id, "procurement.method_change.view")
    require("procurement.method_change.request", trade)
    data = MethodChangeCreateSchema().load(json_body())
    change = changes.request(current_user, trade, data["to_method"], data["reason"])
    db.session.commit()
    return jsonify(MethodChangeSchema().dump(change)), 201


@bp.post("/trades/<int:trade_id>/method-changes/decision")
@doc("The decision branch approves or refuses the waiting change of method with its reason; an approval makes "
     "the follow-on draft by the new method, its method approval recorded", MethodChangeDecisionSchema,
     MethodChangeSchema)
def procurement_method_change_decision(trade_id: int):
    trade = _trade(trade_id, "procurement.method_change.view")
    require("procurement.method_change.decide", trade)
    data = MethodChangeDecisionSchema().load(json_body())
    change = changes.decide(current_user, trade, data["approve"], data["reason"])
    db.session.commit()
    return jsonify(MethodChangeSchema().dump(change))
