"""The property transfer page (/bidding/trades/<id>/property): staff pre-disclose, change the reserve and take
the path at the disclosure's end; deciders record the written consent to a deep cut; supervisors look."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from bidding.auctions.property import closing, services
from bidding.auctions.services import terms_of
from trading.clock import local_tz
from trading.errors import DomainError, InvalidInput
from trading.extensions import db
from trading.permissions import requires
from trading.trades.models import Trade
from trading.views_common import load_trade

bp = Blueprint("property", __name__, url_prefix="/bidding")


def _sale(trade: Trade) -> Trade:
    if not services.is_property(trade) or terms_of(trade) is None:
        abort(404)
    return trade


def _page(trade: Trade, errors: dict | None = None, form: str = "", status: int = 200):
    return render_template("bidding/auctions/property.html", trade=trade, view=closing.overview(trade),
                           errors=errors or {}, form=form, values=request.form.to_dict() if errors else {},
                           paths=closing), status


def _local(raw: str | None, field: str) -> datetime | None:
    """A datetime-local input, read in the platform's time zone."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=local_tz())
    except ValueError:
        raise InvalidInput({field: [_("is not in the right form")]}) from None


def _act(trade: Trade, form: str, action, done: str):
    """Run one step; on a refusal show the page again with the errors under the form that sent them."""
    try:
        action()
        db.session.commit()
    except InvalidInput as exc:
        db.session.rollback()
        return _page(trade, exc.errors, form, 422)
    except DomainError as exc:
        db.session.rollback()
        return _page(trade, {"_": [exc.message]}, form, exc.status)
    flash(done, "success")
    return redirect(url_for("property.property_page", trade_id=trade.id))


@bp.get("/property/pre-disclosures")
def pre_disclosures_page():
    """Anyone: the pre-disclosures of transfers that change control, public before their formal disclosure."""
    return render_template("bidding/auctions/pre_disclosures.html", notices=services.public_pre_disclosures())


@bp.get("/trades/<int:trade_id>/property")
@login_required
@requires("property.view", load=load_trade)
def property_page(trade_id: int, obj: Trade):
    return _page(_sale(obj))


@bp.post("/trades/<int:trade_id>/property/pre-disclosure")
@login_required
@requires("property.manage", load=load_trade)
def pre_disclosure_page(trade_id: int, obj: Trade):
    trade = _sale(obj)
    return _act(trade, "pre", lambda: services.pre_disclose(current_user, trade), _("Pre-disclosure published."))


@bp.post("/trades/<int:trade_id>/property/reserve")
@login_required
@requires("property.manage", load=load_trade)
def reserve_page(trade_id: int, obj: Trade):
    trade = _sale(obj)
    form = request.form
    return _act(trade, "reserve", lambda: services.change_reserve(
        current_user, trade, form.get("price", "").strip(), form.get("reason"),
        _local(form.get("bid_deadline"), "bid_deadline")), _("Transfer reserve changed."))


@bp.post("/trades/<int:trade_id>/property/consents")
@login_required
@requires("property.consent", load=load_trade)
def consent_page(trade_id: int, obj: Trade):
    trade = _sale(obj)
    file = request.files.get("document")
    return _act(trade, "consent", lambda: services.record_consent(
        current_user, trade, request.form.get("lowest_price", "").strip(), request.form.get("reason"),
        file.filename if file else None, file.mimetype if file else None, file.stream if file else None),
        _("Written consent recorded."))


@bp.post("/trades/<int:trade_id>/property/competition")
@login_required
@requires("property.manage", load=load_trade)
def competition_page(trade_id: int, obj: Trade):
    trade = _sale(obj)
    return _act(trade, "path", lambda: closing.start_competition(current_user, trade), _("Timed bidding started."))


@bp.post("/trades/<int:trade_id>/property/negotiated")
@login_required
@requires("property.manage", load=load_trade)
def negotiated_page(trade_id: int, obj: Trade):
    trade = _sale(obj)
    return _act(trade, "negotiated", lambda: closing.record_negotiated(
        current_user, trade, request.form.get("price", "").strip()), _("Negotiated transfer recorded."))


@bp.post("/trades/<int:trade_id>/property/extension")
@login_required
@requires("property.manage", load=load_trade)
def extension_page(trade_id: int, obj: Trade):
    trade = _sale(obj)
    return _act(trade, "extension", lambda: closing.extend_disclosure(
        current_user, trade, _local(request.form.get("bid_deadline"), "bid_deadline"), request.form.get("reason")),
        _("Disclosure extended."))


@bp.post("/trades/<int:trade_id>/property/no-deal")
@login_required
@requires("property.manage", load=load_trade)
def no_deal_page(trade_id: int, obj: Trade):
    trade = _sale(obj)
    return _act(trade, "no_deal", lambda: closing.end_without_deal(current_user, trade),
                _("The sale ended without a deal."))
