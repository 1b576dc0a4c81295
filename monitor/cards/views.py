"""Card pages under /monitor: the list with filters, one card with its history and forms, a trade's
supervision page with the pause and resume forms."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from monitor.cards import services
from monitor.cards.models import Card, CardState
from trading.accounts.roles import Role
from trading.centres.models import Centre
from trading.errors import InvalidInput
from trading.extensions import db
from trading.views_common import load_trade
from trading.permissions import can, requires
from trading.rules.norms import Level
from trading.trades.flows import TradeState
from trading.trades.models import Trade

bp = Blueprint("cards", __name__, url_prefix="/monitor")


def load_card(card_id: int, **_other) -> Card:
    card = db.session.get(Card, card_id)
    if card is None:
        abort(404)
    return card




@bp.route("/cards")
@login_required
@requires("cards.list")
def card_list():
    level = request.args.get("level") or ""
    state = request.args.get("state", "open")
    centre = request.args.get("centre") or ""
    query = sa.select(Card).where(services.visible_clause(current_user))
    if level in {lv.value for lv in Level}:
        query = query.where(Card.level == Level(level))
    if state == "open":
        query = query.where(Card.state != CardState.CLOSED)
    elif state in {s.value for s in CardState}:
        query = query.where(Card.state == CardState(state))
    if centre.isdigit():
        query = query.where(Card.centre_id == int(centre))
    rows = db.session.scalars(query.order_by(Card.issued_at.desc(), Card.id.desc()).limit(300)).all()
    centre_ids = services.watching_centres(current_user) | current_user.centres_for(Role.CENTRE_STAFF)
    centres = db.session.scalars(sa.select(Centre).where(Centre.id.in_(centre_ids)).order_by(Centre.id)).all()
    return render_template("monitor/cards.html", cards=rows, centres=centres, levels=list(Level),
                           states=list(CardState), chosen={"level": level, "state": state, "centre": centre})


def _card_page(card: Card, errors: dict | None = None, status: int = 200):
    moves = services.human_moves(card, current_user)
    staff = services.assignable_staff(card) if any(m.name == "assign" for m in moves) else []
    suggested = services.responsible_executor(card) or card.assignee
    return render_template("monitor/card.html", card=card, trade=card.trade, moves=moves, staff=staff,
                           suggested=suggested, errors=errors or {}, step_label=services.move_label,
                           pausable=_pause_forms(card.trade)), status


def _pause_forms(trade: Trade) -> dict:
    allowed = can(current_user, "cards.pause", trade)
    return {"pause": allowed and trade.state in trade.flow.move("suspend").sources,
            "resume": allowed and trade.state is TradeState.SUSPENDED}


@bp.route("/cards/<int:card_id>")
@login_required
@requires("card.view", load=load_card)
def card_detail(card_id: int, obj: Card):
    return _card_page(obj)


@bp.route("/cards/<int:card_id>/moves", methods=["POST"])
@login_required
@requires("card.view", load=load_card)
def card_move(card_id: int, obj: Card):
    name = request.form.get("move", "")
    raw = (request.form.get("assignee_id") or "").strip()
    try:
        services.transition(obj, name, current_user, text=request.form.get("text"),
                            assignee=int(raw) if raw.isdigit() else None)
    except InvalidInput as exc:
        db.session.rollback()
        return _card_page(load_card(card_id), exc.errors, 422)
    db.session.commit()
    flash(_("Card #%(id)d: %(step)s.", id=obj.id, step=services.move_label(name)), "success")
    return redirect(url_for("cards.card_detail", card_id=obj.id))


@bp.route("/trades/<int:trade_id>/cards")
@login_required
@requires("cards.trade", load=load_trade)
def trade_cards(trade_id: int, obj: Trade):
    return render_template("monitor/card_trade.html", trade=obj, cards=services.cards_for_trade(obj),
                           pausable=_pause_forms(obj), errors={})


def _pause_or_resume(trade: Trade, what: str):
    back = request.form.get("card_id", "")
    try:
        if what == "pause":
            services.pause_trade(current_user, trade, request.form.get("reason"))
        else:
            services.resume_trade(current_user, trade, request.form.get("reason"))
    except InvalidInput as exc:
        db.session.rollback()
        trade = load_trade(trade.id)
        if back.isdigit():
            return _card_page(load_card(int(back)), exc.errors, 422)
        return render_template("monitor/card_trade.html", trade=trade, cards=services.cards_for_trade(trade),
                               pausable=_pause_forms(trade), errors=exc.errors), 422
    db.session.commit()
    flash(_("%(ref)s is now: %(state)s", ref=trade.ref, state=trade.state.label), "success")
    if back.isdigit():
        return redirect(url_for("cards.card_detail", card_id=int(back)))
    return redirect(url_for("cards.trade_cards", trade_id=trade.id))


@bp.route("/trades/<int:trade_id>/pause", methods=["POST"])
@login_required
@requires("cards.pause", load=load_trade)
def pause_trade(trade_id: int, obj: Trade):
    return _pause_or_resume(obj, "pause")


@bp.route("/trades/<int:trade_id>/resume", methods=["POST"])
@login_required
@requires("cards.pause", load=load_trade)
def resume_trade(trade_id: int, obj: Trade):
    return _pause_or_resume(obj, "resume")
