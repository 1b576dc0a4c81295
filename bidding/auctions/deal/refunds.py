"""The deposits after the deal: the winner's applied to the price (retained with a note, at the conclusion),
every other refunded within the rule set's period (land: 5 working days of the deal or no deal, O39 Art. 21;
the norm `land.deposit_refund` cards a late one), recorded by the staff through bidding.deposits."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import force_locale, gettext as _

from bidding.auctions.deal.conclusion import deal_changed, deal_of
from bidding.auctions.models import Registration
from bidding.deposits.models import BidDeposit
from bidding.deposits.services import deposit_of, deposits_of, settle_deposit
from trading.accounts.models import User
from trading.clock import now
from trading.errors import IllegalMove
from trading.extensions import db
from trading.permissions import require
from trading.rules.days import load_calendar
from trading.rules.norms import DepositRefund
from trading.trades.models import Trade

import sqlalchemy as sa


@dataclass(frozen=True)
class DepositLine:
    """One deposit on the staff's page: whose, how much, the winner's or not, and when it is due back."""

    deposit: BidDeposit
    paddle: int | None
    winner: bool
    due: datetime | None  # the first instant past the refund period (None: no period, or the winner's)

    @property
    def state(self) -> str:
        """"applied" (the winner's, retained), "retained", "refunded", "late" (refunded after the period),
        "overdue" (still held past it), "due" (still held, within it)."""
        d = self.deposit
        if d.retained_at is not None:
            return "applied" if self.winner else "retained"
        if d.refunded_at is not None:
            return "late" if self.due is not None and d.refunded_at >= self.due else "refunded"
        return "overdue" if self.due is not None and now() >= self.due else "due"


def refund_norm(trade: Trade) -> DepositRefund | None:
    return next((n for n in trade.rule_set.norms if isinstance(n, DepositRefund)), None)


def refund_due(trade: Trade, deposit: BidDeposit) -> datetime | None:
    """When the period for refunding `deposit` runs out, counted as e-supervision counts it (the start day
    not counted, working days skip weekends and holidays: trading.rules.norms.Span)."""
    norm, deal = refund_norm(trade), deal_of(trade)
    if norm is None or deal is None:
        return None
    start = max(deal.decided_at, deposit.paid_at)
    return norm.within.end(start, load_calendar(), norm.within.scale(trade.accelerator if trade.sandbox else 1))


def deposit_lines(trade: Trade) -> list[DepositLine]:
    deal = deal_of(trade)
    paddles = dict(db.session.execute(sa.select(Registration.deposit_id, Registration.paddle).where(
        Registration.trade_id == trade.id, Registration.deposit_id.is_not(None))).all())
    winner_deposit = deal.registration.deposit_id if deal is not None and deal.registration is not None else None
    out = []
    for d in deposits_of(trade):
        winner = d.id == winner_deposit
        out.append(DepositLine(d, paddles.get(d.id), winner, None if winner else refund_due(trade, d)))
    return out


def _refund(actor: User, trade: Trade, deposit: BidDeposit, note: str | None) -> BidDeposit:
    deal = deal_of(trade)
    if deal is None:
        raise IllegalMove(_("Deposits are refunded once the sale has ended (deal or no deal)."), code="no_deal_yet")
    if deal.registration is not None and deal.registration.deposit_id == deposit.id:
        raise IllegalMove(_("The winner's deposit is applied to the price, not refunded."), code="winner_deposit")
    if not (note or "").strip():
        with force_locale("zh_CN"):
            note = _("Refunded after the sale ended, MLR Order 39 Art. 21.")
    return settle_deposit(actor, deposit, "refund", note)


def refund(actor: User, trade: Trade, deposit_id: int, note: str | None = None) -> BidDeposit:
    """Record that one deposit went back to its payer."""
    require("deal.deposits", trade, user=actor)
    deposit = deposit_of(trade, deposit_id)
    if deposit is None:
        raise IllegalMove(_("There is no such deposit on this trade."), code="no_deposit")
    done = _refund(actor, trade, deposit, note)
    deal_changed.send(trade, what="refunded", actor=actor)
    return done


def refund_others(actor: User, trade: Trade) -> list[BidDeposit]:
    """Record the refund of every deposit still held but the winner's."""
    require("deal.deposits", trade, user=actor)
    deal = deal_of(trade)
    winner = deal.registration.deposit_id if deal is not None and deal.registration is not None else None
    done = [_refund(actor, trade, d, None) for d in deposits_of(trade) if d.settled_at is None and d.id != winner]
    if done:
        deal_changed.send(trade, what="refunded", actor=actor)
    return done
