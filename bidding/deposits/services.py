"""Bid-security deposits: recording, refunding or retaining them.

A small record the executing staff keep so that e-supervision can watch the refund periods
(Reg 35, 57; O87 38; O39 21). Each change is signalled (`deposit_changed`); the supervision plane
listens. Amounts are exact (Decimal) and may not exceed the trade's stated bid security.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from blinker import Namespace
from flask_babel import gettext as _

import bidding.deposits.permissions  # noqa: F401  (registers deposits.view and deposits.manage)
from bidding.bidders import Naming
from bidding.deposits.models import MAX_ACCOUNT, MAX_NOTE, BidDeposit
from trading.accounts.models import Organisation, OrgKind
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db
from trading.permissions import require
from trading.trades.models import Trade
from trading.types import to_money

_signals = Namespace()
#: sender=Trade; kwargs: deposit, actor, what ("recorded" | "refunded" | "retained")
deposit_changed = _signals.signal("deposit-changed")


def deposits_of(trade: Trade) -> list[BidDeposit]:
    return list(db.session.scalars(sa.select(BidDeposit).where(BidDeposit.trade_id == trade.id)
                                   .order_by(BidDeposit.id)))


@dataclass(frozen=True)
class DepositView:
    """A deposit as one viewer may see it. Who paid is as confidential as who bid (bidding.bidders):
    the company is named, or a pseudonym with no id; the staff's note, which may name it, goes with
    the name."""

    id: int
    trade_id: int
    organisation_id: int | None
    organisation: str
    amount: Decimal
    paid_at: datetime
    refunded_at: datetime | None
    retained_at: datetime | None
    note: str | None
    payer_account: str | None = None

    @property
    def settled_at(self) -> datetime | None:
        return self.refunded_at or self.retained_at


def shown(viewer, deposits: list[BidDeposit], trade: Trade) -> list[DepositView]:
    naming = Naming(viewer, trade)
    out = []
    for d in deposits:
        named = naming.may_name(d.organisation_id)
        out.append(DepositView(d.id, d.trade_id, d.organisation_id if named else None, naming.label(d.organisation),
                               d.amount, d.paid_at, d.refunded_at, d.retained_at, d.note if named else None,
                               d.payer_account if named else None))
    return out


def deposits_for(viewer, trade: Trade) -> list[DepositView]:
    """The trade's deposits as `viewer` may see them (names or pseudonyms)."""
    return shown(viewer, deposits_of(trade), trade)


def record_deposit(actor, trade: Trade, organisation_id: int, amount, paid_at: datetime | None = None,
                   note: str | None = None, payer_account: str | None = None) -> BidDeposit:
    """Record that a company paid its bid security (at most the trade's stated amount), and from which
    account when the bank statement shows it."""
    require("deposits.manage", trade, user=actor)
    errors: dict[str, list[str]] = {}
    org = db.session.get(Organisation, organisation_id) if organisation_id else None
    if org is None or org.kind is not OrgKind.BIDDER:
        errors["organisation_id"] = [_("choose a bidder company")]
    try:
        amount = to_money(amount)
    except (TypeError, ValueError):
        errors["amount"] = [_("must be an amount such as 1250000.00")]
        amount = None
    if amount is not None and amount <= 0:
        errors["amount"] = [_("must be more than zero")]
    elif amount is not None and trade.bid_security is not None and amount > trade.bid_security:
        errors["amount"] = [_("may not exceed the bid security the trade asks for (%(n)s)", n=trade.bid_security)]
    paid_at = paid_at or now()
    if paid_at > now():
        errors["paid_at"] = [_("may not be in the future")]
    if org is not None and db.session.scalar(sa.select(BidDeposit.id).where(
            BidDeposit.trade_id == trade.id, BidDeposit.organisation_id == org.id)):
        errors["organisation_id"] = [_("this company's deposit is already recorded")]
    account = " ".join((payer_account or "").split())
    if len(account) > MAX_ACCOUNT:
        errors["payer_account"] = [_("at most %(n)d characters", n=MAX_ACCOUNT)]
    if errors:
        raise InvalidInput(errors)
    deposit = BidDeposit(payer_account=account or None, trade_id=trade.id, organisation_id=org.id, amount=amount, paid_at=paid_at,
                         recorded_by_id=actor.id, recorded_at=now(), note=(note or "").strip()[:MAX_NOTE] or None)
    db.session.add(deposit)
    db.session.flush()
    deposit_changed.send(trade, deposit=deposit, actor=actor, what="recorded")
    return deposit


def settle_deposit(actor, deposit: BidDeposit, how: str, note: str | None = None) -> BidDeposit:
    """Refund a deposit, or keep it by a recorded decision (a reason is then required)."""
    trade = deposit.trade
    require("deposits.manage", trade, user=actor)
    if deposit.settled_at is not None:
        raise IllegalMove(_("This deposit is already settled."), code="already_settled")
    note = (note or "").strip()[:MAX_NOTE] or None
    if how == "refund":
        deposit.refunded_at = now()
    elif how == "retain":
        if not note:
            raise InvalidInput({"note": [_("say why the deposit is kept (e.g. it becomes part of the price)")]})
        deposit.retained_at = now()
    else:
        raise InvalidInput({"how": [_("choose refund or retain")]})
    deposit.settled_by_id = actor.id
    if note:
        deposit.note = note
    db.session.flush()
    deposit_changed.send(trade, deposit=deposit, actor=actor, what="refunded" if how == "refund" else "retained")
    return deposit


def deposit_of(trade: Trade, deposit_id: int) -> BidDeposit | None:
    """One of the trade's deposits, or None (also when the id belongs to another trade)."""
    deposit = db.session.get(BidDeposit, deposit_id)
    return deposit if deposit is not None and deposit.trade_id == trade.id else None


def bidder_companies() -> list[Organisation]:
    """The companies a deposit may be recorded for."""
    return list(db.session.scalars(sa.select(Organisation).where(Organisation.kind == OrgKind.BIDDER)
                                   .order_by(Organisation.name)))
