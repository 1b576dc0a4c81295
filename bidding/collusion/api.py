"""Collusion API routes (on the bidding API blueprint): the flags of an opened trade for its supervisors and
sitting committee, running the screens again, and the committee's decision on a flag."""
from __future__ import annotations

from flask import abort, jsonify
from flask_login import current_user

from bidding.blueprints import api_bp as bp
from bidding.collusion import services
from bidding.collusion.schemas import FlagListSchema, FlagReviewCreateSchema, FlagReviewSchema, ScreeningSchema
from bidding.collusion.thresholds import CITATIONS, RULES
from trading.api import json_body, trade_or_404
from trading.api.openapi import doc
from trading.extensions import db
from trading.permissions import require


def shown_flags(trade, flags) -> list[dict]:
    """The flags as their viewer reads them (titles in the viewer's language, bidders by name)."""
    names = services.names_of(trade, flags)
    return [{"id": f.id, "rule": f.rule, "clause": f.clause, "citation": str(CITATIONS[f.clause]),
             "title": str(RULES[f.rule].title),
             "meaning": str(RULES[f.rule].meaning),
             "organisations": [{"id": i, "name": names.get(i, "")} for i in f.organisation_ids],
             "evidence": f.evidence, "current": f.current, "first_seen_at": f.first_seen_at,
             "last_seen_at": f.last_seen_at, "decision": f.decision, "reviews": list(f.decisions)} for f in flags]


@bp.get("/trades/<int:trade_id>/collusion/flags")
@doc("Collusion signals (Reg 39-40) of an opened trade, each explaining itself and citing its clause, with the "
     "committee's decisions (the trade's supervisors and the sitting committee; nobody before the opening)",
     None, FlagListSchema)
def collusion_flags(trade_id: int):
    trade = trade_or_404(trade_id)
    require("collusion.view", trade)
    flags = services.flags_for(current_user, trade)
    return jsonify(FlagListSchema().dump({"trade_id": trade.id, "screening": services.last_screening(trade),
                                          "flags": shown_flags(trade, flags)}))


@bp.post("/trades/<int:trade_id>/collusion/screenings")
@doc("Run the collusion screens again over the opened bids (the trade's supervisors and the sitting committee)",
     None, ScreeningSchema, 201, bodyless=True)
def collusion_screen(trade_id: int):
    trade = trade_or_404(trade_id)
    require("collusion.screen", trade)
    run = services.request_screening(current_user, trade)
    db.session.commit()
    return jsonify(ScreeningSchema().dump(run)), 201


@bp.post("/trades/<int:trade_id>/collusion/flags/<int:flag_id>/reviews")
@doc("Record what the committee did with a flag: dismissed, referred to the supervisors or used in the review, "
     "with a note (a sitting member; a flag never disqualifies by itself)", FlagReviewCreateSchema,
     FlagReviewSchema, 201)
def collusion_review(trade_id: int, flag_id: int):
    trade = trade_or_404(trade_id)
    require("collusion.decide", trade)
    flag = services.flag_of(trade, flag_id)
    if flag is None:
        abort(404)
    data = FlagReviewCreateSchema().load(json_body())
    review = services.review_flag(current_user, flag, data["decision"], data["note"])
    db.session.commit()
    return jsonify(FlagReviewSchema().dump(review)), 201
