"""Who may end a sale, read and sign its confirmation, and settle its deposits.

- the centre's executing staff conclude (`deal.conclude`) and record the refunds (`deal.deposits`);
- the deal page (`deal.view`) and the confirmation PDF (`deal.confirmation`): the parties (the winning
  company's bidders, the seller's members), the centre's staff and its supervisors (administrative and
  social); the public reads the result notice on the portal;
- the parties' representatives sign (`deal.sign`)."""
from __future__ import annotations

from trading.accounts.roles import Branch, Role
from trading.permissions import permission
from trading.trades.permissions import is_staff_at, is_tenderer_member


def _authed(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def _winner_member(user, trade) -> bool:
    from bidding.auctions.deal.conclusion import deal_of

    deal = deal_of(trade)
    return (_authed(user) and deal is not None and deal.organisation_id is not None
            and user.organisation_id == deal.organisation_id and user.has_role(Role.BIDDER))


def deal_party(user) -> bool:
    """A signer of a transaction confirmation (trading.signing.permissions.SIGNERS): a bidder of a company that
    won a sale, or a member of a seller whose sale concluded; they keep a personal signing key to sign it."""
    import sqlalchemy as sa

    from bidding.auctions.deal.models import Deal, Outcome
    from trading.extensions import db
    from trading.trades.models import Trade

    if not _authed(user) or user.organisation_id is None:
        return False
    if user.has_role(Role.BIDDER) and db.session.scalar(sa.select(Deal.trade_id).where(
            Deal.organisation_id == user.organisation_id).limit(1)) is not None:
        return True
    return user.has_role(Role.TENDERER) and db.session.scalar(sa.select(Deal.trade_id).join(Trade).where(
        Trade.tenderer_id == user.organisation_id, Deal.outcome == Outcome.CONCLUDED).limit(1)) is not None


def _supervises(user, trade) -> bool:
    return _authed(user) and any(g.centre_id == trade.centre_id and g.role.branch is Branch.SUPERVISE
                                 for g in user.grants)


@permission("deal.conclude")
def _conclude(user, trade) -> bool:
    """Conclude the sale or record no deal (as the offers and the reserve decide): the executing staff."""
    return is_staff_at(user, trade.centre_id)


@permission("deal.deposits")
def _deposits(user, trade) -> bool:
    """Record the deposits' refunds after the deal: the executing staff."""
    return is_staff_at(user, trade.centre_id)


@permission("deal.view")
def _view(user, trade) -> bool:
    """The deal page and its API: the parties, the centre's staff and supervisors."""
    return (is_staff_at(user, trade.centre_id) or _supervises(user, trade) or is_tenderer_member(user, trade)
            or _winner_member(user, trade))


@permission("deal.confirmation")
def _confirmation(user, trade) -> bool:
    """Download the transaction confirmation: as the deal page."""
    return _view(user, trade)


@permission("deal.sign")
def _sign(user, trade) -> bool:
    """Sign the confirmation: a bidder of the winning company, or a member of the seller."""
    return is_tenderer_member(user, trade) or _winner_member(user, trade)
