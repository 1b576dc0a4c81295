"""Who may see and change a trade, its documents and its downloader list."""
from __future__ import annotations

from trading.accounts.roles import Branch, Role
from trading.permissions import permission
from trading.clock import now
from trading.trades.flows import TradeState


def _authed(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def is_tenderer_member(user, trade) -> bool:
    return _authed(user) and user.organisation_id == trade.tenderer_id and user.has_role(Role.TENDERER)


def is_staff_at(user, centre_id: int) -> bool:
    return _authed(user) and centre_id in user.centres_for(Role.CENTRE_STAFF)


def has_branch_at(user, centre_id: int) -> bool:
    return _authed(user) and any(g.centre_id == centre_id and g.role.branch is not Branch.OUTSIDE for g in user.grants)


@permission("workspace.enter")
def _workspace(user, _obj) -> bool:
    return _authed(user) and any(g.role is not Role.PUBLIC for g in user.grants)


@permission("trade.create")
def _create(user, centre) -> bool:
    if not _authed(user):
        return False
    if centre is None:
        return user.has_role(Role.TENDERER) or bool(user.centres_for(Role.CENTRE_STAFF))
    return user.has_role(Role.TENDERER) or is_staff_at(user, centre.id)


@permission("trade.view")
def _view(user, trade) -> bool:
    return trade.is_public or is_tenderer_member(user, trade) or has_branch_at(user, trade.centre_id)


@permission("trade.work")
def _work(user, trade) -> bool:
    """The inside view of a trade: its tenderer and the branches of its centre."""
    return is_tenderer_member(user, trade) or has_branch_at(user, trade.centre_id)


@permission("trade.edit")
def _edit(user, trade) -> bool:
    return trade.state is TradeState.DRAFT and (is_tenderer_member(user, trade) or is_staff_at(user, trade.centre_id))


@permission("trade.documents.manage")
def _documents(user, trade) -> bool:
    # Documents are part of what the decision branch approves: they change only in a draft (a trade
    # sent back for changes returns to draft); after the notice, only clarifications change them.
    if trade.state is not TradeState.DRAFT:
        return False
    return is_staff_at(user, trade.centre_id) or is_tenderer_member(user, trade)


@permission("trade.downloaders")
def _downloaders(user, trade) -> bool:
    """O20 Art 20-21, Law 22: only the tenderer and the executing staff may know who downloaded."""
    return is_tenderer_member(user, trade) or is_staff_at(user, trade.centre_id)


@permission("trade.clarify")
def _clarify(user, trade) -> bool:
    if trade.state not in (TradeState.ANNOUNCED, TradeState.BIDDING, TradeState.LISTING):
        return False
    if trade.bid_deadline is not None and now() >= trade.bid_deadline:
        return False  # the tick may lag; a clarification must never revive an expired deadline
    return is_staff_at(user, trade.centre_id)


@permission("trade.move")
def _move(user, trade) -> bool:
    """Coarse gate for the move endpoints; the flow then checks the role of the particular move."""
    return is_tenderer_member(user, trade) or has_branch_at(user, trade.centre_id)


@permission("calendar.edit")
def _calendar(user, _obj) -> bool:
    return _authed(user) and user.has_role(Role.DECISION_MAKER)
