"""Who may make and read plans, draw on budget lines, approve a method, and read the savings."""
from __future__ import annotations

from trading.accounts.roles import Role
from trading.permissions import permission
from trading.trades.flows import TradeState
from trading.trades.permissions import has_branch_at, is_staff_at, is_tenderer_member


def _authed(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def is_purchaser_member(user, plan) -> bool:
    return _authed(user) and user.organisation_id == plan.purchaser_id and user.has_role(Role.TENDERER)


@permission("procurement.plan.create")
def _create(user, centre) -> bool:
    if not _authed(user):
        return False
    return user.has_role(Role.TENDERER) or (centre is not None and is_staff_at(user, centre.id))


@permission("procurement.plan.view")
def _view(user, plan) -> bool:
    return is_purchaser_member(user, plan) or has_branch_at(user, plan.centre_id)


@permission("procurement.plan.edit")
def _edit(user, plan) -> bool:
    return is_purchaser_member(user, plan) or is_staff_at(user, plan.centre_id)


@permission("procurement.draw")
def _draw(user, trade) -> bool:
    return trade.state is TradeState.DRAFT and (is_tenderer_member(user, trade) or is_staff_at(user, trade.centre_id))


@permission("procurement.method.approve")
def _approve(user, trade) -> bool:
    """The decision branch of the trade's centre (决策): it approves a method other than open tender."""
    return _authed(user) and trade.centre_id in user.centres_for(Role.DECISION_MAKER)


@permission("procurement.savings")
def _savings(user, _obj) -> bool:
    """Anyone who works on trades reads the savings of the trades they work on."""
    return _authed(user) and (any(g.centre_id is not None for g in user.grants)
                              or bool(user.organisation_id and user.has_role(Role.TENDERER)))


@permission("procurement.plans")
def _plans(user, _obj) -> bool:
    """The plans page: purchasers and the branches of centres (each sees the plans it may read)."""
    return _savings(user, None)


@permission("procurement.plans.nav")
def _plans_nav(user, _obj) -> bool:
    """The top bar's link: those who keep plans day to day (purchasers, centre staff); deciders and
    supervisors reach a plan from the trade's budget page, and their bar stays on one line."""
    return _authed(user) and (user.has_role(Role.TENDERER) or bool(user.centres_for(Role.CENTRE_STAFF)))
