"""A trade's committee: its plan checked against the rule set, the draw per specialty (rounds of
trading.draws, docs/draws.md), the seats, confirmations, declines and recusals with their replacements
fixed in advance, and who may read the member list.

A decline or a recusal is answered by the next expert of the same round's order, named when the round
was drawn, before anyone declined ("experts.replacement"); only an exhausted order fixes a new round
(trigger "redraw")."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import force_locale, gettext as _

from bidding.experts import composition, exclusions
from bidding.experts.models import PURPOSE, CommitteePlan, Expert, ExpertSeat, SeatStatus
from trading.accounts import policy
from trading.accounts.models import User
from trading.clock import now
from trading.draws import services as draws
from trading.draws.models import DrawRound
from trading.errors import IllegalMove, InvalidInput, NotAllowed
from trading.extensions import begin_write, db
from trading.permissions import can, require
from trading.trades.flows import TradeState as S
from trading.trades.models import Trade

#: stages in which experts are drawn and replaced: from the notice until the evaluation ends
LIVE = frozenset({S.ANNOUNCED, S.BIDDING, S.CLOSED, S.OPENING, S.OPENED, S.EVALUATING})


def lock(trade: Trade) -> Trade:
    """Serialise changes to a trade's committee: the write lock (SQLite) and the trade's row (FOR UPDATE),
    then everything re-read, so two racing requests see each other's effect (one refused, 409) and
    never pick the same replacement or write the same plan twice."""
    begin_write()
    db.session.scalar(sa.select(Trade.id).where(Trade.id == trade.id).with_for_update())  # no joins: PostgreSQL
    db.session.refresh(trade)
    db.session.scalars(sa.select(ExpertSeat).where(ExpertSeat.trade_id == trade.id)
                       .execution_options(populate_existing=True)).all()  # the seats as they are now
    return trade


def plan_of(trade: Trade) -> CommitteePlan | None:
    return db.session.scalar(sa.select(CommitteePlan).where(CommitteePlan.trade_id == trade.id))


def seats(trade: Trade) -> list[ExpertSeat]:
    return list(db.session.scalars(sa.select(ExpertSeat).where(ExpertSeat.trade_id == trade.id)
                                   .order_by(ExpertSeat.id)))


def sitting(trade: Trade) -> list[ExpertSeat]:
    return [s for s in seats(trade) if s.status.sits]


def set_plan(actor: User, trade: Trade, data: dict) -> CommitteePlan:
    """Set (or, before any draw, change) the committee's plan; refused unless the rule set allows it."""
    require("experts.trade.draw", trade, user=actor)
    lines = data.get("lines") or []
    known = composition.specialties()
    errors: dict[str, list[str]] = {}
    clean = []
    for i, line in enumerate(lines):
        code, count = (line or {}).get("specialty"), (line or {}).get("count")
        if code not in known:
            errors.setdefault(f"lines.{i}.specialty", []).append(_("not in the specialty list"))
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            errors.setdefault(f"lines.{i}.count", []).append(_("a whole number of at least 1"))
        clean.append({"specialty": code, "count": count})
    if not lines:
        errors["lines"] = [_("name at least one specialty and how many experts to draw for it")]
    reps = data.get("representatives", 0)
    if not isinstance(reps, int) or isinstance(reps, bool) or reps < 0:
        errors["representatives"] = [_("a whole number, 0 or more")]
    if errors:
        raise InvalidInput(errors)
    lock(trade)
    breaches = composition.check(trade, sum(c["count"] for c in clean), reps, bool(data.get("complex")))
    if breaches:
        raise InvalidInput(breaches)
    if draws.rounds(PURPOSE, trade):
        raise IllegalMove(_("The committee's draw has begun; its plan can no longer change."), code="drawing")
    plan = plan_of(trade) or CommitteePlan(trade_id=trade.id)
    plan.representatives, plan.complex, plan.lines = reps, bool(data.get("complex")), clean
    plan.region = (data.get("region") or "").strip() or None
    plan.set_by_id, plan.at = actor.id, now()
    db.session.add(plan)
    db.session.flush()
    return plan


def _missing(trade: Trade, plan: CommitteePlan) -> list[tuple[str, int]]:
    """Per plan line, how many seats are not filled by a sitting expert or an undrawn round."""
    waiting: dict[str, int] = {}
    for row in draws.rounds(PURPOSE, trade):
        if row.status != draws.DRAWN:
            waiting[row.params.get("specialty")] = waiting.get(row.params.get("specialty"), 0) + row.count
    have: dict[str, int] = {}
    for s in sitting(trade):
        have[s.specialty] = have.get(s.specialty, 0) + 1
    return [(line["specialty"], int(line["count"]) - have.get(line["specialty"], 0) - waiting.get(line["specialty"], 0))
            for line in plan.lines]


def draw(actor: User | None, trade: Trade, trigger: str = "manual") -> list[DrawRound]:
    """Fix a round per specialty still short of experts; the tick draws each once its seed exists."""
    if actor is not None and trigger == "manual":
        require("experts.trade.draw", trade, user=actor)
        lock(trade)
    if trade.state not in LIVE:
        raise IllegalMove(_("Experts are drawn from the notice until the evaluation ends; this trade is %(state)s.",
                            state=trade.state.label), code="not_live")
    plan = plan_of(trade)
    if plan is None:
        raise IllegalMove(_("Set the committee's plan before drawing."), code="no_plan")
    fixed = []
    for specialty, short in _missing(trade, plan):
        if short <= 0:
            continue
        pool, left_out = exclusions.pool(trade, specialty, plan.region)
        fixed.append(draws.fix(PURPOSE, trade, pool, short, actor=actor, trigger=trigger,
                               params={"specialty": specialty, "region": plan.region},
                               extra={"left_out": left_out}))
    if not fixed and trigger == "manual":
        raise IllegalMove(_("Every seat of the plan is filled or being drawn."), code="complete")
    return fixed


def notify(trade: Trade, seat: ExpertSeat) -> None:
    from trading.notices.models import Notification

    user = db.session.get(User, seat.user_id)
    with force_locale(getattr(user, "locale", None) or "zh_CN"):
        subject = _("You have been drawn as evaluation expert for %(ref)s", ref=trade.ref)
        body = _("%(title)s. Confirm or decline on your assignments page; decline at once if you have any tie to "
                 "a bidder or the tenderer. Keep the assignment secret until the result is published.",
                 title=trade.title)
    db.session.add(Notification(user_id=seat.user_id, trade_id=trade.id, kind="expert_drawn", subject=subject[:250],
                                body=body))


def _seat(trade: Trade, row: DrawRound, expert: Expert, position: int, seq: int) -> ExpertSeat:
    seat = ExpertSeat(trade_id=trade.id, expert_id=expert.id, user_id=expert.user_id, round_id=row.id,
                      position=position, specialty=row.params.get("specialty"), status=SeatStatus.NOTIFIED,
                      entry_seq=seq, drawn_at=now())
    db.session.add(seat)
    db.session.flush()
    return seat


def on_drawn(row: DrawRound) -> None:
    """Seat the round's selection; anyone excluded by now sits for no time and is replaced at once."""
    trade = row.trade
    ctx = exclusions.Context(trade)
    made = []
    for pos, expert_id in enumerate(row.selected):
        expert = db.session.get(Expert, expert_id)
        why = ctx.why_not(expert)
        made.append((_seat(trade, row, expert, pos, row.entry_seq), why))
    for seat, why in made:
        if why is None:
            notify(trade, seat)
        else:
            step_aside(seat, trade, SeatStatus.INELIGIBLE, why, None)


def _used(row: DrawRound) -> list[int]:
    return list(db.session.scalars(sa.select(ExpertSeat.position).where(ExpertSeat.round_id == row.id)))


def replace(gone: ExpertSeat, trade: Trade, actor: User | None) -> ExpertSeat | None:
    """The next expert of the order of the round that drew `gone` (after the last position used),
    passing over with the reason anyone excluded by now; an exhausted order fixes a new round."""
    row = db.session.get(DrawRound, gone.round_id)
    ctx = exclusions.Context(trade)
    pos, member, skipped = draws.next_position(row, _used(row), lambda i: ctx.why_not(db.session.get(Expert, i)))
    if pos < 0:
        if trade.state in LIVE and plan_of(trade) is not None and draws.pending(PURPOSE, trade) is None:
            draw(actor, trade, trigger="redraw")
        return None
    expert = db.session.get(Expert, member)
    seq = draws.log("experts.replacement", trade, actor, {
        "purpose": PURPOSE, "trade": trade.ref, "trade_id": trade.id, "round": row.round, "draw": row.entry_seq,
        "replaces": gone.expert_id, "recusal": gone.recusal_entry_seq, "position": pos, "expert": member,
        "specialty": row.params.get("specialty"), "skipped": [{"position": s["position"], "expert": s["member"],
                                                                "why": s["why"]} for s in skipped]})
    seat = _seat(trade, row, expert, pos, seq)
    notify(trade, seat)
    return seat


def step_aside(seat: ExpertSeat, trade: Trade, status: SeatStatus, reason: str, actor: User | None) -> ExpertSeat:
    """Leave the seat (declined, recused or excluded), logged, and take the next of the order."""
    if not seat.status.sits:
        raise IllegalMove(_("This expert no longer holds the seat."), code="not_sitting")
    seat.status, seat.reason, seat.responded_at = status, reason, now()
    seat.recusal_entry_seq = draws.log("experts.recusal", trade, actor, {
        "purpose": PURPOSE, "trade": trade.ref, "expert": seat.expert_id, "kind": status.value, "reason": reason,
        "round": db.session.get(DrawRound, seat.round_id).round})
    db.session.flush()
    if trade.state in LIVE:
        replace(seat, trade, actor)
    return seat


def _reason(reason) -> str:
    value = reason.strip() if isinstance(reason, str) else ""
    if not value:
        raise InvalidInput({"reason": [_("a reason is required")]})
    if len(value) > 2000:
        raise InvalidInput({"reason": [_("at most %(n)d characters", n=2000)]})
    return value


def own_seat(actor: User, trade: Trade, seat_id: int) -> ExpertSeat:
    seat = db.session.get(ExpertSeat, seat_id)
    if seat is None or seat.trade_id != trade.id or seat.user_id != actor.id:
        raise NotAllowed(_("This is not your assignment."))
    return seat


def confirm(actor: User, trade: Trade, seat_id: int) -> ExpertSeat:
    """The drawn expert confirms; the policy then counts them as the trade's expert."""
    require("experts.assignments", None, user=actor)
    lock(trade)
    seat = own_seat(actor, trade, seat_id)
    if seat.status is not SeatStatus.NOTIFIED:
        raise IllegalMove(_("This assignment is %(status)s; only one awaiting confirmation can be confirmed.",
                            status=seat.status.label), code="not_pending")
    if trade.state not in LIVE:
        raise IllegalMove(_("This trade no longer takes confirmations."), code="not_live")
    why = exclusions.why_not(seat.expert, trade, seated_ok=True)
    if why is not None:  # excluded since the draw (a sanction, a new bidder...): the seat goes to the next
        return step_aside(seat, trade, SeatStatus.INELIGIBLE, why, None)
    policy.join(actor, trade, "expert")
    seat.status, seat.responded_at = SeatStatus.CONFIRMED, now()
    draws.log("experts.confirmed", trade, actor, {"trade": trade.ref, "expert": seat.expert_id,
                                                  "round": seat.round_row.round, "position": seat.position})
    db.session.flush()
    return seat


def decline(actor: User, trade: Trade, seat_id: int, reason, recusal: bool = False) -> ExpertSeat:
    """The expert declines (cannot sit) or recuses themself (a tie); the next of the order replaces them."""
    require("experts.assignments", None, user=actor)
    why = _reason(reason)
    lock(trade)
    seat = own_seat(actor, trade, seat_id)
    return step_aside(seat, trade, SeatStatus.RECUSED if recusal else SeatStatus.DECLINED, why, actor)


def recuse(actor: User, trade: Trade, seat_id: int, reason) -> ExpertSeat:
    """Staff set a drawn expert aside for a conflict learnt otherwise; the next of the order replaces them."""
    require("experts.trade.draw", trade, user=actor)
    why = _reason(reason)
    lock(trade)
    seat = db.session.get(ExpertSeat, seat_id)
    if seat is None or seat.trade_id != trade.id:
        raise InvalidInput({"seat_id": [_("no such expert drawn for this trade")]})
    return step_aside(seat, trade, SeatStatus.RECUSED, why, actor)


def members_for(viewer, trade: Trade) -> list[ExpertSeat]:
    """The seats `viewer` may see: all of them with experts.trade.members, else only their own."""
    if can(viewer, "experts.trade.members", trade):
        return seats(trade)
    if not getattr(viewer, "is_authenticated", False):
        return []
    return [s for s in seats(trade) if s.user_id == viewer.id]


def assignments(viewer: User) -> list[ExpertSeat]:
    return list(db.session.scalars(sa.select(ExpertSeat).where(ExpertSeat.user_id == viewer.id)
                                   .order_by(ExpertSeat.drawn_at.desc())))


def composition_now(trade: Trade) -> dict:
    """The committee as drawn so far against its plan and the rule set."""
    plan = plan_of(trade)
    if plan is None:
        return {"plan": None}
    here = sitting(trade)
    confirmed = [s for s in here if s.status is SeatStatus.CONFIRMED]
    return {"plan": plan, "size": plan.size, "sitting": len(here), "confirmed": len(confirmed),
            "complete": len(confirmed) == plan.experts,
            "breaches": composition.check(trade, len(confirmed), plan.representatives, plan.complex)
            if len(confirmed) == plan.experts else {}}


def install() -> None:
    """Register the expert draw with the rounds machinery (the app factory calls it)."""
    draws.register_purpose(draws.Purpose(key=PURPOSE, prefix="experts", member="expert", on_drawn=on_drawn))
