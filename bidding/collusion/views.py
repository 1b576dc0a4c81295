"""The collusion page of an opened trade: the flags for its supervisors and the sitting committee, the
committee's decisions, and running the screens again."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from bidding.blueprints import bp
from bidding.collusion import services
from bidding.collusion.models import FlagDecision
from bidding.collusion.thresholds import CITATIONS, RULES
from trading.errors import InvalidInput
from trading.extensions import db
from trading.permissions import can, requires
from trading.trades.models import Trade
from trading.views_common import load_trade

def _page(trade: Trade, errors: dict | None = None, failed: int | None = None, status: int = 200):
    flags = services.flags_for(current_user, trade)
    return render_template("bidding/collusion.html", trade=trade, flags=flags, rules=RULES, citations=CITATIONS,
                           names=services.names_of(trade, flags), screening=services.last_screening(trade),
                           decisions=list(FlagDecision), may_decide=can(current_user, "collusion.decide", trade),
                           errors=errors or {}, failed=failed, values=request.form), status


@bp.route("/trades/<int:trade_id>/collusion")
@login_required
@requires("collusion.view", load=load_trade)
def collusion_page(trade_id: int, obj: Trade):
    return _page(obj)


@bp.route("/trades/<int:trade_id>/collusion/screen", methods=["POST"])
@login_required
@requires("collusion.screen", load=load_trade)
def collusion_screen_page(trade_id: int, obj: Trade):
    run = services.request_screening(current_user, obj)
    db.session.commit()
    flash(_("Screens run again over %(b)d opened bids: %(f)d signals.", b=run.bids, f=run.flags), "success")
    return redirect(url_for("bidding.collusion_page", trade_id=obj.id))


@bp.route("/trades/<int:trade_id>/collusion/flags/<int:flag_id>/review", methods=["POST"])
@login_required
@requires("collusion.decide", load=load_trade)
def collusion_review_page(trade_id: int, flag_id: int, obj: Trade):
    flag = services.flag_of(obj, flag_id)
    if flag is None:
        abort(404)
    try:
        services.review_flag(current_user, flag, request.form.get("decision"), request.form.get("note"))
    except InvalidInput as exc:
        db.session.rollback()
        return _page(obj, exc.errors, flag_id, 422)
    db.session.commit()
    flash(_("The committee's decision on the signal is recorded."), "success")
    return redirect(url_for("bidding.collusion_page", trade_id=obj.id) + f"#flag-{flag_id}")


def collusion_panel(user):
    """The workspace panel: the opened trades whose collusion signals the person may see (a supervisor of
    the trade, a sitting member), with how many still await the committee's decision. The composition
    root registers it."""
    import sqlalchemy as sa

    from bidding.collusion.models import CollusionFlag, FlagReview

    if not getattr(user, "is_authenticated", False):
        return None
    undecided = ~sa.exists().where(FlagReview.flag_id == CollusionFlag.id)
    counts = db.session.execute(
        sa.select(CollusionFlag.trade_id, sa.func.count(), sa.func.sum(sa.case((undecided, 1), else_=0)))
        .where(CollusionFlag.current.is_(True)).group_by(CollusionFlag.trade_id)
        .order_by(CollusionFlag.trade_id.desc()).limit(50)).all()  # the 50 latest trades with signals
    rows = []
    for trade_id, flags, open_ in counts:
        trade = db.session.get(Trade, trade_id)
        if can(user, "collusion.view", trade):
            rows.append((trade, flags, int(open_ or 0)))
    if not rows:
        return None
    return render_template("bidding/_collusion_panel.html", rows=rows)
