"""Negotiation pages (on the procurement blueprint): the panel's, clerk's and supervisors' page (rounds, each
supplier's thread, requirement changes, the call, the final quotes' opening, with the keyholders' release),
and a supplier's page (its own thread, the changes, its final quote sealed in the browser)."""
from __future__ import annotations

from datetime import datetime

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_datetime, gettext as _
from flask_login import current_user, login_required

from bidding.ceremony.permissions import keyholder_of
from bidding.keyholders.models import Side
from bidding.keyholders.schemas import SealedShareSchema
from bidding.keyholders.services import refuse_passphrase
from procurement.blueprints import bp
from procurement.negotiation import overview, quotes, services
from procurement.negotiation.schemas import QuoteSchema
from trading.clock import local_tz, now
from trading.errors import DomainError, InvalidInput
from trading.extensions import db
from trading.permissions import can, requires
from trading.trades.models import Trade
from trading.views_common import fmt_money, load_trade



def _when(at) -> str:
    return format_datetime(at, "yyyy-MM-dd HH:mm") if at else "—"


def _field(name: str) -> str:
    return {"body": _("Message"), "kind": _("Change"), "reason": _("Reason"), "deadline": _("Deadline"),
            "share": _("Share"), "organisation_id": _("Supplier"), "envelope": _("Envelope")}.get(name, name)


def _flash_error(exc: DomainError) -> None:
    if isinstance(exc, InvalidInput) and exc.errors:
        for name, messages in exc.errors.items():
            flash(_("%(field)s: %(message)s", field=_field(name), message="; ".join(map(str, messages))), "error")
    else:
        flash(exc.message, "error")


def _int(name: str) -> int | None:
    value = (request.form.get(name) or "").strip()
    return int(value) if value.isdigit() else None


def _deadline() -> datetime:
    raw = (request.form.get("deadline") or "").strip()
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=local_tz())
    except ValueError:
        raise InvalidInput({"deadline": [_("must be a date and time, for example 2026-03-20 10:00")]}) from None


def _act(trade: Trade) -> str:
    """Run the posted action; returns the anchor to go back to."""
    action = request.form.get("action", "")
    if action == "start":
        services.start(current_user, trade)
        flash(_("The rounds have started: round 1."), "success")
        return "round"
    if action == "round":
        row = services.next_round(current_user, trade, _int("expected"))
        flash(_("Round %(n)d has started.", n=row.round_no), "success")
        return "round"
    if action == "message":
        org_id = _int("organisation_id")
        services.send_message(current_user, trade, request.form.get("body"), org_id)
        flash(_("Sent to this supplier only."), "success")
        return f"thread-{org_id}"
    if action == "change":
        change = services.change_requirements(current_user, trade, request.form.get("kind"), request.form.get("body"))
        flash(_("Change no. %(n)d sent to %(count)d suppliers.", n=change.seq, count=len(change.sent_to)), "success")
        return "changes"
    if action == "set_aside":
        services.set_aside(current_user, trade, _int("organisation_id"), request.form.get("reason"))
        flash(_("The supplier has been set aside."), "success")
        return "suppliers"
    if action == "call":
        call = services.call_final_quotes(current_user, trade, _deadline())
        flash(_("Final quotes called for, due by %(when)s.", when=_when(call.deadline)), "success")
        return "final"
    if action == "open":
        quotes.open_quotes(current_user, trade)
        flash(_("The final quotes are opened."), "success")
        return "final"
    if action == "release":
        refuse_passphrase(request.form)
        raw = (request.form.get("share") or "").strip()
        try:
            share = bytes.fromhex(raw)
        except ValueError:
            raise InvalidInput({"share": [_("must be hexadecimal bytes")]}) from None
        quotes.release_share(current_user, trade, share)
        flash(_("Your share is released; it is held until the final quotes are opened."), "success")
        return "final"
    raise InvalidInput({"action": [_("is not an action of this page")]})


@bp.route("/trades/<int:trade_id>/negotiation", methods=["GET", "POST"])
@login_required
@requires("negotiation.view", load=load_trade)
def negotiation_page(trade_id: int, obj: Trade):
    """One page, the role decides the controls: the clerk starts, the panel negotiates and calls, the
    keyholders release, the clerk or a supervisor opens."""
    trade = obj
    if request.method == "POST":
        try:
            anchor = _act(trade)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            _flash_error(exc)
            anchor = request.form.get("action", "")
        return redirect(url_for("procurement.negotiation_page", trade_id=trade.id) + f"#{anchor}")
    state = overview.overview(current_user, trade)
    call = state["call"]
    holder = keyholder_of(current_user, trade)
    released = holder is not None and any(r.keyholder_id == holder.id and r.held_share is not None
                                          for r in quotes.releases(trade))
    after = call is not None and now() >= call.deadline and state["opening"] is None
    threads = {s["organisation_id"]: services.thread(trade, s["organisation_id"]) for s in state["suppliers"]}
    panel = can(current_user, "negotiation.conduct", trade)
    rounds_open = state["started"] and call is None
    return render_template(
        "procurement/negotiation.html", trade=trade, state=state, threads=threads, when=_when,
        money=fmt_money, kinds=services.CHANGE_KINDS, holder=holder, released=released,
        opened_row=quotes.opening_of(trade),
        names={s["organisation_id"]: s["name"] for s in state["suppliers"]},
        sides={Side.EXECUTE.value: _("Executing keyholders"), Side.SUPERVISE.value: _("Supervising keyholders")},
        default_deadline=(now().astimezone(local_tz())).strftime("%Y-%m-%dT%H:%M"),
        may={"start": can(current_user, "negotiation.start", trade) and not state["started"],
             "conduct": panel and rounds_open, "set_aside": panel and state["started"],
             "release": holder is not None and after and not released,
             "open": can(current_user, "negotiation.open", trade) and after})


@bp.route("/trades/<int:trade_id>/negotiation/share")
@login_required
@requires("negotiation.release", load=load_trade)
def negotiation_share(trade_id: int, obj: Trade):
    """The keyholder's sealed share for the page's script to open in the browser (session twin of the API)."""
    try:
        material = quotes.share_for(current_user, obj)
    except DomainError as exc:
        return jsonify(exc.to_dict()), exc.status
    response = jsonify(SealedShareSchema().dump(material))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/trades/<int:trade_id>/negotiation/mine", methods=["GET", "POST"])
@login_required
@requires("negotiation.supplier", load=load_trade)
def negotiation_supplier_page(trade_id: int, obj: Trade):
    """A supplier's page: its own thread with the panel, the changes sent to it, the call and its final quote."""
    trade = obj
    if request.method == "POST":
        try:
            services.send_message(current_user, trade, request.form.get("body"))
            db.session.commit()
            flash(_("Sent to the panel."), "success")
        except DomainError as exc:
            db.session.rollback()
            _flash_error(exc)
        return redirect(url_for("procurement.negotiation_supplier_page", trade_id=trade.id) + "#thread")
    state = overview.own_view(current_user, trade)
    call = state["call"]
    quoting = (call is not None and now() < call.deadline and state["still_in"]
               and current_user.organisation_id in (call.invited or []))
    return render_template("procurement/negotiation_mine.html", trade=trade, state=state, when=_when,
                           money=fmt_money, kinds=services.CHANGE_KINDS, quoting=quoting,
                           writing=state["round_no"] is not None and call is None and state["still_in"])


@bp.route("/trades/<int:trade_id>/negotiation/mine/quote", methods=["POST"])
@login_required
@requires("negotiation.supplier", load=load_trade)
def negotiation_quote_upload(trade_id: int, obj: Trade):
    """The page's upload: the raw envelope sealed in the browser (session + X-CSRFToken), answered in JSON."""
    try:
        row = quotes.seal_quote(current_user, obj, request.stream.read(quotes.MAX_QUOTE_BYTES + 1),
                                request.headers.get("Content-Digest"))
        body = QuoteSchema().dump(row)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return jsonify(exc.to_dict()), exc.status
    return jsonify(body), 201


def negotiation_panel(user):
    """The workspace panel (the composition root registers it): the negotiations in their rounds the person
    negotiates in, as a panel member, or as a supplier (its own page)."""
    import sqlalchemy as sa

    from procurement.negotiation.models import Negotiation

    if not getattr(user, "is_authenticated", False):
        return None
    rows = list(db.session.scalars(sa.select(Trade).join(Negotiation, Negotiation.trade_id == Trade.id)
                                   .where(Trade.state.in_(services.SITTING)).order_by(Trade.id).limit(200)))
    panel = [t for t in rows if can(user, "negotiation.conduct", t)]
    supplier = [t for t in rows if t not in panel and can(user, "negotiation.supplier", t)]
    if not panel and not supplier:
        return None
    return render_template("procurement/_negotiations.html", panel=panel, supplier=supplier)
