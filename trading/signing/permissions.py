"""Who keeps a personal signing key: supervisors (administrative and social), who sign what they attest, and
evaluation experts, who sign the evaluation report (bidding/scoring); the layers above add other signers to
SIGNERS (bidding/auctions/deal: the parties to a sale's transaction confirmation)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trading.accounts.roles import Branch, Role
from trading.permissions import permission

#: user -> whether they sign something the platform records (filled by the layers above, once)
SIGNERS: list[Callable[[Any], bool]] = []


def add_signer(rule: Callable[[Any], bool]) -> None:
    """Register another kind of signer (idempotent: the app factory may run more than once per process)."""
    if rule not in SIGNERS:
        SIGNERS.append(rule)


@permission("signing.register")
def _register(user, _obj) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return (Branch.SUPERVISE in user.branches() or any(g.role is Role.EXPERT for g in user.grants)
            or any(rule(user) for rule in SIGNERS))
