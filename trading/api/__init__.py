"""The JSON API under /api/v1/: bearer tokens, marshmallow schemas, 422 naming each field and rule."""
from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request
from flask_login import AnonymousUserMixin

from trading.accounts.services import caller_for_token, user_for_token
from trading.permissions import NotAuthenticated

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    return header[7:].strip()


def _refused():
    from flask_babel import gettext as _

    return NotAuthenticated(_("The bearer token is invalid, expired or revoked."))


def bearer_user():
    """The signed-in API caller: the user the request's bearer token names, or None when the request
    carries no bearer token. An invalid, expired or revoked token raises NotAuthenticated (401).
    The API and the live streams both identify their callers with it."""
    token = _bearer_token()
    if token is None:
        return None
    user = user_for_token(token)
    if user is None:
        raise _refused()
    return user


def takes_caller(view):
    """Mark an API view that needs of its caller no more than a `Caller` holds (id, username,
    language, organisation, grants): its bearer token is checked in one plain statement and
    `current_user` is that Caller, not the User row (no ORM rows to build: the sealed-bid upload,
    checked once per request under load). The token rule is the same (`caller_for_token`)."""
    view.takes_caller = True
    return view


@bp.before_request
def bearer_only():
    """The API ignores session cookies (no CSRF exposure); a bearer token or nothing."""
    token = _bearer_token()
    if token is None:
        g._login_user = AnonymousUserMixin()
        return
    view = current_app.view_functions.get(request.endpoint)
    user = caller_for_token(token) if getattr(view, "takes_caller", False) else user_for_token(token)
    if user is None:
        raise _refused()
    g._login_user = user


@bp.after_request
def no_store(response):
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def json_body() -> dict:
    """The request's JSON object, or a 422 saying the body must be one."""
    from flask_babel import gettext as _

    from trading.errors import InvalidInput

    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidInput({"_schema": [_("the request body must be a JSON object")]})
    return data


def trade_or_404(trade_id: int):
    from trading.views_common import load_trade

    return load_trade(trade_id)


def ok(payload, status: int = 200):
    return jsonify(payload), status


from trading.api import endpoints, openapi  # noqa: E402,F401  (routes register on bp)
