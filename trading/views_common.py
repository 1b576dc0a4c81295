"""What every page and API call shares: error rendering, template globals, small helpers."""
from __future__ import annotations

from flask import Flask, Response, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import format_datetime, get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from trading.errors import DomainError, Throttled
from trading.extensions import db
from trading.numerals import fmt_money  # noqa: F401  (the views' and templates' name for it)
from trading.permissions import NotAuthenticated, can
from trading.schemas import plain_messages


def field_errors(messages) -> dict[str, list]:
    """Every field maps to a list of plain strings.

    marshmallow keeps a lone message bare when it is not a `str` (our translated messages are lazy
    strings), so without this a client or a template would get one string instead of a list.
    """
    def listed(value):
        if isinstance(value, dict):
            return {k: listed(v) for k, v in value.items()}
        if isinstance(value, list):
            return [listed(v) if isinstance(v, dict) else v for v in value]
        return [value]

    plain = plain_messages(messages)
    if not isinstance(plain, dict):
        plain = {"_schema": plain}
    return {k: listed(v) for k, v in plain.items()}


HTTP_MESSAGES = {
    400: _l("The request could not be understood."),
    404: _l("There is nothing at this address."),
    405: _l("This address does not accept that kind of request."),
    413: _l("The upload is larger than the platform accepts."),
    500: _l("Something went wrong on the platform; nothing was changed. Please try again."),
}


STALE_MESSAGE = _l("Someone else changed this record at the same moment; nothing of yours was saved. "
                   "Reload the page and try again.")


def field_label(name: str) -> str:
    """A field's name as a person reads it (error pages)."""
    from trading.rules.model import FIELD_LABELS, MILESTONE_LABELS

    label = MILESTONE_LABELS.get(name) or FIELD_LABELS.get(name) or OTHER_FIELD_LABELS.get(name)
    return str(label) if label else name


OTHER_FIELD_LABELS = {
    "title": _l("title"), "description": _l("description"), "centre_id": _l("centre"), "method": _l("method"),
    "tenderer_id": _l("tenderer"), "sandbox": _l("sandbox"), "accelerator": _l("accelerator"),
    "reason": _l("reason"), "file": _l("file"), "email": _l("e-mail"), "body": _l("text"),
    "credit_code": _l("unified social credit code"), "name": _l("name"), "day": _l("date"), "kind": _l("kind"),
    "document": _l("document"), "password": _l("password"), "_schema": _l("request"), "envelope": _l("envelope"),
    "passphrase": _l("passphrase"), "execute": _l("executing keyholders"), "supervise": _l("supervising keyholders"),
    "statement": _l("signed statement"), "signature": _l("signature"),
}


def move_label(trade, name: str) -> str:
    move = trade.flow.move(name)
    return str(move.label) if move else str(_l("Created")) if name == "create" else name


def with_retry_after(response: Response, exc: DomainError) -> Response:
    """A throttled answer says when to come back (RFC 9110 Retry-After, in seconds)."""
    if isinstance(exc, Throttled) and exc.retry_after:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def is_api() -> bool:
    return request.path.startswith("/api/")


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()  # a refused operation leaves nothing behind
        if is_api():
            return with_retry_after(jsonify(exc.to_dict()), exc), exc.status
        if isinstance(exc, NotAuthenticated):
            return redirect(url_for("auth.login", next=request.full_path))
        return with_retry_after(make_response(render_template("error.html", error=exc, status=exc.status)),
                                exc), exc.status

    @app.errorhandler(StaleDataError)
    def lost_race(exc: StaleDataError):
        # Two people changed the same record at once (optimistic locking): the later one is told so
        # and changes nothing, whatever route it came by.
        db.session.rollback()
        return domain_error(DomainError(str(STALE_MESSAGE), code="conflict"))

    @app.errorhandler(ValidationError)
    def validation_error(exc: ValidationError):
        db.session.rollback()
        errors = field_errors(exc.messages)
        first = next(iter(errors), "_schema")
        body = {"code": "invalid", "message": _("Some fields are not valid."), "errors": errors, "field": first}
        return jsonify(body), 422

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return render_template("error.html", error=DomainError(_("The form expired or was not sent from this site. "
                                                                 "Reload the page and try again.")),
                               status=400), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        message = str(HTTP_MESSAGES.get(exc.code, exc.description or exc.name))
        if is_api():
            return jsonify({"code": exc.name.lower().replace(" ", "_"), "message": message}), exc.code
        return render_template("error.html", error=DomainError(message), status=exc.code), exc.code


def fmt_time(value) -> str:
    return format_datetime(value, "yyyy-MM-dd HH:mm") if value else "—"


def template_globals() -> dict:
    from trading.accounts.landing import workspace_panels
    from trading.accounts.roles import Role
    from trading.clock import now
    from trading.notices.services import unread_count
    from trading.rules.model import milestone_label, registry

    locale = str(get_locale() or "zh_CN")
    return {
        "can": lambda name, obj=None: can(current_user, name, obj),
        "fmt_time": fmt_time,
        "fmt_money": fmt_money,
        "locale": locale,
        "other_locale": "en" if locale.startswith("zh") else "zh_CN",
        "rule_sets": registry,
        "unread": unread_count(current_user),
        "is_staff": bool(current_user.is_authenticated and current_user.centres_for(Role.CENTRE_STAFF)),
        "now_utc": now,
        "milestone_label": milestone_label,
        "field_label": field_label,
        "move_label": move_label,
        "nav_links": nav_links,
        "role_panels": lambda: workspace_panels(current_user) if current_user.is_authenticated else [],
    }


def load_trade(trade_id: int, **_other):
    """The trade a URL names, or 404: the `load` of `requires` in every package's views and APIs."""
    from trading.trades.models import Trade

    return db.get_or_404(Trade, trade_id)


def nav_links() -> list[tuple[str, str]]:
    """Links other packages add to the main navigation: (url, label) the current user may follow.

    Registered by the composition root as `app.extensions["nav_links"]`: (endpoint, label, permission).
    """
    from flask import current_app

    out = []
    for endpoint, label, name in current_app.extensions.get("nav_links", ()):
        if can(current_user, name):
            out.append((url_for(endpoint), str(label)))
    return out
