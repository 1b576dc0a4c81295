"""Pages of questions, challenges and complaints: the published answers of every procurement trade, and one
trade's page where suppliers file and follow theirs, the purchaser or clerk answers, and the finance department
(the centre's administrative supervisors) decides complaints."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from bidding.bidders import Naming
from procurement.blueprints import bp
from procurement.challenges import services
from procurement.challenges.models import About, FilingKind, Outcome
from trading.errors import IllegalMove, InvalidInput, NotAllowed
from trading.extensions import db
from trading.permissions import can, require, requires
from trading.trades.models import Trade
from trading.views_common import load_trade


def _procurement_trade(trade_id: int, **_other) -> Trade:
    trade = load_trade(trade_id)
    if not services.is_procurement(trade):
        abort(404)
    return trade


@bp.get("/challenges")
@requires("procurement.challenges.public")
def challenges_public():
    """Every published answer and decision, newest first; the filer is never named."""
    return render_template("procurement/challenges/public.html", filings=services.published())


def _act(trade: Trade, values: dict) -> str:
    """One action of the trade page's forms; returns the flash message."""
    action = values.get("action")
    if action == "file":
        require("procurement.filing.file", trade)
        challenge = values.get("challenge_id", "")
        services.file(current_user, trade, {
            "kind": values.get("kind"), "about": values.get("about") or None, "step": values.get("step") or None,
            "text": values.get("text"), "challenge_id": int(challenge) if challenge.isdigit() else None})
        return _("Filed. The answer is due by the date shown.")
    filing_id = values.get("filing_id", "")
    filing = services.filing_of(trade, int(filing_id)) if filing_id.isdigit() else None
    if filing is None:
        raise InvalidInput({"filing_id": [_("choose a filing of this trade")]})
    if action == "answer":
        services.answer(current_user, filing, values.get("answer"), values.get("outcome") or None)
        return _("Answer recorded and published.")
    if action == "suspend":
        services.suspend(current_user, filing)
        return _("The procurement is suspended.")
    if action == "lift":
        services.lift(current_user, filing)
        return _("The suspension is lifted.")
    raise InvalidInput({"action": [_("choose one of: %(list)s", list="file, answer, suspend, lift")]})


@bp.route("/trades/<int:trade_id>/challenges", methods=["GET", "POST"])
@requires("procurement.challenges.read", load=_procurement_trade)
def trade_challenges(trade_id: int, obj: Trade):
    trade = obj
    errors: dict = {}
    values = request.form.to_dict() if request.method == "POST" else {}
    status = 200
    if request.method == "POST":
        if not current_user.is_authenticated:
            require("procurement.filing.file", trade)  # 401: sign in first
        try:
            message = _act(trade, values)
            db.session.commit()
            flash(message, "success")
            return redirect(url_for("procurement.trade_challenges", trade_id=trade.id))
        except InvalidInput as exc:
            db.session.rollback()
            errors, status = exc.errors, 422
        except NotAllowed:
            db.session.rollback()
            raise
        except IllegalMove as exc:
            db.session.rollback()
            errors, status = {exc.field or "_": [exc.message]}, 409
    filings = services.filings_for(current_user, trade)
    mine = [f for f in filings if services.own(current_user, f)]
    complainable = [f for f in mine if f.kind is FilingKind.CHALLENGE and not any(
        c.challenge_id == f.id for c in filings)]
    return render_template("procurement/challenges/trade.html", trade=trade, filings=filings, mine=mine,
                           complainable=complainable, naming=Naming(current_user, trade), kinds=list(FilingKind),
                           abouts=list(About), steps=services.STEP_LABELS, outcomes=list(Outcome),
                           may_view=can(current_user, "procurement.filings.view", trade),
                           may_file=can(current_user, "procurement.filing.file", trade),
                           may_answer=can(current_user, "procurement.filing.answer", trade),
                           may_decide=can(current_user, "procurement.complaint.decide", trade),
                           own=lambda f: services.own(current_user, f), last_day=services.last_day,
                           errors=errors, values=values), status
