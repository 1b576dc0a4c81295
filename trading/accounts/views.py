"""Signing in and out, and the language switch."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from trading.accounts.landing import landing_url
from trading.accounts.models import User
from trading.accounts.services import Throttled, authenticate
from trading.extensions import db, login_manager
from trading.views_common import with_retry_after

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


def _safe_next(target: str | None, fallback: str | None = None) -> str:
    if target and not urlsplit(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return fallback or url_for("portal.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data, request.remote_addr or "-")
        except Throttled as exc:
            flash(exc.message, "error")
            return with_retry_after(make_response(render_template("auth/login.html", form=form)), exc), 429
        if user is not None:
            login_user(user)
            session.permanent = False
            # a page the person asked for, else their own work (never a page their roles refuse)
            return redirect(_safe_next(request.args.get("next"), landing_url(user)))
        flash(_("Wrong username or password."), "error")
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("portal.index"))


@bp.route("/lang/<code>")
def set_language(code: str):
    if code in ("zh_CN", "en"):
        session["lang"] = code
    return redirect(_safe_next(request.args.get("next") or url_for("portal.index")))
