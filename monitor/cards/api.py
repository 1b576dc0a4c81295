"""Cards API under /api/v1: list and read cards, take a step, a trade's cards, pause and resume a trade."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, fields, validate

from monitor.cards import services
from monitor.cards.models import Card, CardState
from trading.api import bearer_only, json_body, no_store, trade_or_404
from trading.api.openapi import doc
from trading.errors import InvalidInput
from trading.extensions import db
from trading.params import int_arg
from trading.permissions import require
from trading.rules.norms import Level
from trading.schemas import LoadSchema, field
from trading.trades.schemas import TransitionSchema

bp = Blueprint("cards_api", __name__, url_prefix="/api/v1")
bp.before_request(bearer_only)
bp.after_request(no_store)


class CardEventSchema(Schema):
    id = fields.Integer()
    move = fields.String()
    label = fields.Function(lambda e: services.move_label(e.move))
    from_state = fields.Function(lambda e: e.from_state.value if e.from_state else None, allow_none=True)
    to_state = fields.Function(lambda e: e.to_state.value)
    level = fields.Function(lambda e: e.level.value)
    actor_id = fields.Integer(allow_none=True)
    actor = fields.Function(lambda e: e.actor.display_name if e.actor else None, allow_none=True)
    assignee_id = fields.Integer(allow_none=True)
    text = fields.String(allow_none=True)
    at = fields.AwareDateTime()
    audit_index = fields.Integer(attribute="audit_seq", allow_none=True)


class CardSchema(Schema):
    """A card; `title` and `detail` are in the caller's language (Accept-Language)."""

    id = fields.Integer()
    trade_id = fields.Integer()
    trade_ref = fields.Function(lambda c: c.trade.ref)
    centre_id = fields.Integer()
    norm = fields.String()
    subject = fields.String()
    level = fields.Function(lambda c: c.level.value)
    state = fields.Function(lambda c: c.state.value)
    condition = fields.String()
    title = fields.String()
    detail = fields.Function(lambda c: c.detail_for(current_user))
    source = fields.Function(lambda c: c.citation["text"])  # the legal source in the reader's language
    due_at = fields.AwareDateTime(allow_none=True)
    issued_at = fields.AwareDateTime()
    closed_at = fields.AwareDateTime(allow_none=True)
    assignee_id = fields.Integer(allow_none=True)
    assignee = fields.Function(lambda c: c.assignee.display_name if c.assignee else None, allow_none=True)


class CardDetailSchema(CardSchema):
    events = fields.List(fields.Nested(CardEventSchema))
    allowed_moves = fields.Method("_moves")

    def _moves(self, card) -> list[str]:
        return [m.name for m in services.human_moves(card, current_user)]


class CardMoveSchema(LoadSchema):
    move = field(fields.String, required=True, validate=validate.OneOf(services.HUMAN_MOVES))
    text = field(fields.String, load_default=None, allow_none=True, validate=validate.Length(max=services.MAX_TEXT))
    assignee_id = field(fields.Integer, load_default=None, allow_none=True)


class PauseSchema(LoadSchema):
    reason = field(fields.String, required=True, validate=validate.Length(max=2000))


def _card(card_id: int) -> Card:
    card = db.session.get(Card, card_id)
    if card is None:
        abort(404)
    return card


def _choice(name: str, allowed: tuple[str, ...]) -> str | None:
    value = request.args.get(name) or None
    if value is not None and value not in allowed:
        raise InvalidInput({name: [_("must be one of: %(values)s", values=", ".join(allowed))]})
    return value


def _limit() -> int:
    return min(int_arg("limit", 100), 500)


@bp.get("/cards")
@doc("Cards the caller may see, newest first; filter by level, state (or `open`), centre, trade", None,
     CardSchema(many=True), query={"level": "string", "state": "string", "centre": "integer", "trade": "integer",
                                   "limit": "integer"})
def list_cards():
    require("cards.list")
    level = _choice("level", tuple(lv.value for lv in Level))
    state = _choice("state", ("open", *(s.value for s in CardState)))
    query = sa.select(Card).where(services.visible_clause(current_user))
    if level:
        query = query.where(Card.level == Level(level))
    if state == "open":
        query = query.where(Card.state != CardState.CLOSED)
    elif state:
        query = query.where(Card.state == CardState(state))
    for name, column in (("centre", Card.centre_id), ("trade", Card.trade_id)):
        value = int_arg(name)
        if value is not None:
            query = query.where(column == value)
    rows = db.session.scalars(query.order_by(Card.issued_at.desc(), Card.id.desc()).limit(_limit())).all()
    return jsonify(CardSchema(many=True).dump(rows))


@bp.get("/cards/<int:card_id>")
@doc("One card with its history and the steps open to the caller", None, CardDetailSchema())
def get_card(card_id: int):
    card = _card(card_id)
    require("card.view", card)
    return jsonify(CardDetailSchema().dump(card))


@bp.post("/cards/<int:card_id>/transitions")
@doc("Take a step on a card: assign (supervisor), answer (assignee), return or close (supervisor)",
     CardMoveSchema, CardDetailSchema(), 201)
def move_card(card_id: int):
    card = _card(card_id)
    require("card.view", card)
    data = CardMoveSchema().load(json_body())
    services.transition(card, data["move"], current_user, text=data["text"], assignee=data["assignee_id"])
    db.session.commit()
    return jsonify(CardDetailSchema().dump(card)), 201


@bp.get("/trades/<int:trade_id>/cards")
@doc("Every card of a trade, oldest first (its supervisors and deciders)", None, CardSchema(many=True))
def list_trade_cards(trade_id: int):
    trade = trade_or_404(trade_id)
    require("cards.trade", trade)
    return jsonify(CardSchema(many=True).dump(services.cards_for_trade(trade)))


@bp.post("/trades/<int:trade_id>/pause")
@doc("Pause (suspend) a trade with a reason (administrative supervisors)", PauseSchema, TransitionSchema(), 201)
def pause_trade_api(trade_id: int):
    trade = trade_or_404(trade_id)
    require("cards.pause", trade)
    data = PauseSchema().load(json_body())
    record = services.pause_trade(current_user, trade, data["reason"])
    db.session.commit()
    return jsonify(TransitionSchema().dump(record)), 201


@bp.post("/trades/<int:trade_id>/resume")
@doc("Resume a paused trade with a reason (administrative supervisors)", PauseSchema, TransitionSchema(), 201)
def resume_trade_api(trade_id: int):
    trade = trade_or_404(trade_id)
    require("cards.pause", trade)
    data = PauseSchema().load(json_body())
    record = services.resume_trade(current_user, trade, data["reason"])
    db.session.commit()
    return jsonify(TransitionSchema().dump(record)), 201
