"""Signing pages under /signing: the published keys (public), and for supervisors their own key, made and kept
in the browser; the JSON endpoints the page script calls with the session cookie (CSRF header)."""
from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

import trading.signing.permissions  # noqa: F401  (signing.register)
from trading.errors import DomainError
from trading.extensions import db
from trading.permissions import can, requires
from trading.signing import services
from trading.signing.schemas import KeyCreateSchema, StatementRequestSchema

bp = Blueprint("signing", __name__, url_prefix="/signing")


def _json_error(exc: DomainError):
    db.session.rollback()
    return jsonify(exc.to_dict()), exc.status


@bp.get("/keys")
def keys():
    """Everyone's published keys; a supervisor also sees their own key's controls."""
    mine = (services.key_in_force(current_user.id)
            if getattr(current_user, "is_authenticated", False) else None)
    return render_template("signing/keys.html", keys=services.published_keys(), mine=mine,
                           may_register=can(current_user, "signing.register"))


@bp.post("/keys")
@login_required
@requires("signing.register")
def register():
    """The page script sends the public half of the key it just made (JSON, X-CSRFToken)."""
    data = KeyCreateSchema().load(request.get_json(silent=True) or {})
    try:
        row = services.register_key(current_user, data["public_key"], data.get("label"))
    except DomainError as exc:
        return _json_error(exc)
    db.session.commit()
    return jsonify(services.key_json(row)), 201


@bp.post("/keys/<fingerprint>/revoke")
@login_required
@requires("signing.register")
def revoke(fingerprint: str):
    try:
        services.revoke_key(current_user, fingerprint[:64], request.form.get("reason"))
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("signing.keys"))
    db.session.commit()
    flash(_("Your key is revoked: make a new one before you sign again."), "success")
    return redirect(url_for("signing.keys"))


@bp.post("/statements")
@login_required
@requires("signing.register")
def statement():
    """The exact bytes to sign for the act a page's form is about to post (JSON, X-CSRFToken)."""
    from trading.signing.api import statement_json

    data = StatementRequestSchema().load(request.get_json(silent=True) or {})
    try:
        return jsonify(statement_json(data))
    except DomainError as exc:
        return _json_error(exc)
