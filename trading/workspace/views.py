"""The staff workspace: create, edit, submit, approve, publish; documents, clarifications, calendar."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import ValidationError

from trading.accounts.landing import workspace_panels
from trading.accounts.models import Organisation, OrgKind
from trading.accounts.roles import Role
from trading.centres.models import Centre
from trading.clock import local_tz
from trading.errors import InvalidInput
from trading.extensions import db
from trading.views_common import load_trade
from trading.notices import services as notices
from trading.notices.models import Notification
from trading.permissions import requires
from trading.rules import services as calendar_service
from trading.rules.days import CalendarDay
from trading.rules.holidays import calendar_end, deadline_warnings, provisional_years
from trading.trades import lifecycle, retender, services as trades
from trading.trades.models import MILESTONES, Trade
from trading.trades.schemas import TradeCreateSchema, TradeUpdateSchema
from trading.views_common import field_errors

bp = Blueprint("workspace", __name__, url_prefix="/workspace")




@bp.route("/")
@login_required
@requires("workspace.enter")
def index():
    """Each person's work: what awaits their decision, the panels of their roles, then the trades."""
    rows = db.session.scalars(trades.workspace_query(current_user).limit(200)).all()
    approvals = [(t, deadline_warnings(t)) for t in trades.awaiting_approval(current_user)]
    return render_template("workspace/index.html", trades=rows, approvals=approvals,
                           panels=workspace_panels(current_user), works_on_trades=trades.works_on_trades(current_user),
                           decides=bool(current_user.centres_for(Role.DECISION_MAKER)))


def _form_to_payload(form, with_centre: bool) -> dict:
    """Turn the HTML form (local wall-clock times) into the API's JSON shape, so both share one schema."""
    tz = local_tz()
    payload: dict = {}
    keys = ["title", "description", "estimated_price", "bid_security"]
    if with_centre:
        keys += ["method"]
        for key in ("centre_id", "tenderer_id"):
            raw = (form.get(key) or "").strip()
            if raw:
                payload[key] = int(raw) if raw.isdigit() else raw
        if form.get("paper_bids"):
            payload["paper_bids"] = True
        if form.get("sandbox"):
            payload["sandbox"] = True
            raw = (form.get("accelerator") or "1").strip()
            payload["accelerator"] = int(raw) if raw.isdigit() else raw
    for key in keys:
        raw = (form.get(key) or "").strip()
        if raw or key in ("title", "description"):
            payload[key] = raw
    for m in MILESTONES:
        raw = (form.get(m) or "").strip()
        if raw:
            try:
                payload[m] = datetime.fromisoformat(raw).replace(tzinfo=tz).isoformat()
            except ValueError:
                payload[m] = raw  # the schema names the field and the rule
        elif m in form:
            payload[m] = None
    return payload


def with_rule_errors(errors: dict, valid: dict | None) -> dict:
    """Format errors, plus the legal-time errors of the fields that were well-formed (all at once)."""
    for name, messages in trades.rule_errors(valid or {}).items():
        if name not in errors:
            errors[name] = messages
    return errors


def _form_context(trade: Trade | None = None) -> dict:
    centres = db.session.scalars(sa.select(Centre).order_by(Centre.id)).all()
    tenderers = db.session.scalars(sa.select(Organisation).where(Organisation.kind == OrgKind.TENDERER)
                                   .order_by(Organisation.name)).all()
    return {"centres": centres, "tenderers": tenderers, "trade": trade, "milestones": MILESTONES}


def _local_value(value: datetime | None) -> str:
    return value.astimezone(local_tz()).strftime("%Y-%m-%dT%H:%M") if value else ""


@bp.route("/trades/new", methods=["GET", "POST"])
@login_required
@requires("trade.create")
def new_trade():
    errors: dict = {}
    values = request.form.to_dict() if request.method == "POST" else {}
    if request.method == "POST":
        try:
            data = TradeCreateSchema().load(_form_to_payload(request.form, with_centre=True))
            trade = trades.create_trade(current_user, data)
            db.session.commit()
            flash(_("Draft %(ref)s saved.", ref=trade.ref), "success")
            return redirect(url_for("workspace.trade", trade_id=trade.id))
        except ValidationError as exc:
            errors = with_rule_errors(field_errors(exc.messages), exc.valid_data)
        except InvalidInput as exc:
            db.session.rollback()
            errors = exc.errors
    status = 422 if errors else 200
    return render_template("workspace/trade_form.html", errors=errors, values=values, **_form_context()), status


@bp.route("/trades/<int:trade_id>/edit", methods=["GET", "POST"])
@login_required
@requires("trade.edit", load=load_trade)
def edit_trade(trade_id: int, obj: Trade):
    trade = obj
    errors: dict = {}
    if request.method == "POST":
        values = request.form.to_dict()
        try:
            data = TradeUpdateSchema().load(_form_to_payload(request.form, with_centre=False))
            trades.update_trade(current_user, trade, data)
            db.session.commit()
            flash(_("Changes saved."), "success")
            return redirect(url_for("workspace.trade", trade_id=trade.id))
        except ValidationError as exc:
            known = {"method": trade.method, "sandbox": trade.sandbox, "accelerator": trade.accelerator,
                     **{m: trade.milestone(m) for m in MILESTONES}}
            errors = with_rule_errors(field_errors(exc.messages), {**known, **(exc.valid_data or {})})
        except InvalidInput as exc:
            db.session.rollback()
            errors = exc.errors
            trade = load_trade(trade_id)
    else:
        values = {"title": trade.title, "description": trade.description,
                  "estimated_price": trade.estimated_price, "bid_security": trade.bid_security or "",
                  **{m: _local_value(trade.milestone(m)) for m in MILESTONES}}
    status = 422 if errors else 200
    return render_template("workspace/trade_form.html", errors=errors, values=values,
                           **_form_context(trade)), status


@bp.route("/trades/<int:trade_id>")
@login_required
@requires("trade.work", load=load_trade)
def trade(trade_id: int, obj: Trade):
    from trading.portal.views import timeline

    moves = lifecycle.allowed_moves(obj, current_user)
    problems = obj.rule_set.check(obj, lifecycle.load_calendar())
    # the decision branch approves knowing whether the holiday calendar covers every deadline
    warnings = deadline_warnings(obj) if any(m.name == "approve" for m in moves) else []
    docs = [d for d in db.session.scalars(sa.select(notices.Document).where(notices.Document.trade_id == obj.id))]
    return render_template("workspace/trade.html", trade=obj, moves=moves, problems=problems, docs=docs,
                           timeline=timeline(obj), calendar_warnings=warnings)


@bp.route("/trades/<int:trade_id>/move", methods=["POST"])
@login_required
@requires("trade.move", load=load_trade)
def move(trade_id: int, obj: Trade):
    name = request.form.get("move", "")
    record = trades.move(obj, name, current_user, reason=request.form.get("reason"))
    db.session.commit()
    flash(_("%(ref)s is now: %(state)s", ref=obj.ref, state=record.to_state.label), "success")
    return redirect(url_for("workspace.trade", trade_id=obj.id))


@bp.route("/trades/<int:trade_id>/retender", methods=["POST"])
@login_required
@requires("trade.retender", load=load_trade)
def retender_trade(trade_id: int, obj: Trade):
    """Tender a failed trade again: the new draft opens with the failed trade's documents."""
    made = retender.retender(current_user, obj)
    db.session.commit()
    flash(_("%(ref)s is the re-tender of %(old)s: set its timeline and submit it.", ref=made.ref, old=obj.ref),
          "success")
    return redirect(url_for("workspace.trade", trade_id=made.id))


@bp.route("/trades/<int:trade_id>/documents", methods=["POST"])
@login_required
@requires("trade.documents.manage", load=load_trade)
def upload(trade_id: int, obj: Trade):
    file = request.files.get("file")
    if file is None or not file.filename:
        raise InvalidInput({"file": [_("choose a file to upload")]})
    doc = notices.upload_document(current_user, obj, file.filename, file.mimetype, file.stream)
    db.session.commit()
    flash(_("Document %(name)s uploaded.", name=doc.filename), "success")
    return redirect(url_for("workspace.trade", trade_id=obj.id))


@bp.route("/trades/<int:trade_id>/clarifications", methods=["POST"])
@login_required
@requires("trade.clarify", load=load_trade)
def clarify(trade_id: int, obj: Trade):
    clar = notices.publish_clarification(current_user, obj, request.form.get("title", ""),
                                         request.form.get("body", ""))
    db.session.commit()
    if clar.new_deadline:
        flash(_("Clarification published; the deadline moved to %(when)s.",
                when=clar.new_deadline.astimezone(local_tz()).strftime("%Y-%m-%d %H:%M")), "warning")
    else:
        flash(_("Clarification published; %(n)d downloaders notified.", n=clar.notified), "success")
    return redirect(url_for("workspace.trade", trade_id=obj.id))


@bp.route("/trades/<int:trade_id>/downloaders")
@login_required
@requires("trade.downloaders", load=load_trade)
def downloaders(trade_id: int, obj: Trade):
    rows = notices.downloaders(current_user, obj)
    db.session.commit()
    return render_template("workspace/downloaders.html", trade=obj, rows=rows)


@bp.route("/notifications")
@login_required
def notifications():
    rows = db.session.scalars(sa.select(Notification).where(Notification.user_id == current_user.id)
                              .order_by(Notification.created_at.desc()).limit(100)).all()
    for row in rows:
        if row.read_at is None:
            row.read_at = trades.now()
    db.session.commit()
    return render_template("workspace/notifications.html", rows=rows)


@bp.route("/calendar", methods=["GET", "POST"])
@login_required
@requires("calendar.edit")
def calendar():
    errors: dict = {}
    if request.method == "POST":
        try:
            day = date.fromisoformat(request.form.get("day", ""))
        except ValueError:
            day = None
            errors["day"] = [_("must be a date such as 2026-10-01")]
        if day is not None:
            try:
                if request.form.get("action") == "remove":
                    affected = calendar_service.remove_day(current_user, day)
                    message = _("%(day)s removed from the calendar.", day=day.isoformat())
                else:
                    _row, affected = calendar_service.set_day(current_user, day, request.form.get("kind"),
                                                              request.form.get("name"))
                    message = _("%(day)s saved.", day=day.isoformat())
                db.session.commit()
                flash(message, "success")
                if affected:
                    flash(_("Trades under way whose periods include this day: %(refs)s. Check their timelines.",
                            refs=", ".join(t.ref for t in affected)), "warning")
                return redirect(url_for("workspace.calendar"))
            except InvalidInput as exc:
                db.session.rollback()
                errors = exc.errors
    rows = db.session.scalars(sa.select(CalendarDay).order_by(CalendarDay.day.desc())).all()
    end = calendar_end()
    provisional = sorted(y for y in provisional_years() if any(r.day.year == y for r in rows))
    return render_template("workspace/calendar.html", rows=rows, errors=errors, calendar_end=end,
                           provisional=provisional), 422 if errors else 200


