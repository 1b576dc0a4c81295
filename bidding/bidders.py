"""Who bid, and who may know it: a company's name or its per-trade pseudonym, by one rule.

Before the opening, which companies bid or paid a bid security is known to the tenderer and the
centre's executing staff only (O20 Art 20-21, Law 22: the permission `trade.bidders`); a company
always knows its own part. The opening reads the bidders' names aloud (Law Art 36), so once its record
exists the companies it names are public; a company that only paid a deposit, or bid and withdrew,
stays a pseudonym to everyone else. Everyone else sees "Bidder A", "Bidder B"... stable within a
trade (letters in the order companies first took part: a deposit recorded or a bid received), or
counts. Pages, API answers, card texts, notifications and e-mail all ask here.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from bidding.ceremony.models import OpeningCeremony, OpeningEntry
from bidding.deposits.models import BidDeposit
from bidding.submission.models import Bid
from trading.extensions import db
from trading.permissions import can
from trading.trades.models import Trade


def insider(viewer, trade: Trade) -> bool:
    """May know every company that bid or paid, before and after the opening."""
    return viewer is not None and can(viewer, "trade.bidders", trade)


def named_at_opening(trade: Trade) -> set[int]:
    """Companies the opening record names (empty until the record exists)."""
    return set(db.session.scalars(sa.select(OpeningEntry.organisation_id).join(OpeningCeremony).where(
        OpeningCeremony.trade_id == trade.id, OpeningCeremony.record_sha256.is_not(None))))


def may_name(viewer, trade: Trade, organisation_id: int | None, public: set[int] | None = None) -> bool:
    """Whether `viewer` may learn that this company took part in `trade` (`public`: named_at_opening,
    when the caller asks about many companies)."""
    if organisation_id is None:
        return True
    if insider(viewer, trade):
        return True
    if getattr(viewer, "is_authenticated", False) and viewer.organisation_id == organisation_id:
        return True
    return organisation_id in (named_at_opening(trade) if public is None else public)


def _letters(n: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: spreadsheet column names."""
    out = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        out = chr(ord("A") + rest) + out
    return out


def aliases(trade: Trade) -> dict[int, str]:
    """Each company that took part in the trade -> its letter, in the order it first took part."""
    first: dict[int, tuple] = {}
    rows = list(db.session.execute(sa.select(BidDeposit.organisation_id, BidDeposit.recorded_at, BidDeposit.id)
                                   .where(BidDeposit.trade_id == trade.id)))
    rows += list(db.session.execute(sa.select(Bid.organisation_id, Bid.received_at, Bid.id)
                                    .where(Bid.trade_id == trade.id)))
    for org_id, at, row_id in rows:
        key = (at, row_id)
        if org_id not in first or key < first[org_id]:
            first[org_id] = key
    ordered = sorted(first, key=lambda org: (first[org], org))
    return {org: _letters(i) for i, org in enumerate(ordered)}


def pseudonym(letter: str) -> str:
    return _("Bidder %(letter)s", letter=letter)


class Naming:
    """How one viewer sees the companies of one trade: reads the rule's facts once for many names."""

    def __init__(self, viewer, trade: Trade) -> None:
        self.viewer, self.trade = viewer, trade
        self.insider = insider(viewer, trade)
        self._public: set[int] | None = None
        self._aliases: dict[int, str] | None = None

    def may_name(self, organisation_id: int | None) -> bool:
        if self.insider:
            return True
        if self._public is None:
            self._public = named_at_opening(self.trade)
        return may_name(self.viewer, self.trade, organisation_id, self._public)

    def label(self, organisation) -> str:
        """The company's name, or its pseudonym ("Bidder C")."""
        if organisation is None:
            return "—"
        if self.may_name(organisation.id):
            return organisation.name
        if self._aliases is None:
            self._aliases = aliases(self.trade)
        letter = self._aliases.get(organisation.id)
        return pseudonym(letter) if letter else _("a bidder")


def label(viewer, trade: Trade, organisation) -> str:
    """One company's name or pseudonym for one viewer."""
    return Naming(viewer, trade).label(organisation)
