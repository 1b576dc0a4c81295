"""The public portal: notices by centre, method and status, search, and each trade's page."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from trading.centres.models import Centre
from trading.extensions import db
from trading.notices import services as notices
from trading.errors import InvalidInput
from trading.notices.views import confirm_subscription as confirm_link, serve_document
from trading.notices.models import Clarification, Document, Notice
from trading.permissions import can, require
from trading.rules.model import MinPeriod, milestone_label
from trading.texts import sentence
from trading.trades.flows import TradeState
from trading.trades.models import Trade
from trading.trades.services import visible_trades_query

bp = Blueprint("portal", __name__)

PUBLIC_STATES = [s for s in TradeState if s.public]


@bp.route("/")
def index():
    centres = db.session.scalars(sa.select(Centre).order_by(Centre.id)).all()
    centre = next((c for c in centres if c.code == request.args.get("centre")), None)
    method = request.args.get("method") or None
    state = request.args.get("state") or None
    try:
        state_enum = TradeState(state) if state else None
    except ValueError:
        state_enum = None
    q = (request.args.get("q") or "").strip()[:100]
    stmt = visible_trades_query(current_user, centre_id=centre.id if centre else None, method=method,
                                state=state_enum, q=q or None)
    page = db.paginate(stmt, per_page=20, error_out=False)
    return render_template("portal/index.html", page=page, centres=centres, centre=centre, method=method,
                           state=state_enum, q=q, states=PUBLIC_STATES)


@bp.route("/centres")
def centres():
    rows = db.session.scalars(sa.select(Centre).order_by(Centre.id)).all()
    counts = dict(db.session.execute(
        sa.select(Trade.centre_id, sa.func.count()).where(Trade.published_at.is_not(None)).group_by(Trade.centre_id)
    ).all())
    return render_template("portal/centres.html", centres=rows, counts=counts)


def load_trade(ref: str) -> Trade:
    trade = db.session.scalar(sa.select(Trade).where(Trade.ref == ref))
    if trade is None:
        abort(404)
    return trade


def timeline(trade: Trade) -> list[dict]:
    """Milestones in order, each with the legal minimum that bounds it (for the page)."""
    rows = []
    for name in trade.rule_set.milestones:
        value = trade.milestone(name)
        rules = [r for r in trade.rule_set.rules if isinstance(r, MinPeriod) and r.end == name]
        label = notices.NOTICE_MILESTONES.get(name) or milestone_label(name)
        rows.append({"name": name, "label": sentence(str(label)), "at": value,
                     "rules": [sentence(r.describe()) for r in rules]})
    rows.sort(key=lambda r: (r["at"] is None, r["at"] or 0))
    return rows


@bp.route("/trades/<ref>")
def trade(ref: str):
    trade = load_trade(ref)
    require("trade.view", trade)
    docs = db.session.scalars(sa.select(Document).where(Document.trade_id == trade.id,
                                                        Document.withdrawn.is_(False))).all()
    clarifications = db.session.scalars(sa.select(Clarification).where(Clarification.trade_id == trade.id)
                                        .order_by(Clarification.number)).all()
    notice_rows = db.session.scalars(sa.select(Notice).where(Notice.trade_id == trade.id)
                                     .order_by(Notice.published_at)).all()
    return render_template("portal/trade.html", trade=trade, docs=docs, clarifications=clarifications,
                           notices=notice_rows, timeline=timeline(trade),
                           downloadable=notices.downloadable(trade),
                           show_downloaders=can(current_user, "trade.downloaders", trade))


@bp.route("/trades/<ref>/documents/<int:doc_id>")
def download(ref: str, doc_id: int):
    """No registration needed (O20 Art 20); an e-mail address may be left to receive clarifications."""
    response, sub = serve_document(load_trade(ref), doc_id, current_user, request.args.get("email"))
    if sub is not None and sub.confirmed_at is None:
        flash(_("If %(email)s is your address, open the link we sent to it to receive clarifications.",
                email=sub.email), "info")
    return response


@bp.route("/subscriptions/confirm/<token>", methods=["GET", "POST"])
def confirm_subscription(token: str):
    """The link mailed to an address: a page that shows what is asked, and a button that confirms it
    (a mail scanner following the link confirms nothing)."""
    try:
        sub = confirm_link(token, commit=request.method == "POST")
    except InvalidInput as exc:
        db.session.rollback()
        return render_template("portal/subscription.html", error=exc.errors["token"][0], sub=None, token=token), 400
    return render_template("portal/subscription.html", sub=sub, token=token, error=None)
