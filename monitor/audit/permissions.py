"""Who may read the audit log's entries, countersign checkpoints and take an export."""
from __future__ import annotations

from trading.accounts.roles import Branch
from trading.permissions import permission


def _authed(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def in_supervision(user) -> bool:
    """Any supervisor (administrative or social) at any centre."""
    return _authed(user) and Branch.SUPERVISE in user.branches()


@permission("audit.countersign")
def _countersign(user, _checkpoint) -> bool:
    return in_supervision(user)


@permission("audit.export")
def _export(user, _obj) -> bool:
    """Supervisors verify the whole log on their own machines; identities of bidders are pseudonyms."""
    return in_supervision(user)


@permission("audit.read")
def _read(user, _obj) -> bool:
    """Signed-in users read the entries they may see (filtered per entry by `visible_to`)."""
    return _authed(user)
