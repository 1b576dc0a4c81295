"""The evaluation room: for a sitting member the opened bids, the criteria grid with their marks and the
committee's conclusions, and the clarification panel; for a bidder its own questions and an answer form;
for the executing staff and supervisors all of it, read-only. Plain forms, no script."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from bidding.blueprints import bp
from bidding.evaluation import clarifications, review
from bidding.evaluation.models import BidClarification
from bidding.evaluation.permissions import opened_bidder, sitting_member, watches
from trading.clock import local_tz, now
from trading.errors import DomainError, InvalidInput
from trading.extensions import db
from trading.permissions import can, require, requires
from trading.trades.models import Trade
from trading.views_common import load_trade


def _room(trade: Trade, errors: dict | None = None, status: int = 200):
    viewer = current_user
    sees_review = can(viewer, "evaluation.review.view", trade)
    grid = review.grid(viewer, trade) if sees_review else None
    mine: dict[tuple[int, str], object] = {}
    names: dict[int, str] = {}
    if grid is not None:
        for m in grid["marks"]:
            if m.member_id == viewer.id:
                mine[(m.entry_id, m.criterion)] = m
            names[m.member_id] = m.member.display_name
    questions = clarifications.visible(viewer, trade)
    return render_template(
        "bidding/evaluation_room.html", trade=trade, grid=grid, mine=mine, names=names, questions=questions,
        member=sitting_member(viewer, trade), watcher=watches(viewer, trade), bidder=opened_bidder(viewer, trade),
        closure=review.closure_of(trade), max_hours=clarifications.max_hours(), source=clarifications.source(),
        errors=errors or {}, form=request.form if errors else {}, marking_begun=bool(grid and _any_marks(trade)),
        deadline_default=_local(now() + timedelta(hours=min(24, clarifications.max_hours()))),
    ), status


def _any_marks(trade: Trade) -> bool:
    from bidding.evaluation.models import ReviewMark

    return db.session.scalar(db.select(ReviewMark.id).where(ReviewMark.trade_id == trade.id).limit(1)) is not None


def _local(value: datetime) -> str:
    return value.astimezone(local_tz()).strftime("%Y-%m-%dT%H:%M")


def _back(trade: Trade, anchor: str = ""):
    return redirect(url_for("bidding.evaluation_room", trade_id=trade.id) + anchor)


def _act(trade: Trade, work, done: str, anchor: str = "", fields: dict[str, str] | None = None):
    """Run one service call: commit and say so; a bad field re-renders the room with the errors (422), the
    service's field names mapped to the form's by `fields`; a refused move (late answer, closed review) is
    flashed."""
    try:
        work()
        db.session.commit()
        flash(done, "success")
        return _back(trade, anchor)
    except InvalidInput as exc:
        db.session.rollback()
        errors = {}
        for name, messages in exc.errors.items():
            key = next((v for k, v in (fields or {}).items() if name.startswith(k)), name)
            errors.setdefault(key, []).extend(messages)
        return _room(trade, errors, 422)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _back(trade, anchor)


def _int(name: str) -> int | None:
    raw = request.form.get(name, "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


@bp.route("/trades/<int:trade_id>/evaluation")
@login_required
@requires("evaluation.room", load=load_trade)
def evaluation_room(trade_id: int, obj: Trade):
    return _room(obj)


@bp.route("/trades/<int:trade_id>/evaluation/marks", methods=["POST"])
@login_required
@requires("evaluation.review.mark", load=load_trade)
def evaluation_marks(trade_id: int, obj: Trade):
    """One bid's marks from the grid form: pass-<code> is "1" or "0", reason-<code> the reason."""
    trade = obj
    marks = []
    for c in review.criteria(trade):
        choice = request.form.get(f"pass-{c.code}")
        if choice in ("1", "0"):
            marks.append({"criterion": c.code, "passed": choice == "1", "reason": request.form.get(f"reason-{c.code}")})
    entry_id = _int("entry_id")
    fields = {f"marks.{i}.": f"mark-{entry_id}-{m['criterion']}" for i, m in enumerate(marks)}
    fields["marks"] = f"marks-{entry_id}"
    return _act(trade, lambda: review.record_marks(current_user, trade, entry_id, marks), _("Your marks are saved."),
                f"#bid-{entry_id}", fields)


@bp.route("/trades/<int:trade_id>/evaluation/close", methods=["POST"])
@login_required
@requires("evaluation.review.mark", load=load_trade)
def evaluation_close(trade_id: int, obj: Trade):
    return _act(obj, lambda: review.close_review(current_user, obj),
                _("The review is closed: the conclusions are recorded and the marks fixed."))


@bp.route("/trades/<int:trade_id>/evaluation/criteria", methods=["POST"])
@login_required
@requires("evaluation.criteria.add", load=load_trade)
def evaluation_criteria(trade_id: int, obj: Trade):
    values = {k: request.form.get(k) for k in ("code", "stage", "title", "source", "decision")}
    return _act(obj, lambda: review.add_criterion(current_user, obj, values), _("Criterion added."), "#criteria")


def _deadline() -> datetime | None:
    raw = request.form.get("deadline", "").strip()
    try:
        return datetime.strptime(raw, "%Y-%m-%dT%H:%M").replace(tzinfo=local_tz())
    except ValueError:
        return None


@bp.route("/trades/<int:trade_id>/evaluation/clarifications", methods=["POST"])
@login_required
@requires("evaluation.clarify", load=load_trade)
def evaluation_ask(trade_id: int, obj: Trade):
    entry_id, deadline = _int("entry_id"), _deadline()
    return _act(obj, lambda: clarifications.ask(current_user, obj, entry_id, request.form.get("question"), deadline),
                _("The question is sent to the bidder."), "#clarifications")


def _question(trade: Trade, clarification_id: int) -> BidClarification:
    row = clarifications.clarification_of(trade, clarification_id)
    if row is None:
        from flask import abort

        abort(404)
    return row


@bp.route("/trades/<int:trade_id>/evaluation/clarifications/<int:clarification_id>/answer", methods=["POST"])
@login_required
@requires("evaluation.room", load=load_trade)
def evaluation_answer(trade_id: int, clarification_id: int, obj: Trade):
    row = _question(obj, clarification_id)
    require("evaluation.clarification.answer", row)
    return _act(obj, lambda: clarifications.answer(current_user, row, request.form.get("answer")),
                _("Your answer is recorded."), f"#q-{row.id}")


@bp.route("/trades/<int:trade_id>/evaluation/clarifications/<int:clarification_id>/refuse", methods=["POST"])
@login_required
@requires("evaluation.clarify", load=load_trade)
def evaluation_refuse(trade_id: int, clarification_id: int, obj: Trade):
    row = _question(obj, clarification_id)
    return _act(obj, lambda: clarifications.refuse(current_user, row, request.form.get("reason")),
                _("The answer is refused and recorded as such."), f"#q-{row.id}")


def evaluation_panel(user):
    """The workspace panel: the evaluation rooms a person sits in, and the trades whose committee asked
    the person's company a clarification (the composition root registers it)."""
    import sqlalchemy as sa

    from bidding.evaluation.models import CommitteeSeat
    from bidding.evaluation.permissions import SITTING
    from bidding.experts.models import ExpertSeat, SeatStatus

    seated = sa.select(CommitteeSeat.trade_id).where(CommitteeSeat.user_id == user.id, CommitteeSeat.left_at.is_(None))
    drawn = sa.select(ExpertSeat.trade_id).where(ExpertSeat.user_id == user.id, ExpertSeat.status == SeatStatus.CONFIRMED)
    sitting = list(db.session.scalars(sa.select(Trade).where(Trade.id.in_(seated.union(drawn)),
                                                             Trade.state.in_(SITTING)).order_by(Trade.id)))
    asked: list = []
    if user.organisation_id is not None and any(g.role.value == "bidder" for g in user.grants):
        asked = list(db.session.scalars(sa.select(Trade).where(Trade.id.in_(
            sa.select(BidClarification.trade_id).where(BidClarification.organisation_id == user.organisation_id)))
            .order_by(Trade.id)))
    if not sitting and not asked:
        return None
    return render_template("bidding/_evaluation_rooms.html", sitting=sitting, asked=asked)
