"""Who may manage the social supervisor registry, see a trade's supervision, draw, recuse and sign off.

The decision branch of a centre appoints (registers, renews, suspends, revokes) its social
supervisors and decides recusals and draws; supervisors of the trade's centre follow its
supervision; only the supervisors drawn for a trade (and not stepped aside) sign its stages.
"""
from __future__ import annotations

import sqlalchemy as sa

from trading.accounts.roles import Role
from trading.extensions import db
from trading.permissions import permission


def _authed(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def decides_at(user, centre_id: int | None) -> bool:
    return _authed(user) and centre_id is not None and centre_id in user.centres_for(Role.DECISION_MAKER)


def supervises_at(user, centre_id: int) -> bool:
    return _authed(user) and centre_id in (user.centres_for(Role.ADMIN_SUPERVISOR)
                                           | user.centres_for(Role.SOCIAL_SUPERVISOR))


def serving_row(user, trade):
    """The user's drawn, not recused, place on the trade (or None)."""
    from monitor.supervisors.models import DrawnSupervisor

    if not _authed(user):
        return None
    return db.session.scalar(sa.select(DrawnSupervisor).where(
        DrawnSupervisor.trade_id == trade.id, DrawnSupervisor.user_id == user.id,
        DrawnSupervisor.recused_at.is_(None)))


def _centre_id(obj) -> int | None:
    """A centre, a registry entry, or a centre id."""
    if obj is None:
        return None
    if isinstance(obj, int):
        return obj
    return getattr(obj, "centre_id", None) or getattr(obj, "id", None)


@permission("supervisors.registry.view")
def _registry_view(user, centre) -> bool:
    """The registry of a centre (or, with no centre, the list page): its deciders."""
    if centre is None:
        return _authed(user) and bool(user.centres_for(Role.DECISION_MAKER))
    return decides_at(user, _centre_id(centre))


@permission("supervisors.registry.manage")
def _registry_manage(user, obj) -> bool:
    """Registering, renewing, suspending, reinstating and revoking: the centre's deciders."""
    return decides_at(user, _centre_id(obj))


@permission("supervisors.entry.view")
def _entry_view(user, sup) -> bool:
    """One registry entry and its certificate: the supervisor themself and the centre's deciders."""
    return _authed(user) and (sup.user_id == user.id or decides_at(user, sup.centre_id))


@permission("supervisors.mine")
def _mine(user, _obj) -> bool:
    return _authed(user) and user.has_role(Role.SOCIAL_SUPERVISOR)


@permission("supervisors.trade.view")
def _trade_view(user, trade) -> bool:
    """A trade's supervision page and record: supervisors and deciders of its centre."""
    return supervises_at(user, trade.centre_id) or decides_at(user, trade.centre_id)


@permission("supervisors.trade.draw")
def _trade_draw(user, trade) -> bool:
    return decides_at(user, trade.centre_id)


@permission("supervisors.trade.contribute")
def _trade_contribute(user, trade) -> bool:
    """Committing to and revealing a contribution to a draw's seed: the supervisors of the trade's centre
    (administrative and social), never the deciders who fix draws and decide recusals."""
    return supervises_at(user, trade.centre_id)


@permission("supervisors.trade.recuse")
def _trade_recuse(user, trade) -> bool:
    """A decider of the centre sets a drawn supervisor aside."""
    return decides_at(user, trade.centre_id)


@permission("supervisors.trade.declare")
def _trade_declare(user, trade) -> bool:
    """A drawn supervisor declares their own conflict."""
    return supervises_at(user, trade.centre_id) and serving_row(user, trade) is not None


@permission("supervisors.trade.sign")
def _trade_sign(user, trade) -> bool:
    """Only the supervisors drawn for the trade, not stepped aside, sign its stages."""
    return supervises_at(user, trade.centre_id) and serving_row(user, trade) is not None
