"""Who starts a negotiation, who negotiates (the panel), who reads which thread, who quotes, who opens the
final quotes. Only the two methods that negotiate have any of it (NEGOTIATING_METHODS)."""
from __future__ import annotations

from bidding.ceremony.permissions import is_supervisor_at, keyholder_of
from bidding.evaluation.permissions import opened_bidder, seat_of, sitting_member, watches
from trading.permissions import permission
from trading.trades.permissions import is_staff_at, is_tenderer_member

#: the procurement methods with rounds with each supplier, then final quotes (GPL 38; C214)
NEGOTIATING_METHODS = ("gp_competitive_negotiation", "gp_competitive_consultation")


def negotiates(trade) -> bool:
    return trade.method in NEGOTIATING_METHODS


def panel_member(user, trade) -> bool:
    """A member of the panel (谈判小组 / 磋商小组): the trade's committee while it sits."""
    return sitting_member(user, trade)


@permission("negotiation.view")
def _view(user, trade) -> bool:
    """The whole negotiation (every thread, every change, the quotes' state): the panel, the executing staff
    and the supervisors of the centre. The purchaser reads the changes only (negotiation.changes)."""
    return negotiates(trade) and (panel_member(user, trade) or seat_of(user, trade) is not None
                                  or watches(user, trade))


@permission("negotiation.changes")
def _changes(user, trade) -> bool:
    """The requirement changes and the call for final quotes, as sent: whoever reads the negotiation, the
    purchaser (their requirements change), and the suppliers who responded."""
    return negotiates(trade) and (_view(user, trade) or is_tenderer_member(user, trade)
                                  or opened_bidder(user, trade))


@permission("negotiation.start")
def _start(user, trade) -> bool:
    """The clerk (executing staff) opens the rounds once the panel sits: the panel's composition is checked."""
    return negotiates(trade) and is_staff_at(user, trade.centre_id)


@permission("negotiation.conduct")
def _conduct(user, trade) -> bool:
    """Writing to a supplier, changing the requirements, a new round, setting a supplier aside, calling for
    final quotes: the panel, while it sits."""
    return negotiates(trade) and panel_member(user, trade)


@permission("negotiation.supplier")
def _supplier(user, trade) -> bool:
    """A supplier whose response was opened: its own thread, the changes, its final quote."""
    return negotiates(trade) and opened_bidder(user, trade)


@permission("negotiation.release")
def _release(user, trade) -> bool:
    """The trade's keyholders hold the shares of the key the final quotes are sealed to."""
    return negotiates(trade) and keyholder_of(user, trade) is not None


@permission("negotiation.open")
def _open(user, trade) -> bool:
    """The clerk or a supervisor opens the final quotes once the deadline passed and the shares are in."""
    return negotiates(trade) and (is_staff_at(user, trade.centre_id) or is_supervisor_at(user, trade))
