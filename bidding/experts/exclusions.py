"""Why an expert of the pool may not sit on a trade's committee (None: they may), in one place, read when
a round is fixed (the candidates), when it is drawn, when a replacement is taken and when they confirm.

Sources: Reg 46 and 七部委12号令 Art 12 (RULES.md "expert recusal"); the interval between draws for one
tenderer is local practice, a limit of the rule set (`expert_repeat_window`)."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from bidding.experts.composition import limit_value
from bidding.experts.models import Expert, ExpertSeat, SeatStatus
from trading.accounts import policy
from trading.accounts.models import Organisation, OrgKind
from trading.accounts.roles import Branch, Role
from trading.clock import now
from trading.errors import PolicyViolation
from trading.extensions import db
from trading.rules.days import local_date
from trading.trades.models import Trade

#: the reasons, as logged (counted per reason in the fixing entry; never who)
INACTIVE, ABSENT, SANCTIONED = "inactive", "unavailable", "sanctioned"
TENDERER, BIDDER, SUPERVISING, RECENT, DUTIES, SEATED = ("tied to the tenderer", "tied to a bidder",
                                                         "staff of the supervising department",
                                                         "drawn for this tenderer recently",
                                                         "separation of duties", "drawn already for this trade")


def sitting_days(trade: Trade) -> tuple[date, date]:
    """From today to the day of the opening (when evaluation starts), whichever is later."""
    today = local_date(now())
    end = local_date(trade.opening_at) if trade.opening_at is not None else today
    return today, max(today, end)


def ties(expert: Expert) -> set[int]:
    """The organisations the expert works for or has declared a relation with."""
    out = policy.tied_organisations(expert.user)
    if expert.organisation_id:
        out.add(expert.organisation_id)
    return out


def recently_drawn(trade: Trade) -> set[int]:
    """Experts drawn (sitting or confirmed) for another trade of the same tenderer inside the window."""
    days = int(limit_value(trade, "expert_repeat_window", 0) or 0)
    if days <= 0:
        return set()
    since = now() - timedelta(days=days)
    return set(db.session.scalars(
        sa.select(ExpertSeat.expert_id).join(Trade, Trade.id == ExpertSeat.trade_id).where(
            Trade.tenderer_id == trade.tenderer_id, Trade.id != trade.id, ExpertSeat.drawn_at >= since,
            ExpertSeat.status.in_([SeatStatus.NOTIFIED, SeatStatus.CONFIRMED]))))


def seated(trade: Trade) -> set[int]:
    return set(db.session.scalars(sa.select(ExpertSeat.expert_id).where(ExpertSeat.trade_id == trade.id)))


class Context:
    """What the reasons read once per trade (bidders, recent draws, seats), so a pool is judged in one pass."""

    def __init__(self, trade: Trade) -> None:
        self.trade = trade
        self.first, self.last = sitting_days(trade)
        self.bidders = policy.bidder_organisations(trade)
        self.recent = recently_drawn(trade)
        self.seated = seated(trade)
        self.supervisory = set(db.session.scalars(sa.select(Organisation.id).where(
            Organisation.kind == OrgKind.SUPERVISORY_BODY)))

    def why_not(self, expert: Expert, *, seated_ok: bool = False) -> str | None:
        trade, user = self.trade, expert.user
        if not expert.active or user is None or not user.active:
            return INACTIVE
        if not any(g.role is Role.EXPERT for g in user.grants):
            return INACTIVE
        if any(s.kind.excludes and s.starts_on <= self.last and (s.ends_on is None or s.ends_on >= self.first)
               for s in expert.sanctions):
            return SANCTIONED
        if any(a.starts_on <= self.last and a.ends_on >= self.first for a in expert.absences):
            return ABSENT
        tied = ties(expert)
        if trade.tenderer_id in tied:
            return TENDERER
        if tied & self.bidders:
            return BIDDER
        if tied & self.supervisory or any(g.role.branch is Branch.SUPERVISE and g.centre_id == trade.centre_id
                                          for g in user.grants):
            return SUPERVISING
        if expert.id in self.recent:
            return RECENT
        if not seated_ok and expert.id in self.seated:
            return SEATED
        try:
            policy.check_participation(user, trade, "expert")
        except PolicyViolation:
            return DUTIES
        return None


def why_not(expert: Expert, trade: Trade, *, seated_ok: bool = False) -> str | None:
    return Context(trade).why_not(expert, seated_ok=seated_ok)


def pool(trade: Trade, specialty: str, region: str | None = None) -> tuple[list[int], dict[str, int]]:
    """The candidates for `specialty` (the code or a code under it), ascending ids, and how many of the
    others with the specialty were left out, per reason."""
    ctx = Context(trade)
    stmt = sa.select(Expert).order_by(Expert.id)
    if region:
        stmt = stmt.where(Expert.region == region)
    ok: list[int] = []
    left_out: dict[str, int] = {}
    for expert in db.session.scalars(stmt):
        if not any(code == specialty or code.startswith(specialty) for code in expert.specialties or []):
            continue
        why = ctx.why_not(expert)
        if why is None:
            ok.append(expert.id)
        else:
            left_out[why] = left_out.get(why, 0) + 1
    return ok, left_out
