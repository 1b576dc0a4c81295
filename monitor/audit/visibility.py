"""What each person may see of the audit log: one rule, as a Python test and as a SQL clause.

public    anyone, signed in or not
centre    the three branches at the entry's centre (decide, execute, supervise)
platform  deciders and supervisors at any centre
and always the entries a person made themselves. Confidential identities never reach the log
(bidders and downloaders are per-trade pseudonyms), so no branch sees them through it.
"""
from __future__ import annotations

import sqlalchemy as sa

from monitor.audit.models import AuditEntry
from trading.accounts.roles import Branch

BRANCHES = (Branch.DECIDE, Branch.EXECUTE, Branch.SUPERVISE)


def _authed(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def branch_centres(user) -> set[int]:
    """Centres where the user holds a role of one of the three branches."""
    return {g.centre_id for g in user.grants if g.centre_id is not None and g.role.branch in BRANCHES}


def platform_watcher(user) -> bool:
    return bool({Branch.DECIDE, Branch.SUPERVISE} & user.branches())


def visible_to(user, audience: str, centre_id: int | None, actor_id: int | None) -> bool:
    if audience == "public":
        return True
    if not _authed(user):
        return False
    if actor_id is not None and actor_id == user.id:
        return True
    if audience == "centre" and centre_id is not None:
        return centre_id in branch_centres(user)
    return platform_watcher(user)


def visible_clause(user):
    """The same rule as a WHERE clause over audit_entries."""
    if not _authed(user):
        return AuditEntry.audience == "public"
    ors = [AuditEntry.audience == "public", AuditEntry.actor_id == user.id]
    centres = branch_centres(user)
    if centres:
        ors.append(sa.and_(AuditEntry.audience == "centre", AuditEntry.centre_id.in_(centres)))
    if platform_watcher(user):
        ors.append(AuditEntry.audience == "platform")
        ors.append(sa.and_(AuditEntry.audience == "centre", AuditEntry.centre_id.is_(None)))
    return sa.or_(*ors)
