"""Roles and the three branches they belong to (决策、执行、监督三分离)."""
from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l


class Branch(str, enum.Enum):
    DECIDE = "decide"
    EXECUTE = "execute"
    SUPERVISE = "supervise"
    OUTSIDE = "outside"  # tenderers, bidders, experts, the public

    @property
    def label(self) -> str:
        return str(BRANCH_LABELS[self])


class Role(str, enum.Enum):
    DECISION_MAKER = "decision_maker"
    CENTRE_STAFF = "centre_staff"
    ADMIN_SUPERVISOR = "admin_supervisor"
    SOCIAL_SUPERVISOR = "social_supervisor"
    TENDERER = "tenderer"
    BIDDER = "bidder"
    EXPERT = "expert"
    PUBLIC = "public"

    @property
    def branch(self) -> Branch:
        return ROLE_BRANCH[self]

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])

    @property
    def centre_bound(self) -> bool:
        """Branch roles are held at a centre; outside roles are platform-wide."""
        return self.branch is not Branch.OUTSIDE


ROLE_BRANCH = {
    Role.DECISION_MAKER: Branch.DECIDE,
    Role.CENTRE_STAFF: Branch.EXECUTE,
    Role.ADMIN_SUPERVISOR: Branch.SUPERVISE,
    Role.SOCIAL_SUPERVISOR: Branch.SUPERVISE,
    Role.TENDERER: Branch.OUTSIDE,
    Role.BIDDER: Branch.OUTSIDE,
    Role.EXPERT: Branch.OUTSIDE,
    Role.PUBLIC: Branch.OUTSIDE,
}

BRANCH_LABELS = {
    Branch.DECIDE: _l("Decision branch"),
    Branch.EXECUTE: _l("Execution branch"),
    Branch.SUPERVISE: _l("Supervision branch"),
    Branch.OUTSIDE: _l("Outside the branches"),
}

ROLE_LABELS = {
    Role.DECISION_MAKER: _l("Decision maker"),
    Role.CENTRE_STAFF: _l("Centre staff"),
    Role.ADMIN_SUPERVISOR: _l("Administrative supervisor"),
    Role.SOCIAL_SUPERVISOR: _l("Social supervisor"),
    Role.TENDERER: _l("Tenderer / purchaser / transferor"),
    Role.BIDDER: _l("Bidder"),
    Role.EXPERT: _l("Evaluation expert"),
    Role.PUBLIC: _l("Member of the public"),
}
