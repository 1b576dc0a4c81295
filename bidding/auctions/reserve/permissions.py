"""Who may seal the reserve, release a share for its opening, open it, and see where it stands."""
from __future__ import annotations

from bidding.ceremony.permissions import is_supervisor_at, keyholder_of
from trading.accounts.roles import Role
from trading.permissions import permission
from trading.trades.permissions import is_staff_at


def is_decider_at(user, trade) -> bool:
    return user.is_authenticated and trade.centre_id in user.centres_for(Role.DECISION_MAKER)


@permission("reserve.seal")
def _seal(user, trade) -> bool:
    """The decision branch sets the reserve collectively and seals it (O39 Art 10)."""
    return is_decider_at(user, trade)


@permission("reserve.release")
def _release(user, trade) -> bool:
    """Only the trade's appointed keyholders hold shares of the key the reserve is sealed to."""
    return keyholder_of(user, trade) is not None


@permission("reserve.open")
def _open(user, trade) -> bool:
    """The opening runs under the supervisors: a supervisor of the centre or a supervising keyholder opens it
    once the shares are in (the shares themselves need both halves, executing and supervising)."""
    return is_supervisor_at(user, trade)


@permission("reserve.sign")
def _sign(user, trade) -> bool:
    """The supervisors sign the reserve's opening record with their own keys; the service then insists on a
    drawn, serving supervisor or the supervising keyholder, not tied to a bidder (as for a tender's record)."""
    return is_supervisor_at(user, trade)


@permission("reserve.view")
def _view(user, trade) -> bool:
    """Where the reserve stands (sealed or not, its envelope's hash, the releases; the amount once opened):
    the centre's branches and the trade's keyholders. Bidders learn the outcome from the deal."""
    return (is_staff_at(user, trade.centre_id) or is_decider_at(user, trade) or is_supervisor_at(user, trade)
            or keyholder_of(user, trade) is not None)
