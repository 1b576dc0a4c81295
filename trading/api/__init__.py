"""The JSON API under /api/v1/: bearer tokens, marshmallow schemas, 422 naming each field and rule."""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request
from flask_login import AnonymousUserMixin

from trading.accounts.services import user_for_token
from trading.permissions import NotAuthenticated

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.before_request
def bearer_only():
    """The API ignores session cookies (no CSRF exposure); a bearer token or nothing."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        user = user_for_token(header[7:].strip())
        if user is None:
            from flask_babel import gettext as _

            raise NotAuthenticated(_("The bearer token is invalid, expired or revoked."))
        g._login_user = user
    else:
        g._login_user = AnonymousUserMixin()


@bp.after_request
def no_store(response):
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def ok(payload, status: int = 200):
    return jsonify(payload), status


from trading.api import endpoints, openapi  # noqa: E402,F401  (routes register on bp)
