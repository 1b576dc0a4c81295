"""Sale pages: the public listing page (the disclosed terms and the price board by paddle number; a bidder
company registers, adds its documents, withdraws and quotes there) and the staff's page (terms, amendments,
the increment, registrations with their documents, deposits and paddles)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from bidding.auctions import services
from bidding.auctions.models import RegistrationStatus
from bidding.blueprints import bp
from trading.blobs import blob_store
from trading.clock import local_tz
from trading.errors import InvalidInput
from trading.extensions import db
from trading.permissions import can, require, requires
from trading.trades.models import Trade
from trading.views_common import load_trade


def load_sale(trade_id: int, **_other) -> Trade:
    """The sale a URL names, or 404 (also for a trade that is no sale, and before the notice to outsiders)."""
    trade = load_trade(trade_id)
    if not can(current_user, "trade.view", trade) or not services.is_sale(trade) or services.terms_of(trade) is None:
        abort(404)
    return trade


def _when(field: str) -> datetime | None:
    raw = (request.form.get(field) or "").strip()
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=local_tz())
    except ValueError:
        raise InvalidInput({field: [_("is not in the right form")]}) from None


def _mine(trade: Trade):
    if not (current_user.is_authenticated and current_user.organisation_id):
        return None
    return services.registration_of(trade, current_user.organisation_id)


def _listing(trade: Trade, errors: dict | None = None, status: int = 200, refusal: str | None = None):
    mine = _mine(trade)
    return render_template(
        "bidding/auctions/listing.html", trade=trade, terms=services.terms_of(trade), board=services.board(trade),
        changes=services.increment_changes(trade), counts=services.counts(trade), mine=mine,
        my_quotes=services.my_quotes(trade, mine) if mine is not None else [],
        may_register=can(current_user, "auctions.register", trade) and (
            mine is None or mine.status in (RegistrationStatus.WITHDRAWN, RegistrationStatus.REFUSED)),
        refusal=refusal, refusal_message=services.refusal_message,
        errors=errors or {}, values=request.form if errors or refusal else {}), status


def _manage(trade: Trade, errors: dict | None = None, status: int = 200, form: str | None = None):
    terms = services.terms_of(trade)
    return render_template(
        "bidding/auctions/manage.html", trade=trade, terms=terms, board=services.board(trade) if terms else None,
        registrations=services.registrations(trade), changes=services.increment_changes(trade),
        errors=errors or {}, form=form, values=request.form if errors else {}), status


def _attempt(trade: Trade, work: Callable[[], object], done: str, page: str, form: str | None = None):
    """Run a service call; on bad input show the page again with each field's message (422)."""
    try:
        work()
    except InvalidInput as exc:
        db.session.rollback()
        if page == "manage":
            return _manage(trade, exc.errors, 422, form)
        return _listing(trade, exc.errors, 422)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("bidding.sale_manage" if page == "manage" else "bidding.sale_listing", trade_id=trade.id))


# ---- the public listing page -----------------------------------------------------------------

@bp.route("/trades/<int:trade_id>/listing")
def sale_listing(trade_id: int):
    """The listing as everyone sees it: terms, current price, increment, quotes by paddle and time, the end."""
    return _listing(load_sale(trade_id))


@bp.route("/trades/<int:trade_id>/listing/register", methods=["POST"])
@login_required
@requires("auctions.register", load=load_sale)
def sale_register_page(trade_id: int, obj: Trade):
    return _attempt(obj, lambda: services.register(current_user, obj),
                    _("Application recorded. Add your qualification documents; the centre confirms your deposit."),
                    "listing")


def _own_registration(trade: Trade):
    reg = _mine(trade)
    if reg is None:
        abort(404)
    require("auctions.registration.view", reg)
    return reg


@bp.route("/trades/<int:trade_id>/listing/documents", methods=["POST"])
@login_required
@requires("auctions.register", load=load_sale)
def sale_document_upload(trade_id: int, obj: Trade):
    reg = _own_registration(obj)
    file = request.files.get("file")

    def work():
        if file is None or not file.filename:
            raise InvalidInput({"file": [_("choose a file")]})
        services.add_document(current_user, reg, file.filename, file.mimetype, file.stream)

    return _attempt(obj, work, _("Document added to your application."), "listing")


@bp.route("/trades/<int:trade_id>/listing/withdraw", methods=["POST"])
@login_required
@requires("auctions.register", load=load_sale)
def sale_withdraw_page(trade_id: int, obj: Trade):
    reg = _own_registration(obj)
    return _attempt(obj, lambda: services.withdraw(current_user, reg), _("Application withdrawn."), "listing")


@bp.route("/trades/<int:trade_id>/listing/quote", methods=["POST"])
@login_required
@requires("auctions.register", load=load_sale)
def sale_quote_page(trade_id: int, obj: Trade):
    try:
        row = services.quote(current_user, obj, (request.form.get("amount") or "").strip())
    except InvalidInput as exc:
        db.session.rollback()
        return _listing(obj, exc.errors, 422)
    db.session.commit()
    if row.refusal is not None:  # kept, and told at once with the price now
        return _listing(obj, None, 409, refusal=row.refusal)
    flash(_("Quote accepted: %(amount)s, number %(seq)d.", amount=row.amount, seq=row.seq), "success")
    return redirect(url_for("bidding.sale_listing", trade_id=obj.id))


@bp.route("/trades/<int:trade_id>/listing/registrations/<int:registration_id>/documents/<int:document_id>")
@login_required
def sale_document_download(trade_id: int, registration_id: int, document_id: int):
    trade = load_sale(trade_id)
    reg = services.registration_on(trade, registration_id)
    if reg is None:
        abort(404)
    require("auctions.registration.view", reg)
    doc_row = services.document_of(reg, document_id)
    if doc_row is None:
        abort(404)
    return send_file(blob_store().open(doc_row.sha256), mimetype=doc_row.content_type, as_attachment=True,
                     download_name=doc_row.filename)


# ---- the staff's page --------------------------------------------------------------------------

def load_managed(trade_id: int, **_other) -> Trade:
    """A sale, with or without its terms (a draft's staff set them here first)."""
    trade = load_trade(trade_id)
    if not services.is_sale(trade):
        abort(404)
    return trade


@bp.route("/trades/<int:trade_id>/listing/manage")
@login_required
@requires("auctions.manage", load=load_managed)
def sale_manage(trade_id: int, obj: Trade):
    return _manage(obj)


@bp.route("/trades/<int:trade_id>/listing/terms", methods=["POST"])
@login_required
@requires("auctions.manage", load=load_managed)
def sale_terms_page(trade_id: int, obj: Trade):
    f = request.form
    return _attempt(obj, lambda: services.set_terms(current_user, obj, f.get("increment"), f.get("appraised_value"),
                                                    round_at=_when("round_at")),
                    _("Terms saved."), "manage", "terms")


@bp.route("/trades/<int:trade_id>/listing/amend", methods=["POST"])
@login_required
@requires("auctions.manage", load=load_managed)
def sale_amend_page(trade_id: int, obj: Trade):
    f = request.form

    def work():
        changes = {k: f.get(k) for k in ("estimated_price", "bid_security", "increment", "appraised_value")
                   if (f.get(k) or "").strip()}
        if _when("round_at") is not None:
            changes["round_at"] = _when("round_at")
        services.amend(current_user, obj, changes, f.get("title", ""), f.get("body", ""))

    return _attempt(obj, work, _("Amendment published: the disclosure period restarts."), "manage", "amend")


@bp.route("/trades/<int:trade_id>/listing/increment", methods=["POST"])
@login_required
@requires("auctions.manage", load=load_managed)
def sale_increment_page(trade_id: int, obj: Trade):
    return _attempt(obj, lambda: services.change_increment(current_user, obj, request.form.get("increment"),
                                                           request.form.get("reason", "")),
                    _("Increment changed."), "manage", "increment")


def _staff_registration(trade: Trade, registration_id: int):
    reg = services.registration_on(trade, registration_id)
    if reg is None:
        abort(404)
    return reg


@bp.route("/trades/<int:trade_id>/listing/registrations/<int:registration_id>/qualify", methods=["POST"])
@login_required
@requires("auctions.manage", load=load_managed)
def sale_qualify_page(trade_id: int, registration_id: int, obj: Trade):
    reg = _staff_registration(obj, registration_id)
    f = request.form
    return _attempt(obj, lambda: services.confirm_and_qualify(current_user, reg, f.get("payment_reference", ""),
                                                              f.get("payer_account", "")),
                    _("Deposit confirmed and applicant qualified."), "manage", f"qualify-{reg.id}")


@bp.route("/trades/<int:trade_id>/listing/registrations/<int:registration_id>/refuse", methods=["POST"])
@login_required
@requires("auctions.manage", load=load_managed)
def sale_refuse_page(trade_id: int, registration_id: int, obj: Trade):
    reg = _staff_registration(obj, registration_id)
    return _attempt(obj, lambda: services.refuse(current_user, reg, request.form.get("reason", "")),
                    _("Application refused."), "manage", f"refuse-{reg.id}")
