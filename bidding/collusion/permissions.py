"""Who sees the collusion flags and who records what was done with them (docs/collusion.md).

Nobody before the bids are opened: what a submission saw is as secret as who bid. After the opening:
the trade's supervisors (administrative and social at its centre, its supervising keyholders) and the
evaluation committee while it sits. The committee records what it did with each flag; supervisors and
the sitting committee may run the screens again. Never the bidders, the tenderer or the public."""
from __future__ import annotations

from bidding.ceremony.models import CeremonyOutcome
from bidding.ceremony.permissions import is_supervisor_at
from bidding.ceremony.state import ceremony_of
from bidding.evaluation.permissions import sitting_member
from trading.accounts.roles import Role
from trading.permissions import permission

#: ceremony outcomes after which the bids were decrypted (a failed opening decrypted them too)
DECRYPTED = (CeremonyOutcome.OPENED, CeremonyOutcome.FAILED)


def _authed(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def bids_opened(trade) -> bool:
    ceremony = ceremony_of(trade)
    return ceremony is not None and ceremony.finished_at is not None and ceremony.outcome in DECRYPTED


def supervises(user, trade) -> bool:
    """A supervisor of the trade, never a bidder (a user holding a bidder role is not one)."""
    return _authed(user) and not user.has_role(Role.BIDDER) and is_supervisor_at(user, trade)


@permission("collusion.view")
def _view(user, trade) -> bool:
    """See the trade's collusion flags, with their evidence and the committee's decisions."""
    return _authed(user) and (supervises(user, trade) or sitting_member(user, trade)) and bids_opened(trade)


@permission("collusion.screen")
def _screen(user, trade) -> bool:
    """Run the screens again (during evaluation: a document read later, a deposit account recorded)."""
    return _view(user, trade)


@permission("collusion.decide")
def _decide(user, trade) -> bool:
    """Record what the committee did with a flag: a sitting member, for the committee."""
    return _authed(user) and sitting_member(user, trade) and bids_opened(trade)
