"""Who keeps a personal signing key: supervisors (administrative and social), who sign what they attest."""
from __future__ import annotations

from trading.accounts.roles import Branch
from trading.permissions import permission


@permission("signing.register")
def _register(user, _obj) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and Branch.SUPERVISE in user.branches()
