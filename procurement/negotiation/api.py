"""Negotiation API (on the procurement API blueprint, /api/v1/trades/<id>/negotiation...): the rounds, each
supplier's thread, requirement changes, the call for final quotes, sealed final quotes and their opening."""
from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user

from bidding.keyholders.schemas import ReleaseSchema, SealedShareSchema, hex_bytes
from bidding.keyholders.services import refuse_passphrase
from procurement.blueprints import api_bp as bp
from procurement.negotiation import overview, quotes, services
from procurement.negotiation.schemas import (CallLoadSchema, CallSchema, ChangeLoadSchema, ChangeSchema,
                                             MessageLoadSchema, MessageSchema, NegotiationSchema,
                                             OwnNegotiationSchema, QuoteSchema, FinalReleasedSchema, RoundLoadSchema,
                                             SetAsideLoadSchema, SupplierChangeSchema, SupplierSchema)
from trading.api import json_body, trade_or_404
from trading.api.openapi import doc
from trading.extensions import db
from trading.permissions import can, require

BASE = "/trades/<int:trade_id>/negotiation"


def _whole(trade, status: int = 200):
    return jsonify(NegotiationSchema().dump(overview.overview(current_user, trade))), status


@bp.get(BASE)
@doc("The whole negotiation or consultation: round, panel check, suppliers, changes, the call, the sealed final "
     "quotes (hashes; prices once opened), the releases, the opening's record (panel, clerk, supervisors)",
     None, NegotiationSchema)
def negotiation_get(trade_id: int):
    trade = trade_or_404(trade_id)
    require("negotiation.view", trade)
    return _whole(trade)


@bp.post(BASE)
@doc("Start the rounds (the clerk, once the responses are opened and the panel sits): 409 panel_unlawful naming "
     "each breach (at least 3, odd, experts at least two thirds) with its source", None, NegotiationSchema, 201,
     bodyless=True)
def negotiation_start(trade_id: int):
    trade = trade_or_404(trade_id)
    require("negotiation.start", trade)
    services.start(current_user, trade)
    db.session.commit()
    return _whole(trade, 201)


@bp.post(f"{BASE}/rounds")
@doc("Close the round and open the next (the panel); `expected` guards a stale page", RoundLoadSchema,
     NegotiationSchema)
def negotiation_next_round(trade_id: int):
    trade = trade_or_404(trade_id)
    require("negotiation.conduct", trade)
    data = RoundLoadSchema().load(json_body())
    services.next_round(current_user, trade, data["expected"])
    db.session.commit()
    return _whole(trade)


@bp.get(f"{BASE}/threads/<int:organisation_id>")
@doc("One supplier's thread with the panel (the panel, clerk and supervisors: any; a supplier: its own only)",
     None, MessageSchema(many=True))
def negotiation_thread(trade_id: int, organisation_id: int):
    trade = trade_or_404(trade_id)
    require("negotiation.changes", trade)
    return jsonify(MessageSchema(many=True).dump(services.thread_for(current_user, trade, organisation_id)))


@bp.post(f"{BASE}/threads/<int:organisation_id>/messages")
@doc("Write in a supplier's thread: the panel to that supplier, or the supplier to the panel in its own thread; "
     "no other supplier reads it", MessageLoadSchema, MessageSchema, 201)
def negotiation_message(trade_id: int, organisation_id: int):
    trade = trade_or_404(trade_id)
    require("negotiation.changes", trade)
    data = MessageLoadSchema().load(json_body())
    row = services.send_message(current_user, trade, data["body"], organisation_id)
    db.session.commit()
    return jsonify(MessageSchema().dump(row)), 201


@bp.get(f"{BASE}/mine")
@doc("A supplier's part: its own thread, the changes sent to it, the call, its own sealed final quotes and what "
     "its browser seals to (opening key, bidder field, next number)", None, OwnNegotiationSchema)
def negotiation_mine(trade_id: int):
    trade = trade_or_404(trade_id)
    require("negotiation.supplier", trade)
    return jsonify(OwnNegotiationSchema().dump(overview.own_view(current_user, trade)))


@bp.get(f"{BASE}/changes")
@doc("The requirement changes as sent (a supplier: those sent to it)", None, ChangeSchema(many=True))
def negotiation_changes(trade_id: int):
    trade = trade_or_404(trade_id)
    require("negotiation.changes", trade)
    schema = ChangeSchema if can(current_user, "negotiation.view", trade) else SupplierChangeSchema  # suppliers: not who else
    return jsonify(schema(many=True).dump(services.changes_for(current_user, trade)))


@bp.post(f"{BASE}/changes")
@doc("Change the technical, service or contract requirements: recorded and sent at once to every supplier still "
     "in (the panel, during the rounds)", ChangeLoadSchema, ChangeSchema, 201)
def negotiation_change(trade_id: int):
    trade = trade_or_404(trade_id)
    require("negotiation.conduct", trade)
    data = ChangeLoadSchema().load(json_body())
    row = services.change_requirements(current_user, trade, data["kind"], data["body"])
    db.session.commit()
    return jsonify(ChangeSchema().dump(row)), 201


@bp.post(f"{BASE}/set-aside")
@doc("Set aside a supplier whose response does not meet the requirements, with the reason (the panel)",
     SetAsideLoadSchema, SupplierSchema, 201)
def negotiation_set_aside(trade_id: int):
    trade = trade_or_404(trade_id)
    require("negotiation.conduct", trade)
    data = SetAsideLoadSchema().load(json_body())
    row = services.set_aside(current_user, trade, data["organisation_id"], data["reason"])
    db.session.commit()
    return jsonify(SupplierSchema().dump({"organisation_id": row.organisation_id, "name": row.organisation.name,
                                          "still_in": False, "set_aside_reason": row.reason})), 201


@bp.post(f"{BASE}/final-call")
@doc("End the rounds and call every supplier still in for a final sealed quote by the deadline (the panel); 409 "
     "too_few below the rule set's minimum", CallLoadSchema, CallSchema, 201)
def negotiation_call(trade_id: int):
    trade = trade_or_404(trade_id)
    require("negotiation.conduct", trade)
    data = CallLoadSchema().load(json_body())
    row = services.call_final_quotes(current_user, trade, data["deadline"])
    db.session.commit()
    return jsonify(CallSchema().dump(row)), 201


@bp.post(f"{BASE}/final-quotes")
@doc("Submit (or replace) a final quote: the raw envelope as the body, sealed to the trade's opening key with "
     "bidder field FINAL-<credit code> and the next number as its version, with its Content-Digest (a supplier "
     "called, before the deadline); answers with a signed receipt", None, QuoteSchema, 201,
     binary="application/octet-stream")
def negotiation_quote(trade_id: int):
    trade = trade_or_404(trade_id)
    require("negotiation.supplier", trade)
    data = request.stream.read(quotes.MAX_QUOTE_BYTES + 1)
    row = quotes.seal_quote(current_user, trade, data, request.headers.get("Content-Digest"))
    body = QuoteSchema().dump(row)
    db.session.commit()
    return jsonify(body), 201


@bp.get(f"{BASE}/final-share")
@doc("Your sealed share of the trade's opening key, for your own machine to open (keyholders, after the final "
     "quotes' deadline)", None, SealedShareSchema)
def negotiation_final_share(trade_id: int):
    trade = trade_or_404(trade_id)
    require("negotiation.release", trade)
    response = jsonify(SealedShareSchema().dump(quotes.share_for(current_user, trade)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post(f"{BASE}/final-shares")
@doc("Release your share for opening the final quotes: the share your own machine opened (keyholders; a request "
     "with a passphrase is 410)", ReleaseSchema, FinalReleasedSchema, 201)
def negotiation_final_release(trade_id: int):
    trade = trade_or_404(trade_id)
    require("negotiation.release", trade)
    body = json_body()
    refuse_passphrase(body)
    data = ReleaseSchema().load(body)
    row = quotes.release_share(current_user, trade, hex_bytes(data["share"]))
    db.session.commit()
    return jsonify(FinalReleasedSchema().dump(row)), 201


@bp.post(f"{BASE}/final-opening")
@doc("Open the final quotes after their deadline from the released shares (the clerk or a supervisor); the "
     "ranking then reads the final prices", None, NegotiationSchema, bodyless=True)
def negotiation_open(trade_id: int):
    trade = trade_or_404(trade_id)
    require("negotiation.open", trade)
    quotes.open_quotes(current_user, trade)
    db.session.commit()
    return _whole(trade)
