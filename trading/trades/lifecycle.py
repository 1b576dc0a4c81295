"""The one transition function: applies a move of a trade's flow or refuses it with a clear error."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import current_app
from flask_babel import format_datetime, gettext as _

from trading.accounts import policy
from trading.accounts.roles import Branch, Role
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput, NotAllowed
from trading.extensions import db
from trading.rules.days import load_calendar
from trading.rules.model import milestone_label
from trading.signals import trade_moved
from trading.trades.flows import SYSTEM, Move, TradeState
from trading.trades.models import MILESTONES, Trade, TradeTransition
from trading.trades.reserved import check_not_reserved, reserved_to

BRANCH_DUTY = {Branch.DECIDE: "decider", Branch.EXECUTE: "executor", Branch.SUPERVISE: "supervisor"}


def check_timeline(trade: Trade) -> None:
    """Raise InvalidInput listing every broken rule of the trade's rule set, each citing its source."""
    problems = trade.rule_set.check(trade, load_calendar())
    if problems:
        errors: dict[str, list[str]] = {}
        for v in problems:
            errors.setdefault(v.field, []).append(v.message)
        raise InvalidInput(errors)


def _sandbox_allowed(trade: Trade, at: datetime) -> None:
    if trade.sandbox and not current_app.config.get("SANDBOX_ENABLED"):
        raise IllegalMove(_("Sandbox trades are disabled on this platform."), code="sandbox_disabled")


def _issue_now_or_later(trade: Trade, at: datetime) -> None:
    """Documents cannot be issued in the past: publishing late issues them now, then rules re-check."""
    if trade.issue_at is None or trade.issue_at < at:
        trade.issue_at = at


def _after(milestone: str) -> Callable[[Trade, datetime], None]:
    def guard(trade: Trade, at: datetime) -> None:
        when = trade.milestone(milestone)
        if when is not None and at < when:
            raise IllegalMove(
                _("Not yet: this move is allowed from the %(what)s (%(when)s).",
                  what=milestone_label(milestone), when=format_datetime(when, "yyyy-MM-dd HH:mm:ss")),
                code="too_early",
            )

    return guard


#: what a move brings with it beyond the state change (publishing creates the notice), run inside
#: the transition so that the signal's listeners see the move complete
AFTER_MOVE: dict[str, list[Callable]] = {}


def after_move(name: str):
    def register(fn):
        AFTER_MOVE.setdefault(name, []).append(fn)
        return fn

    return register


GUARDS: dict[str, Callable[[Trade, datetime], None]] = {
    "timeline_valid": lambda trade, at: check_timeline(trade),
    "sandbox_allowed": _sandbox_allowed,
    "issue_now_or_later": _issue_now_or_later,
}


def guard(name: str) -> Callable[[Trade, datetime], None]:
    if name.startswith("after:"):
        return _after(name.split(":", 1)[1])
    return GUARDS[name]


def acting_role(move: Move, trade: Trade, actor) -> Role | str:
    """The role in which `actor` makes `move`, or NotAllowed naming what is needed."""
    if actor is None:
        if SYSTEM in move.roles:
            return SYSTEM
        raise NotAllowed(_("This move needs a person; the platform does not make it by itself."))
    for role in move.roles:
        if role == SYSTEM:
            continue
        if role is Role.TENDERER:
            if actor.organisation_id == trade.tenderer_id and actor.has_role(Role.TENDERER):
                return role
        elif trade.centre_id in actor.centres_for(role):
            return role
    needed = _(", ").join(sorted(r.label for r in move.roles if r != SYSTEM))
    raise NotAllowed(_("Only %(roles)s of this centre may %(move)s.", roles=needed, move=str(move.label).lower()))


def transition(trade: Trade, name: str, actor=None, *, reason: str | None = None,
               at: datetime | None = None, by: str | None = None,
               reason_message: dict | None = None) -> TradeTransition:
    """Apply move `name`: flow, reservation, role, separation of duties, guards, history row, signal,
    in that order. `by` names the procedure making the move when it is reserved to one (reserved.py)."""
    at = at or now()
    move = trade.flow.move(name)
    if move is None:
        raise IllegalMove(_("There is no move '%(move)s' in this trade's flow.", move=name), code="unknown_move")
    check_not_reserved(trade, move, by)
    if trade.state not in move.sources:
        raise IllegalMove(
            _("Cannot %(move)s a trade that is %(state)s.", move=str(move.label).lower(), state=trade.state.label)
        )
    role = acting_role(move, trade, actor)
    reason = (reason or "").strip() or None
    if move.needs_reason and not reason:
        raise InvalidInput({"reason": [_("a reason is required for this move")]})
    duty = BRANCH_DUTY.get(role.branch) if role != SYSTEM else None
    if duty:
        policy.check_participation(actor, trade, duty)
    # A refused move changes nothing: guards may adjust milestones (publishing late re-issues now),
    # so put them back if a later guard refuses; the participant row is written only once all pass.
    before = {m: trade.milestone(m) for m in MILESTONES}
    try:
        for g in move.guards:
            guard(g)(trade, at)
    except Exception:
        for m, value in before.items():
            if trade.milestone(m) != value:
                setattr(trade, m, value)
        raise
    if duty:
        policy.join(actor, trade, duty)
    old = trade.state
    if move.to is None:  # resume
        new = trade.suspended_from or TradeState.ANNOUNCED
        trade.suspended_from = None
    else:
        new = move.to
        if new is TradeState.SUSPENDED:
            trade.suspended_from = old
    trade.state = new
    record = TradeTransition(
        trade=trade, move=name, from_state=old, to_state=new, actor_id=getattr(actor, "id", None),
        actor_role=role if role == SYSTEM else role.value, reason=reason, at=at,
        reason_message=reason_message,  # a reason the platform wrote (trading.texts); `reason` as stored
    )
    db.session.add(record)
    db.session.flush()
    for consequence in AFTER_MOVE.get(name, []):  # e.g. the notice: listeners see the finished move
        consequence(trade, actor, record)
    trade_moved.send(trade, move=name, old_state=old, new_state=new, actor=actor, reason=reason, at=at)
    return record


def allowed_moves(trade: Trade, actor) -> list[Move]:
    """Moves the actor could try now (role-wise) on the generic route; guards are still checked when
    they try. Moves reserved to a procedure on this trade are made on that procedure's page."""
    out = []
    for move in trade.flow.moves_from(trade.state):
        if reserved_to(trade, move) is not None:
            continue
        try:
            acting_role(move, trade, actor)
        except NotAllowed:
            continue
        out.append(move)
    return out
