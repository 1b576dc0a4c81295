"""The opening ceremony's pages (不见面开标): watching it, starting it, releasing shares, opening the
bids, objections and answers, signing the record."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime, gettext as _
from flask_login import current_user, login_required

from bidding.blueprints import bp
from bidding.ceremony import services as ceremony_services
from bidding.ceremony.models import EntryStatus, Objection
from bidding.keyholders import services
from bidding.keyholders.models import Side
from bidding.keyholders.services import refuse_passphrase
from trading.clock import local_tz, now
from trading.errors import DomainError, InvalidInput
from trading.extensions import db
from trading.views_common import load_trade
from trading.permissions import can, requires
from trading.trades.flows import TradeState
from trading.trades.models import Trade
from trading.views_common import fmt_money


# ---- the opening ceremony -------------------------------------------------------------------------

def _ceremony_phase(state: dict) -> str:
    """waiting (not started), open (started, bids not yet opened), finished (the record exists)."""
    if state.get("finished_at"):
        return "finished"
    return "open" if state.get("started") else "waiting"


def _ceremony_labels() -> dict:
    """Every word the page script writes, translated here (the script has no catalogue)."""
    return {
        "states": {s.value: s.label for s in TradeState},
        "sides": {Side.EXECUTE.value: _("Executing keyholders"), Side.SUPERVISE.value: _("Supervising keyholders")},
        "statuses": {EntryStatus.OPENED.value: _("Opened"), EntryStatus.REVOKED.value: _("Revoked (bidder's cause)"),
                     EntryStatus.WITHDRAWN.value: _("Withdrawn (platform's cause)"),
                     # shown instead of "opened" when the opening failed (流标)
                     "not_opened": _("Not opened (the opening failed)"),
                     "opened_failed": _("Decrypted, but the opening failed: not valid for the award")},
        "outcomes": {"opened": _("Bids opened"), "failed": _("Failed (too few valid bids)"),
                     "not_opened": _("Failed by the decision branch: the bids were not opened"),
                     "too_few": _("Failed: fewer bids than the rules require, none was opened")},
        "exits": {"restart": _("Restarted"), "fail": _("Failed"), "postpone": _("Postponed"),
                  "timeout": _("Timed out")},
        "figures": {"duration_days": _("Duration (days)"), "note": _("Note")},
    }


def _ceremony_when(at) -> str:
    """To the second, as the page script writes it after each poll."""
    return format_datetime(at, "yyyy-MM-dd HH:mm:ss") if at else "—"


def _ceremony_money(price: str | None) -> str:
    return fmt_money(Decimal(price)) if price else "—"


def _ceremony_flash_error(exc: DomainError) -> None:
    errors = exc.errors if isinstance(exc, InvalidInput) else None
    if errors:
        labels = {"share": _("Share"), "text": _("Text"), "dissent": _("Dissent"), "reason": _("Reason"),
                  "opening_at": _("New opening time"), "statement": _("Signed statement"), "signature": _("Signature")}
        for name, messages in errors.items():
            flash(_("%(field)s: %(message)s", field=labels.get(name, name), message="; ".join(map(str, messages))),
                  "error")
    else:
        flash(exc.message, "error")


def _back(trade: Trade, anchor: str = ""):
    return redirect(url_for("bidding.ceremony_page", trade_id=trade.id) + (f"#{anchor}" if anchor else ""))


def _ceremony_action(trade: Trade, action, done: str, anchor: str = ""):
    """Run one ceremony service, commit, and say what happened (or why not) in a flash."""
    try:
        action()
        db.session.commit()
        flash(done, "success")
    except DomainError as exc:
        db.session.rollback()
        _ceremony_flash_error(exc)
    return _back(trade, anchor)


@bp.route("/trades/<int:trade_id>/ceremony")
@login_required
@requires("ceremony.view", load=load_trade)
def ceremony_page(trade_id: int, obj: Trade):
    """The opening ceremony (不见面开标) as it happens, for everyone allowed to watch; the page script
    polls ceremony_state every 2 s. Each person sees the forms of their own part in it."""
    trade = obj
    state = ceremony_services.ceremony_view(current_user, trade)
    holder = ceremony_services.keyholder_of(current_user, trade)
    cer = ceremony_services.ceremony_of(trade)
    signed = bool(cer and any(s.user_id == current_user.id for s in cer.signatures))
    key = services.opening_key(trade)
    holder_fp = next((s.holder_fingerprint for s in key.shares if s.keyholder_id == holder.id), None) \
        if key is not None and holder is not None else None
    return render_template(
        "bidding/ceremony.html", trade=trade, state=state, phase=_ceremony_phase(state), now=now(),
        key=key, holder=holder, holder_fp=holder_fp, signed=signed, labels=_ceremony_labels(),
        when=_ceremony_when, money=_ceremony_money,
        may={"run": can(current_user, "ceremony.run", trade), "release": holder is not None,
             "object": can(current_user, "ceremony.object", trade),
             "answer": can(current_user, "ceremony.answer", trade),
             "sign": can(current_user, "ceremony.sign", trade),
             "restart": can(current_user, "ceremony.restart", trade),
             "decide": can(current_user, "ceremony.decide", trade)},
        stalled=bool(cer and cer.is_open and trade.state is TradeState.OPENING))


@bp.route("/trades/<int:trade_id>/ceremony/state")
@login_required
@requires("ceremony.view", load=load_trade)
def ceremony_state(trade_id: int, obj: Trade):
    """The live state for the page script (session + same permission): the same body as the API's
    GET /api/v1/trades/<id>/ceremony, made by the same function."""
    from bidding.ceremony.api import _state

    response = _state(obj)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/trades/<int:trade_id>/ceremony/start", methods=["POST"])
@login_required
@requires("ceremony.run", load=load_trade)
def ceremony_start(trade_id: int, obj: Trade):
    return _ceremony_action(obj, lambda: ceremony_services.start_ceremony(current_user, obj),
                            _("The opening has started. The keyholders may now release their shares."))


@bp.route("/trades/<int:trade_id>/ceremony/share")
@login_required
@requires("ceremony.release", load=load_trade)
def ceremony_share(trade_id: int, obj: Trade):
    """The keyholder's sealed share for the page script to open in the browser (session + same
    permission): the same body as GET /api/v1/trades/<id>/ceremony/share."""
    from bidding.ceremony.api import get_sealed_share

    return get_sealed_share(trade_id)


@bp.route("/trades/<int:trade_id>/ceremony/shares", methods=["POST"])
@login_required
@requires("ceremony.release", load=load_trade)
def ceremony_release(trade_id: int, obj: Trade):
    """The share the page script opened in the browser (the passphrase field has no name: it is never
    posted); a form that still carries a passphrase is turned away unread."""
    share = request.form.get("share", "").strip()

    def release():
        refuse_passphrase(request.form)
        try:
            raw = bytes.fromhex(share) if share else None
        except ValueError:
            raw = None
        if not raw or len(raw) > 512:
            raise InvalidInput({"share": [_("is not an opening-key share (PRKS version 1, 72 bytes)")]})
        ceremony_services.release_share(current_user, obj, raw)

    return _ceremony_action(obj, release, _("Your share is released."), "release")


@bp.route("/trades/<int:trade_id>/ceremony/complete", methods=["POST"])
@login_required
@requires("ceremony.run", load=load_trade)
def ceremony_complete(trade_id: int, obj: Trade):
    return _ceremony_action(obj, lambda: ceremony_services.complete_ceremony(current_user, obj),
                            _("Every bid has been opened and the opening record written."), "results")


@bp.route("/trades/<int:trade_id>/ceremony/objections", methods=["POST"])
@login_required
@requires("ceremony.object", load=load_trade)
def ceremony_object(trade_id: int, obj: Trade):
    text = request.form.get("text", "")
    return _ceremony_action(obj, lambda: ceremony_services.lodge_objection(current_user, obj, text),
                            _("Your objection has been recorded. The centre's staff will answer it."), "objections")


@bp.route("/trades/<int:trade_id>/ceremony/objections/<int:objection_id>/answer", methods=["POST"])
@login_required
@requires("ceremony.answer", load=load_trade)
def ceremony_answer(trade_id: int, objection_id: int, obj: Trade):
    objection = db.session.get(Objection, objection_id)
    if objection is None or objection.ceremony.trade_id != obj.id:
        abort(404)
    text = request.form.get("text", "")
    return _ceremony_action(obj, lambda: ceremony_services.answer_objection(current_user, objection, text),
                            _("Your answer has been recorded."), "objections")


@bp.route("/trades/<int:trade_id>/ceremony/signatures", methods=["POST"])
@login_required
@requires("ceremony.sign", load=load_trade)
def ceremony_sign(trade_id: int, obj: Trade):
    dissent = request.form.get("dissent") or None
    statement, signature = request.form.get("statement"), request.form.get("signature")
    return _ceremony_action(obj, lambda: ceremony_services.sign_record(current_user, obj, dissent, statement,
                                                                       signature),
                            _("You have signed the opening record."), "signatures")


# ---- ways out of a stalled opening ------------------------------------------------------------------

@bp.route("/trades/<int:trade_id>/ceremony/restart", methods=["POST"])
@login_required
@requires("ceremony.restart", load=load_trade)
def ceremony_restart(trade_id: int, obj: Trade):
    reason = request.form.get("reason", "")
    return _ceremony_action(obj, lambda: ceremony_services.restart_ceremony(current_user, obj, reason),
                            _("The opening starts over: the held shares are erased and the keyholders release again."),
                            "exits")


@bp.route("/trades/<int:trade_id>/ceremony/fail", methods=["POST"])
@login_required
@requires("ceremony.decide", load=load_trade)
def ceremony_fail(trade_id: int, obj: Trade):
    reason = request.form.get("reason", "")
    return _ceremony_action(obj, lambda: ceremony_services.fail_opening(current_user, obj, reason),
                            _("The opening has failed (流标); the held shares are erased."), "exits")


@bp.route("/trades/<int:trade_id>/ceremony/postpone", methods=["POST"])
@login_required
@requires("ceremony.decide", load=load_trade)
def ceremony_postpone(trade_id: int, obj: Trade):
    reason = request.form.get("reason", "")
    raw = request.form.get("opening_at", "").strip()
    try:
        opening_at = datetime.fromisoformat(raw).replace(tzinfo=local_tz()) if raw else None
    except ValueError:
        _ceremony_flash_error(InvalidInput({"opening_at": [_("is not in the right form")]}))
        return _back(obj, "exits")
    return _ceremony_action(obj, lambda: ceremony_services.postpone_opening(current_user, obj, reason, opening_at),
                            _("The opening is postponed and the new time announced; the held shares are erased."),
                            "exits")
