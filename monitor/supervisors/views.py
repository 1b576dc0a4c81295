"""Social supervisor pages under /monitor: the registry (decision branch), one entry and its
certificate, a supervisor's own page, and a trade's supervision page with its forms and record."""
from __future__ import annotations

import json
from datetime import date

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from monitor.verify import draw as drawing
from monitor.supervisors import draws as supervisor_draws
from monitor.supervisors import registry as supervisors
from monitor.supervisors.pdf import SUBJECT_LABELS
from monitor.supervisors import signoffs
from monitor.audit.models import AuditEntry
from monitor.supervisors.models import DrawnSupervisor, SignOffStage, SocialSupervisor, SupervisorStatus
from monitor.supervisors.permissions import serving_row
from trading.accounts.models import RoleGrant, User
from trading.accounts.roles import Role
from trading.centres.models import Centre
from trading.errors import DomainError, InvalidInput
from trading.extensions import db
from trading.views_common import load_trade
from trading.permissions import can, requires
from trading.trades.models import Trade

bp = Blueprint("supervisors", __name__, url_prefix="/monitor")

def default_duties() -> str:
    """The usual rights and duties (RULES.md "Supervision practice"), prefilled in the register form."""
    return "\n".join((
        _("1. May attend the opening and other public trading activities and read the public records of the "
          "trades they supervise."),
        _("2. May raise opinions on irregularities and report them to the supervising department."),
        _("3. May not interfere with evaluation or award, nor disclose confidential information learnt while "
          "supervising."),
        _("4. Must declare any conflict of interest at once and step aside."),
        _("5. Records what they witness truthfully and is accountable for what they sign."),
    ))




def load_supervisor(supervisor_id: int, **_other) -> SocialSupervisor:
    sup = db.session.get(SocialSupervisor, supervisor_id)
    if sup is None:
        abort(404)
    return sup


def _act(action, done: str, back: str):
    """Run one service, commit, say what happened (or why not) in a flash, go back."""
    try:
        action()
        db.session.commit()
        flash(done, "success")
    except DomainError as exc:
        db.session.rollback()
        message = exc.message
        if isinstance(exc, InvalidInput) and exc.field:
            from trading.views_common import field_label

            message = _("%(field)s: %(message)s", field=field_label(exc.field), message=exc.message)
        flash(message, "error")
    return redirect(back)


# ---- the registry ---------------------------------------------------------------------------------

@bp.route("/supervisors")
@login_required
@requires("supervisors.registry.view")
def registry():
    status = request.args.get("status") or None
    rows = supervisors.entries_for(current_user, status=status if status in {s.value for s in SupervisorStatus}
                                   else None)
    return render_template("monitor/supervisors.html", rows=rows, status=status, statuses=list(SupervisorStatus),
                           today=supervisors.today())


def _parse_date(value: str | None, field: str, required: bool = True) -> date | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise InvalidInput({field: [_("this field is required")]})
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput({field: [_("must be a date such as 2026-03-02")]}) from None


def _int(value: str | None, field: str) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise InvalidInput({field: [_("choose one")]}) from None


def _candidates_for_form() -> tuple[list[Centre], list[User]]:
    centre_ids = current_user.centres_for(Role.DECISION_MAKER)
    centres = list(db.session.scalars(sa.select(Centre).where(Centre.id.in_(centre_ids or {-1})).order_by(Centre.id)))
    people = list(db.session.scalars(
        sa.select(User).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == Role.SOCIAL_SUPERVISOR, RoleGrant.centre_id.in_(centre_ids or {-1}), User.active)
        .order_by(User.display_name).distinct()))
    return centres, people


@bp.route("/supervisors/new", methods=["GET", "POST"])
@login_required
@requires("supervisors.registry.view")
def register_page():
    """The decision branch registers a social supervisor; the certificate number is issued at once."""
    errors: dict = {}
    form = request.form
    if request.method == "POST":
        try:
            data = {"user_id": _int(form.get("user_id"), "user_id"),
                    "centre_id": _int(form.get("centre_id"), "centre_id"),
                    "recommended_by": form.get("recommended_by", ""), "agreement_ref": form.get("agreement_ref", ""),
                    "agreement_date": _parse_date(form.get("agreement_date"), "agreement_date"),
                    "agreement_text": form.get("agreement_text", ""), "rights_duties": form.get("rights_duties", ""),
                    "term_start": _parse_date(form.get("term_start"), "term_start", required=False)}
            sup = supervisors.register_supervisor(current_user, data)
            db.session.commit()
            flash(_("%(name)s is registered; certificate %(no)s.", name=sup.user.display_name,
                    no=sup.certificate_no), "success")
            return redirect(url_for("supervisors.entry", supervisor_id=sup.id))
        except InvalidInput as exc:
            db.session.rollback()
            errors = exc.errors
    centres, people = _candidates_for_form()
    return render_template("monitor/supervisor_form.html", errors=errors, form=form, centres=centres, people=people,
                           default_duties=default_duties(), today=supervisors.today()), 422 if errors else 200


@bp.route("/supervisors/<int:supervisor_id>")
@login_required
@requires("supervisors.entry.view", load=load_supervisor)
def entry(supervisor_id: int, obj: SocialSupervisor):
    trades = db.session.execute(sa.select(DrawnSupervisor, Trade).join(Trade, Trade.id == DrawnSupervisor.trade_id)
                                .where(DrawnSupervisor.supervisor_id == obj.id)
                                .order_by(DrawnSupervisor.id.desc()).limit(100)).all()
    return render_template("monitor/supervisor_entry.html", sup=obj, trades=trades,
                           may_manage=can(current_user, "supervisors.registry.manage", obj),
                           today=supervisors.today())


@bp.route("/supervisors/<int:supervisor_id>/renew", methods=["POST"])
@login_required
@requires("supervisors.registry.manage", load=load_supervisor)
def renew(supervisor_id: int, obj: SocialSupervisor):
    return _act(lambda: supervisors.renew(current_user, obj, request.form.get("reason")),
                _("The term is renewed."), url_for("supervisors.entry", supervisor_id=obj.id))


@bp.route("/supervisors/<int:supervisor_id>/status", methods=["POST"])
@login_required
@requires("supervisors.registry.manage", load=load_supervisor)
def change_status(supervisor_id: int, obj: SocialSupervisor):
    return _act(lambda: supervisors.change_status(current_user, obj, request.form.get("action", ""),
                                                  request.form.get("reason")),
                _("The status is changed."), url_for("supervisors.entry", supervisor_id=obj.id))


@bp.route("/supervisors/<int:supervisor_id>/certificate.pdf")
@login_required
@requires("supervisors.entry.view", load=load_supervisor)
def certificate(supervisor_id: int, obj: SocialSupervisor):
    from monitor.supervisors.pdf import render_certificate

    return Response(render_certificate(obj), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="certificate-{obj.certificate_no}.pdf"'})


@bp.route("/supervisors/me")
@login_required
@requires("supervisors.mine")
def mine():
    """A social supervisor's own page: their registry entries and the trades they were drawn for."""
    entries = supervisors.own_entries(current_user)
    trades = db.session.execute(sa.select(DrawnSupervisor, Trade).join(Trade, Trade.id == DrawnSupervisor.trade_id)
                                .where(DrawnSupervisor.user_id == current_user.id)
                                .order_by(DrawnSupervisor.id.desc()).limit(200)).all()
    return render_template("monitor/supervisor_mine.html", entries=entries, trades=trades)


# ---- a trade's supervision --------------------------------------------------------------------------

def _draw_rows(trade: Trade) -> list[dict]:
    rows = []
    for r in supervisor_draws.draws(trade):
        body = db.session.scalar(sa.select(AuditEntry.body).where(AuditEntry.seq == r.entry_seq))
        try:
            replayed = drawing.replay(body) if body else None
        except (ValueError, KeyError, TypeError):  # a draw of the first format: its seed was not committed before
            replayed = {"matches": False}
        rows.append({"draw": r, "body": body, "pretty": json.dumps(json.loads(body), ensure_ascii=False, indent=2)
                     if body else "", "replayed": replayed})
    return rows


@bp.route("/trades/<int:trade_id>/supervision")
@login_required
@requires("supervisors.trade.view", load=load_trade)
def trade_page(trade_id: int, obj: Trade):
    trade = obj
    mine = serving_row(current_user, trade)
    stages = []
    for stage in SignOffStage:
        done = signoffs.signoffs(trade, stage)
        stages.append({"stage": stage, "open": signoffs.stage_open(trade, stage), "signoffs": done,
                       "missing": signoffs.missing(trade, stage), "gates": signoffs.STAGE_MOVE[stage],
                       "mine": next((s for s in done if s.user_id == current_user.id), None)})
    record = signoffs.opening_record_subject(trade)
    return render_template(
        "monitor/supervisor_trade.html", trade=trade, rule=supervisor_draws.required_count(trade),
        drawn=supervisor_draws.drawn(trade), draws=_draw_rows(trade), stages=stages, mine=mine,
        opening_record=record, live=trade.state in supervisor_draws.LIVE, subject_labels=SUBJECT_LABELS,
        may={"draw": can(current_user, "supervisors.trade.draw", trade),
             "recuse": can(current_user, "supervisors.trade.recuse", trade),
             "declare": can(current_user, "supervisors.trade.declare", trade),
             "sign": can(current_user, "supervisors.trade.sign", trade),
             "ceremony": _can_watch_ceremony(trade)})


def _can_watch_ceremony(trade: Trade) -> bool:
    try:
        return can(current_user, "ceremony.view", trade)
    except KeyError:  # pragma: no cover - no sealed bids on this platform
        return False


def _back(trade: Trade, anchor: str = "") -> str:
    return url_for("supervisors.trade_page", trade_id=trade.id) + (f"#{anchor}" if anchor else "")


@bp.route("/trades/<int:trade_id>/supervision/draw", methods=["POST"])
@login_required
@requires("supervisors.trade.draw", load=load_trade)
def trade_draw(trade_id: int, obj: Trade):
    return _act(lambda: supervisor_draws.draw_for_trade(obj, current_user, trigger="manual"),
                _("The round is fixed and logged; it is drawn once its seed exists (after the commitment deadline)."),
                _back(obj, "draws"))


@bp.route("/trades/<int:trade_id>/supervision/conflict", methods=["POST"])
@login_required
@requires("supervisors.trade.declare", load=load_trade)
def trade_conflict(trade_id: int, obj: Trade):
    return _act(lambda: supervisor_draws.declare_conflict(current_user, obj, request.form.get("reason")),
                _("You have stepped aside from this trade; the next in the draw's order replaces you."), _back(obj, "drawn"))


@bp.route("/trades/<int:trade_id>/supervision/recusals", methods=["POST"])
@login_required
@requires("supervisors.trade.recuse", load=load_trade)
def trade_recuse(trade_id: int, obj: Trade):
    def action():
        supervisor_draws.recuse(current_user, obj, _int(request.form.get("drawn_id"), "drawn_id"),
                                request.form.get("reason"))

    return _act(action, _("The supervisor has been set aside; the next in the draw's order replaces them."), _back(obj, "drawn"))


@bp.route("/trades/<int:trade_id>/supervision/signoffs", methods=["POST"])
@login_required
@requires("supervisors.trade.sign", load=load_trade)
def trade_signoff(trade_id: int, obj: Trade):
    stage = request.form.get("stage", "")
    return _act(lambda: signoffs.sign_off(current_user, obj, stage, request.form.get("decision", ""),
                                          request.form.get("reason"), request.form.get("statement"),
                                          request.form.get("signature")),
                _("Your sign-off is recorded."), _back(obj, f"stage-{stage}"))


@bp.route("/trades/<int:trade_id>/supervision/record.pdf")
@login_required
@requires("supervisors.trade.view", load=load_trade)
def trade_record(trade_id: int, obj: Trade):
    from monitor.supervisors.pdf import render_supervision_record

    return Response(render_supervision_record(obj), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="supervision-record-{obj.ref}.pdf"'})
