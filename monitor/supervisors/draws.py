"""Drawing social supervisors for a trade, and stepping aside (回避) with a replacement fixed in advance.

When: a round is fixed automatically when a trade's notice is published (if the centre keeps a
registry), and by a decider's "draw" whenever the trade has fewer serving supervisors than its rule
asks. It is drawn later, by the tick (monitor.supervisors.rounds), from a seed that did not exist
when it was fixed: docs/draws.md.

Fixing a round logs ("supervisors.draw_fixed") everything the draw will use but the randomness: the
trade, the round number, the candidates (active registry entries of the trade's centre inside
their term, never drawn for this trade, whom the separation-of-duties policy allows as supervisor
of it) and how many are drawn. Once drawn, the round's order is complete: whoever steps aside is
replaced by the next candidate of that order ("supervisors.replacement"), so a recusal cannot
change who comes next; only when the order is exhausted is a new round fixed.
"""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext as _

from monitor.audit import log as audit
from monitor.supervisors import norms
from monitor.supervisors.models import DrawnSupervisor, SocialSupervisor, SupervisorDraw, SupervisorStatus
from trading.draws import lottery as drawing
from trading.accounts import policy
from trading.accounts.models import User
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput, NotAllowed, PolicyViolation
from trading.extensions import db
from trading.permissions import require
from trading.rules.days import local_date
from trading.trades.flows import TradeState
from trading.trades.models import Trade

S = TradeState
#: stages in which supervisors are drawn and replaced (after approval, until the trade is over)
LIVE = frozenset({S.APPROVED, S.ANNOUNCED, S.BIDDING, S.CLOSED, S.OPENING, S.OPENED, S.EVALUATING, S.PUBLICITY,
                  S.AWARDED, S.LISTING, S.TIMED_BIDDING, S.SUSPENDED})
#: a round's states: fixed (commitments accepted), sealed (beacon signed, reveals accepted), drawn
FIXED, SEALED, DRAWN = "fixed", "sealed", "drawn"


def drawn(trade: Trade) -> list[DrawnSupervisor]:
    """Everyone ever drawn for the trade, in draw order."""
    return list(db.session.scalars(sa.select(DrawnSupervisor).where(DrawnSupervisor.trade_id == trade.id)
                                   .order_by(DrawnSupervisor.id)))


def serving(trade: Trade) -> list[DrawnSupervisor]:
    """The drawn supervisors who have not stepped aside: those whose sign-offs the stages need."""
    return [d for d in drawn(trade) if d.recused_at is None]


def draws(trade: Trade) -> list[SupervisorDraw]:
    return list(db.session.scalars(sa.select(SupervisorDraw).where(SupervisorDraw.trade_id == trade.id)
                                   .order_by(SupervisorDraw.round)))


def pending(trade: Trade) -> SupervisorDraw | None:
    """The trade's round fixed but not drawn yet (there is at most one)."""
    return db.session.scalar(sa.select(SupervisorDraw).where(SupervisorDraw.trade_id == trade.id,
                                                             SupervisorDraw.status != DRAWN))


def required_count(trade: Trade) -> norms.CountRule:
    return norms.count_for(trade.estimated_price)


def registry_in_use(centre_id: int) -> bool:
    """A centre keeps a registry once it has registered anyone (revoked entries count)."""
    return bool(db.session.scalar(sa.select(sa.func.count()).select_from(SocialSupervisor)
                                  .where(SocialSupervisor.centre_id == centre_id)))


def ineligible_because(sup: SocialSupervisor, trade: Trade) -> str | None:
    """Why the registry entry may not serve on the trade now (None: it may)."""
    day = local_date(now())
    if sup.status is not SupervisorStatus.ACTIVE:
        return f"registry status {sup.status.value}"
    if not sup.term_start <= day <= sup.term_end:
        return "outside the term"
    user = sup.user
    if user is None or not user.active:
        return "account inactive"
    try:
        policy.check_participation(user, trade, "supervisor")
    except PolicyViolation:
        return "separation of duties or a declared tie"
    return None


def candidates(trade: Trade, exclude_users: set[int] | None = None) -> list[SocialSupervisor]:
    """Who may be drawn for the trade now, by registry id ascending."""
    day = local_date(now())
    stmt = sa.select(SocialSupervisor).where(
        SocialSupervisor.centre_id == trade.centre_id, SocialSupervisor.status == SupervisorStatus.ACTIVE,
        SocialSupervisor.term_start <= day, SocialSupervisor.term_end >= day).order_by(SocialSupervisor.id)
    exclude_users = exclude_users or set()
    return [s for s in db.session.scalars(stmt) if s.user_id not in exclude_users and ineligible_because(s, trade)
            is None]


def window(name: str) -> timedelta:
    """SUPERVISOR_DRAW_COMMIT_SECONDS / SUPERVISOR_DRAW_REVEAL_SECONDS: how long parties may commit, then reveal."""
    return timedelta(seconds=float(current_app.config.get(name, 600)))


def draw_for_trade(trade: Trade, actor: User | None = None, trigger: str = "manual") -> SupervisorDraw | None:
    """Fix a round for the places the trade lacks; the tick draws it once its seed exists. Returns the
    round, or None when nothing is lacking or a round is already pending (automatic triggers) - a
    decider's manual draw is then refused with a reason."""
    if actor is not None and trigger == "manual":
        require("supervisors.trade.draw", trade, user=actor)
    if trade.state not in LIVE:
        if trigger == "manual":
            raise IllegalMove(_("Supervisors are drawn from approval until the trade ends; this trade is %(state)s.",
                                state=trade.state.label), code="not_live")
        return None
    waiting = pending(trade)
    if waiting is not None:
        if trigger == "manual":
            raise IllegalMove(_("Round %(n)d of the draw is already fixed for this trade and has not been drawn yet.",
                                n=waiting.round), code="pending")
        return None
    rule = required_count(trade)
    everyone = drawn(trade)
    now_serving = [d for d in everyone if d.recused_at is None]
    needed = rule.count - len(now_serving)
    if needed <= 0:
        if trigger == "manual":
            raise IllegalMove(_("This trade already has the %(n)d social supervisor(s) its rule asks for.",
                                n=rule.count), code="complete")
        return None
    pool = sorted(s.id for s in candidates(trade, exclude_users={d.user_id for d in everyone}))
    round_no = (db.session.scalar(sa.select(sa.func.max(SupervisorDraw.round))
                                  .where(SupervisorDraw.trade_id == trade.id)) or 0) + 1
    at = now()
    commit_until = at + window("SUPERVISOR_DRAW_COMMIT_SECONDS")
    data = {"v": drawing.FORMAT, "trade": trade.ref, "trade_id": trade.id, "round": round_no, "trigger": trigger,
            "candidates": pool, "count": needed, "rule": rule.as_json(), "serving": len(now_serving),
            "commit_until": audit.iso(commit_until),
            "reveal_seconds": int(window("SUPERVISOR_DRAW_REVEAL_SECONDS").total_seconds())}
    seq = audit.record("supervisors.draw_fixed", obj={"type": "trade", "id": trade.id}, trade=trade, actor=actor,
                       after=data)
    row = SupervisorDraw(trade_id=trade.id, round=round_no, trigger=trigger, status=FIXED, fixed_entry_seq=seq,
                         commit_until=commit_until, candidates=pool, count=needed, selected=[],
                         actor_id=getattr(actor, "id", None), at=at)
    db.session.add(row)
    db.session.flush()
    return row


def notify(trade: Trade, rows: list[DrawnSupervisor]) -> None:
    from trading.notices.models import Notification

    for d in rows:
        user = d.user or db.session.get(User, d.user_id)
        with force_locale(getattr(user, "locale", None) or "zh_CN"):
            subject = _("You have been drawn as social supervisor of %(ref)s", ref=trade.ref)
            body = _("%(title)s. Declare any conflict of interest at once on the trade's supervision page; "
                     "you will be asked to sign the opening record, the evaluation report and the award.",
                     title=trade.title)
        db.session.add(Notification(user_id=d.user_id, trade_id=trade.id, kind="supervisor_drawn",
                                    subject=subject[:250], body=body))


def seat(trade: Trade, rnd: SupervisorDraw, sup: SocialSupervisor, position: int, seq: int) -> DrawnSupervisor:
    policy.join(sup.user, trade, "supervisor")  # the policy applies to them from now on
    d = DrawnSupervisor(trade_id=trade.id, supervisor_id=sup.id, user_id=sup.user_id, draw_id=rnd.id,
                        position=position, entry_seq=seq, drawn_at=now())
    db.session.add(d)
    db.session.flush()
    return d


def replace(gone: DrawnSupervisor, trade: Trade, actor: User | None) -> DrawnSupervisor | None:
    """The next candidate of the order of the trade's first round with one left (positions after the
    last one used), skipping, with the reason logged, anyone drawn already or no longer eligible. When
    no round has anyone left, a new round is fixed (trigger "redraw")."""
    taken = {d.supervisor_id for d in drawn(trade)}
    for rnd in draws(trade):
        if rnd.status != DRAWN or not rnd.order:
            continue
        used = db.session.scalars(sa.select(DrawnSupervisor.position).where(
            DrawnSupervisor.draw_id == rnd.id, DrawnSupervisor.position.is_not(None))).all()
        skipped = []
        for pos in range(max(used, default=-1) + 1, len(rnd.order)):
            sup = db.session.get(SocialSupervisor, rnd.order[pos])
            why = "drawn already" if sup.id in taken else ineligible_because(sup, trade)
            if why is not None:
                skipped.append({"position": pos, "supervisor": sup.id, "why": why})
                continue
            seq = audit.record("supervisors.replacement", obj={"type": "trade", "id": trade.id}, trade=trade,
                               actor=actor, after={
                                   "v": drawing.FORMAT, "trade": trade.ref, "trade_id": trade.id,
                                   "round": rnd.round, "draw": rnd.entry_seq, "replaces": gone.supervisor_id,
                                   "recusal": gone.recusal_entry_seq, "position": pos, "supervisor": sup.id,
                                   "user": sup.user_id, "certificate": sup.certificate_no, "skipped": skipped})
            d = seat(trade, rnd, sup, pos, seq)
            notify(trade, [d])
            return d
    draw_for_trade(trade, actor, trigger="redraw")
    return None


def step_aside(d: DrawnSupervisor, trade: Trade, kind: str, reason: str, actor: User | None) -> DrawnSupervisor:
    if d.recused_at is not None:
        raise IllegalMove(_("This supervisor has already stepped aside."), code="already_recused")
    d.recused_at, d.recusal_kind, d.recusal_reason = now(), kind, reason
    d.recused_by_id = getattr(actor, "id", None)
    db.session.flush()
    d.recusal_entry_seq = audit.record(
        "supervisors.recusal", obj={"type": "drawn_supervisor", "id": d.id}, trade=trade, actor=actor,
        after={"trade": trade.ref, "supervisor": d.supervisor_id, "user": d.user_id, "kind": kind, "reason": reason,
               "round": d.draw.round})
    db.session.flush()
    if trade.state in LIVE:
        replace(d, trade, actor)
    return d


def _why(reason: str | None) -> str:
    value = (reason or "").strip()
    if not value:
        raise InvalidInput({"reason": [_("a reason is required to step aside")]})
    if len(value) > 2000:
        raise InvalidInput({"reason": [_("at most %(n)d characters", n=2000)]})
    return value


def declare_conflict(actor: User, trade: Trade, reason: str | None) -> DrawnSupervisor:
    """A drawn supervisor declares a conflict of interest and steps aside; the next in the order replaces them."""
    require("supervisors.trade.declare", trade, user=actor)
    why = _why(reason)
    d = next((x for x in serving(trade) if x.user_id == actor.id), None)
    if d is None:
        raise NotAllowed(_("Only a supervisor drawn for this trade can declare a conflict on it."))
    return step_aside(d, trade, "declared", why, actor)


def recuse(actor: User, trade: Trade, drawn_id: int, reason: str | None) -> DrawnSupervisor:
    """A decider sets a drawn supervisor aside (a conflict learnt otherwise); the next in the order replaces them."""
    require("supervisors.trade.recuse", trade, user=actor)
    why = _why(reason)
    d = db.session.get(DrawnSupervisor, drawn_id)
    if d is None or d.trade_id != trade.id:
        raise InvalidInput({"drawn_id": [_("no such supervisor drawn for this trade")]})
    return step_aside(d, trade, "decided", why, actor)


def step_aside_everywhere(sup: SocialSupervisor, actor: User | None, reason: str) -> int:
    """A suspended or revoked supervisor leaves every live trade they serve on (each gets a replacement)."""
    rows = db.session.scalars(sa.select(DrawnSupervisor).where(DrawnSupervisor.supervisor_id == sup.id,
                                                               DrawnSupervisor.recused_at.is_(None))).all()
    n = 0
    for d in rows:
        trade = db.session.get(Trade, d.trade_id)
        if trade.state in LIVE:
            step_aside(d, trade, "registry", reason, actor)
            n += 1
    return n


# ---- when a round is fixed --------------------------------------------------------------------------

def on_trade_moved(trade: Trade, move: str, actor=None, **_kw) -> None:
    """Publishing the notice fixes the trade's first round, in the publishing transaction, when the
    centre keeps a registry (a centre without one has nobody to draw; e-supervision may card that)."""
    if move == "publish" and registry_in_use(trade.centre_id):
        draw_for_trade(trade, actor, trigger="publish")


def connect_listeners() -> None:
    from trading.signals import trade_moved

    trade_moved.connect(on_trade_moved)
