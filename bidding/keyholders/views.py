"""Key-custody pages: a keyholder's personal key, and the decision branch appointing a trade's keyholders."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from bidding.blueprints import bp
from bidding.keyholders import keys, services
from bidding.keyholders.models import Keyholder, Side
from trading.accounts.models import RoleGrant, User
from trading.accounts.roles import Role
from trading.errors import DomainError, InvalidInput
from trading.extensions import db
from trading.permissions import requires
from trading.trades.flows import TradeState
from trading.trades.models import Trade
from trading.views_common import load_trade

#: who may hold a share of an opening key: executing staff and supervisors, at any centre
SUPERVISOR_ROLES = (Role.ADMIN_SUPERVISOR, Role.SOCIAL_SUPERVISOR)


# ---- keyholders -----------------------------------------------------------------------------------

def _my_appointments() -> list[Keyholder]:
    return list(db.session.scalars(sa.select(Keyholder).where(Keyholder.user_id == current_user.id)
                                   .order_by(Keyholder.id.desc()).limit(50)))


@bp.route("/personal-key", methods=["GET", "POST"])
@login_required
@requires("keys.enrol")
def personal_key():
    """Enrol (or replace) the personal key that opening-key shares are sealed to. The page script
    makes the key pair and wraps it in the browser (static/js/personal-key-page.js): the form posts
    the public key and the wrapped key, never the passphrase (its fields have no name)."""
    errors: dict = {}
    status = 200
    if request.method == "POST":
        try:
            services.refuse_passphrase(request.form)
            public, wrapped = request.form.get("public_key", "").strip(), request.form.get("wrapped_key", "").strip()
            if not public:
                raise InvalidInput({"public_key": [_("is required: enrol with the page script or the offline tool")]})
            try:
                public_raw, wrapped_raw = bytes.fromhex(public), bytes.fromhex(wrapped) if wrapped else None
            except ValueError:
                raise InvalidInput({"public_key" if not _is_hex(public) else "wrapped_key":
                                    [_("must be hexadecimal bytes")]}) from None
            row = services.enrol_personal_key(current_user, public_raw, wrapped_raw)
            db.session.commit()
            flash(_("Your personal key is enrolled, fingerprint %(fp)s. Remember the passphrase: nobody can "
                    "recover it.", fp=keys.personal_fingerprint(row.public_key)), "success")
            return redirect(url_for("bidding.personal_key"))
        except DomainError as exc:
            db.session.rollback()
            errors = exc.errors if isinstance(exc, InvalidInput) else {"public_key": [exc.message]}
            status = exc.status
    active = services.active_personal_key(current_user.id)
    appointments = [(k, db.session.get(Trade, k.trade_id)) for k in _my_appointments()]
    return render_template("bidding/personal_key.html", errors=errors, active=active,
                           fingerprint=keys.personal_fingerprint(active.public_key) if active else None,
                           appointments=appointments, minimum=keys.MIN_PASSPHRASE,
                           iterations=current_app.config["PERSONAL_KEY_ITERATIONS"]), status


def _is_hex(text: str) -> bool:
    try:
        bytes.fromhex(text)
        return True
    except ValueError:
        return False


def _candidates(centre_id: int, roles: tuple[Role, ...]) -> list[User]:
    """People holding one of `roles` at the centre: the only ones who may hold that half of the key."""
    return list(db.session.scalars(
        sa.select(User).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.centre_id == centre_id, RoleGrant.role.in_(roles)).distinct().order_by(User.id)))


def _ids(name: str) -> list[int]:
    return [int(v) for v in request.form.getlist(name) if v.isdigit()]


@bp.route("/trades/<int:trade_id>/keyholders", methods=["GET", "POST"])
@login_required
@requires("trade.keyholders", load=load_trade)
def keyholders(trade_id: int, obj: Trade):
    """The decision branch appoints k-of-n executing and m-of-p supervising keyholders."""
    trade = obj
    errors: dict = {}
    problem: str | None = None
    status = 200
    chosen = {Side.EXECUTE: set(), Side.SUPERVISE: set()}
    if request.method == "POST":
        chosen = {Side.EXECUTE: set(_ids("execute")), Side.SUPERVISE: set(_ids("supervise"))}
        try:
            services.appoint_keyholders(current_user, trade, _ids("execute"), _ids("supervise"))
            db.session.commit()
            flash(_("Keyholders appointed for %(ref)s.", ref=trade.ref), "success")
            return redirect(url_for("bidding.keyholders", trade_id=trade.id))
        except InvalidInput as exc:
            db.session.rollback()
            errors, status = exc.errors, exc.status
        except DomainError as exc:  # the stage is over, or a person may not hold this duty
            db.session.rollback()
            problem, status = exc.message, exc.status
        trade = load_trade(trade_id)
    current = services.keyholder_view(trade)
    if request.method == "GET":
        for row in current:
            chosen[row.side].add(row.user_id)
    staff = _candidates(trade.centre_id, (Role.CENTRE_STAFF,))
    supervisors = _candidates(trade.centre_id, SUPERVISOR_ROLES)
    enrolled = {u.id for u in [*staff, *supervisors] if services.active_personal_key(u.id) is not None}
    return render_template(
        "bidding/keyholders.html", trade=trade, errors=errors, problem=problem, current=current, chosen=chosen,
        staff=staff, supervisors=supervisors, enrolled=enrolled, key=services.opening_key(trade),
        editable=trade.state in (TradeState.DRAFT, TradeState.SUBMITTED), Side=Side), status
