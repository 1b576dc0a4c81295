"""Drawing social supervisors for a trade, and stepping aside (回避) with a redraw.

When: automatically when a trade's notice is published (if the centre keeps a registry), and by a
decider's "draw" whenever the trade has fewer serving supervisors than its rule asks (a registry
filled after publication, a shortfall). A recusal, declared by the supervisor or decided by a
decider, is followed at once by a redraw for the free place.

How: every round signs a fresh checkpoint of the audit log in the same transaction (unless the
latest one already covers the whole log), derives the seed from that checkpoint's size and root,
the trade's reference and the round number, and selects with monitor.verify.draw.draw among the eligible
candidates: active registry entries of the trade's centre inside their term, never drawn for this
trade before, whom the separation-of-duties policy allows as supervisor of this trade (no other
branch on it, no tie to the tenderer or a bidder). The whole input and the result are logged as
one entry ("supervisors.draw") that monitor.verify.draw.replay recomputes offline.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import force_locale, gettext as _

from monitor.audit import log as audit
from monitor.supervisors import norms
from monitor.verify import draw as drawing
from monitor.supervisors.models import DrawnSupervisor, SocialSupervisor, SupervisorDraw, SupervisorStatus
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


def required_count(trade: Trade) -> norms.CountRule:
    return norms.count_for(trade.estimated_price)


def registry_in_use(centre_id: int) -> bool:
    """A centre keeps a registry once it has registered anyone (revoked entries count)."""
    return bool(db.session.scalar(sa.select(sa.func.count()).select_from(SocialSupervisor)
                                  .where(SocialSupervisor.centre_id == centre_id)))


def _eligible(sup: SocialSupervisor, trade: Trade) -> bool:
    user = sup.user
    if user is None or not user.active:
        return False
    try:
        policy.check_participation(user, trade, "supervisor")
    except PolicyViolation:
        return False
    return True


def candidates(trade: Trade, exclude_users: set[int] | None = None) -> list[SocialSupervisor]:
    """Who may be drawn for the trade now, by registry id ascending."""
    day = local_date(now())
    stmt = sa.select(SocialSupervisor).where(
        SocialSupervisor.centre_id == trade.centre_id, SocialSupervisor.status == SupervisorStatus.ACTIVE,
        SocialSupervisor.term_start <= day, SocialSupervisor.term_end >= day).order_by(SocialSupervisor.id)
    exclude_users = exclude_users or set()
    return [s for s in db.session.scalars(stmt) if s.user_id not in exclude_users and _eligible(s, trade)]


def _checkpoint():
    """The latest signed checkpoint if it covers the whole log, else a new one signed now (same transaction)."""
    db.session.flush()
    size, _root = audit.head()
    cp = audit.latest_checkpoint()
    if cp is None or cp.size != size:
        cp = audit.sign_checkpoint("draw")
    return cp


def _notify(trade: Trade, rows: list[DrawnSupervisor]) -> None:
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


def draw_for_trade(trade: Trade, actor: User | None = None, trigger: str = "manual") -> SupervisorDraw | None:
    """Draw as many supervisors as the trade lacks. Returns the logged round, or None when nothing
    is lacking (automatic triggers) - a decider's manual draw is then refused with a reason."""
    if actor is not None and trigger == "manual":
        require("supervisors.trade.draw", trade, user=actor)
    if trade.state not in LIVE:
        if trigger == "manual":
            raise IllegalMove(_("Supervisors are drawn from approval until the trade ends; this trade is %(state)s.",
                                state=trade.state.label), code="not_live")
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
    pool = candidates(trade, exclude_users={d.user_id for d in everyone})
    cp = _checkpoint()
    root = bytes(cp.root).hex()
    last_round = db.session.scalar(sa.select(sa.func.max(SupervisorDraw.round))
                                   .where(SupervisorDraw.trade_id == trade.id)) or 0
    round_no = last_round + 1
    material = drawing.seed_material(cp.size, root, trade.ref, round_no)
    selected = drawing.draw(material, [s.id for s in pool], needed)
    by_id = {s.id: s for s in pool}
    data = {
        "v": drawing.FORMAT, "trade": trade.ref, "trade_id": trade.id, "round": round_no, "trigger": trigger,
        "checkpoint": {"id": cp.id, "size": cp.size, "root": root, "at": audit.iso(cp.at)},
        "seed": drawing.seed_of(material).hex(), "rule": rule.as_json(), "serving": len(now_serving),
        "count": needed, "candidates": sorted(by_id), "selected": selected,
        "selected_users": [by_id[i].user_id for i in selected],
        "certificates": [by_id[i].certificate_no for i in selected], "shortfall": needed - len(selected),
        "algorithm": "sha256-ctr/rejection/fisher-yates (python -m monitor.verify.draw)",
    }
    seq = audit.record("supervisors.draw", obj={"type": "trade", "id": trade.id}, trade=trade, actor=actor,
                       after=data)
    row = SupervisorDraw(trade_id=trade.id, round=round_no, trigger=trigger, checkpoint_id=cp.id,
                         checkpoint_size=cp.size, checkpoint_root=root, seed=data["seed"],
                         candidates=data["candidates"], count=needed, selected=selected,
                         actor_id=getattr(actor, "id", None), at=now(), entry_seq=seq)
    db.session.add(row)
    db.session.flush()
    made = []
    for sid in selected:
        sup = by_id[sid]
        policy.join(sup.user, trade, "supervisor")  # the policy applies to them from now on
        d = DrawnSupervisor(trade_id=trade.id, supervisor_id=sid, user_id=sup.user_id, draw_id=row.id, drawn_at=now())
        db.session.add(d)
        made.append(d)
    db.session.flush()
    _notify(trade, made)
    return row


def _step_aside(d: DrawnSupervisor, trade: Trade, kind: str, reason: str, actor: User | None) -> DrawnSupervisor:
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
        draw_for_trade(trade, actor, trigger="redraw")
    return d


def _why(reason: str | None) -> str:
    value = (reason or "").strip()
    if not value:
        raise InvalidInput({"reason": [_("a reason is required to step aside")]})
    if len(value) > 2000:
        raise InvalidInput({"reason": [_("at most %(n)d characters", n=2000)]})
    return value


def declare_conflict(actor: User, trade: Trade, reason: str | None) -> DrawnSupervisor:
    """A drawn supervisor declares a conflict of interest and steps aside; a replacement is drawn."""
    require("supervisors.trade.declare", trade, user=actor)
    why = _why(reason)
    d = next((x for x in serving(trade) if x.user_id == actor.id), None)
    if d is None:
        raise NotAllowed(_("Only a supervisor drawn for this trade can declare a conflict on it."))
    return _step_aside(d, trade, "declared", why, actor)


def recuse(actor: User, trade: Trade, drawn_id: int, reason: str | None) -> DrawnSupervisor:
    """A decider sets a drawn supervisor aside (a conflict learnt otherwise); a replacement is drawn."""
    require("supervisors.trade.recuse", trade, user=actor)
    why = _why(reason)
    d = db.session.get(DrawnSupervisor, drawn_id)
    if d is None or d.trade_id != trade.id:
        raise InvalidInput({"drawn_id": [_("no such supervisor drawn for this trade")]})
    return _step_aside(d, trade, "decided", why, actor)


def step_aside_everywhere(sup: SocialSupervisor, actor: User | None, reason: str) -> int:
    """A suspended or revoked supervisor leaves every live trade they serve on (each gets a redraw)."""
    rows = db.session.scalars(sa.select(DrawnSupervisor).where(DrawnSupervisor.supervisor_id == sup.id,
                                                               DrawnSupervisor.recused_at.is_(None))).all()
    n = 0
    for d in rows:
        trade = db.session.get(Trade, d.trade_id)
        if trade.state in LIVE:
            _step_aside(d, trade, "registry", reason, actor)
            n += 1
    return n


# ---- when the draw happens --------------------------------------------------------------------------

def on_trade_moved(trade: Trade, move: str, actor=None, **_kw) -> None:
    """Publishing the notice draws the trade's supervisors, in the publishing transaction, when the
    centre keeps a registry (a centre without one has nobody to draw; e-supervision may card that)."""
    if move == "publish" and registry_in_use(trade.centre_id):
        draw_for_trade(trade, actor, trigger="publish")


def connect_listeners() -> None:
    from trading.signals import trade_moved

    trade_moved.connect(on_trade_moved)
