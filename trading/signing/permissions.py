"""Who keeps a personal signing key: supervisors (administrative and social), who sign what they attest, and
evaluation experts, who sign the evaluation report (bidding/scoring)."""
from __future__ import annotations

from trading.accounts.roles import Branch, Role
from trading.permissions import permission


@permission("signing.register")
def _register(user, _obj) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return Branch.SUPERVISE in user.branches() or any(g.role is Role.EXPERT for g in user.grants)
