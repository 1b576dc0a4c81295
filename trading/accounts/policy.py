"""Separation of duties, in one place (ARCHITECTURE.md "The three branches").

1. A user holds roles in only one branch per centre.
2. On one trade, deciders, executors and supervisors are disjoint sets of people.
3. A person tied to a bidder (same organisation, declared relation) is refused as expert,
   supervisor or keyholder on that trade; a person of the tenderer's organisation is refused
   any branch duty or expert seat on its own trade.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import gettext as _, lazy_gettext as _l

from trading.accounts.models import DeclaredRelation, RoleGrant, User
from trading.accounts.roles import Branch, Role
from trading.errors import PolicyViolation
from trading.extensions import begin_write, db

if TYPE_CHECKING:
    from trading.trades.models import Trade

DUTY_BRANCH: dict[str, Branch] = {
    "decider": Branch.DECIDE,
    "executor": Branch.EXECUTE,
    "supervisor": Branch.SUPERVISE,
    "executing_keyholder": Branch.EXECUTE,
    "supervising_keyholder": Branch.SUPERVISE,
    "expert": Branch.OUTSIDE,
}
DUTY_ROLES: dict[str, frozenset[Role]] = {
    "decider": frozenset({Role.DECISION_MAKER}),
    "executor": frozenset({Role.CENTRE_STAFF}),
    "supervisor": frozenset({Role.ADMIN_SUPERVISOR, Role.SOCIAL_SUPERVISOR}),
    "executing_keyholder": frozenset({Role.CENTRE_STAFF}),
    "supervising_keyholder": frozenset({Role.ADMIN_SUPERVISOR, Role.SOCIAL_SUPERVISOR}),
    "expert": frozenset({Role.EXPERT}),
}
DUTY_LABELS = {
    "decider": _l("decider"),
    "executor": _l("executor"),
    "supervisor": _l("supervisor"),
    "executing_keyholder": _l("executing keyholder"),
    "supervising_keyholder": _l("supervising keyholder"),
    "expert": _l("evaluation expert"),
}
#: duties that a tie to a bidder rules out
CONFLICT_DUTIES = frozenset({"expert", "supervisor", "executing_keyholder", "supervising_keyholder"})

#: callables trade -> ids of organisations bidding (or preparing to bid) on it: trading's document
#: downloaders (trading.notices), and from bidding the companies that bid or paid a deposit
bidder_sources: list[Callable[[Trade], Iterable[int]]] = []


def add_bidder_source(source: Callable[[Trade], Iterable[int]]) -> None:
    """Register a source of bidding organisations (idempotent: the app factory may run again)."""
    if source not in bidder_sources:
        bidder_sources.append(source)


def bidder_organisations(trade: Trade) -> set[int]:
    out: set[int] = set()
    for source in bidder_sources:
        out.update(source(trade))
    return out


def check_grant(user: User, role: Role, centre_id: int | None) -> None:
    """Rule 1: refuse a grant that would give the user two branches at one centre."""
    if role.centre_bound and centre_id is None:
        raise PolicyViolation(_("a %(role)s role must be held at a centre", role=role.label), field="centre")
    if not role.centre_bound and centre_id is not None:
        raise PolicyViolation(_("a %(role)s role is platform-wide, not per centre", role=role.label),
                              field="centre")
    if not role.centre_bound:
        return
    held = {g.role.branch for g in user.grants if g.centre_id == centre_id and g.role.centre_bound}
    others = held - {role.branch}
    if others:
        other = next(iter(others))
        raise PolicyViolation(
            _("%(user)s already holds a %(other)s role at this centre; one person may act in only one branch "
              "per centre", user=user.display_name, other=other.label),
            field="role",
        )


def grant(user: User, role: Role, centre_id: int | None = None) -> RoleGrant:
    check_grant(user, role, centre_id)
    existing = next((g for g in user.grants if g.role is role and g.centre_id == centre_id), None)
    if existing:
        return existing
    g = RoleGrant(role=role, centre_id=centre_id)
    user.grants.append(g)
    return g


def tied_organisations(user: User) -> set[int]:
    """Organisations the person belongs to or has declared a relation with."""
    ids = set(db.session.scalars(sa.select(DeclaredRelation.organisation_id).where(DeclaredRelation.user_id == user.id)))
    if user.organisation_id:
        ids.add(user.organisation_id)
    return ids


def check_participation(user: User, trade: Trade, duty: str) -> None:
    """Rules 2 and 3 for `user` taking `duty` on `trade`; raises PolicyViolation naming the rule."""
    from trading.trades.models import TradeParticipant

    branch = DUTY_BRANCH[duty]
    roles = DUTY_ROLES[duty]
    centre_id = trade.centre_id
    if not any(g.role in roles and g.centre_id in (centre_id, None) for g in user.grants):
        raise PolicyViolation(_("%(user)s holds no role for this duty at this centre", user=user.display_name),
                              code="role_required")
    current = db.session.scalars(
        sa.select(TradeParticipant.branch).where(TradeParticipant.trade_id == trade.id,
                                                 TradeParticipant.user_id == user.id)
    ).all()
    clash = {b for b in current if b is not branch}
    if clash:
        raise PolicyViolation(
            _("%(user)s already acts on this trade for the %(other)s; deciders, executors and supervisors of a "
              "trade must be different people", user=user.display_name, other=next(iter(clash)).label)
        )
    ties = tied_organisations(user)
    if trade.tenderer_id in ties:
        raise PolicyViolation(_("%(user)s belongs to or is related to the tenderer of this trade",
                                user=user.display_name), code="conflict_of_interest")
    if duty in CONFLICT_DUTIES and ties & bidder_organisations(trade):
        # The refusal must not tell the person *which* of their ties bid or downloaded (that list
        # is confidential); the reason is kept for the decision branch in the error's detail.
        error = PolicyViolation(_("%(user)s may not serve as %(duty)s on this trade because of a declared or "
                                  "organisational tie; please contact the decision branch",
                                  user=user.display_name, duty=str(DUTY_LABELS[duty])), code="recusal_required")
        error.detail = "tied to a bidding organisation"
        raise error


def join(user: User, trade: Trade, duty: str):
    """Record `user` acting on `trade` for `duty`, after the policy allows it (idempotent)."""
    from trading.trades.models import TradeParticipant

    check_participation(user, trade, duty)
    trade_id, user_id = trade.id, user.id
    find = lambda: db.session.scalar(  # noqa: E731
        sa.select(TradeParticipant).where(TradeParticipant.trade_id == trade_id,
                                          TradeParticipant.user_id == user_id, TradeParticipant.duty == duty))
    existing = find()
    if existing:
        return existing
    begin_write()  # the savepoint below nests in the request's transaction (and waits for a concurrent join)
    try:
        with db.session.begin_nested():
            p = TradeParticipant(trade_id=trade_id, user_id=user_id, duty=duty, branch=DUTY_BRANCH[duty])
            db.session.add(p)
            db.session.flush()
    except sa.exc.IntegrityError:  # the same person joined by a concurrent request (a double click)
        existing = find()
        if existing is None:
            raise
        return existing
    return p
