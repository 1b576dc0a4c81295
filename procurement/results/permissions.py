"""Who may set a trade's SME terms, declare an SME, decide the award, record the acceptance, and read them."""
from __future__ import annotations

from procurement.plans.services import is_procurement
from trading.accounts.roles import Role
from trading.permissions import permission
from trading.trades.permissions import has_branch_at, is_staff_at, is_tenderer_member


def _authed(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


@permission("procurement.results.view")
def _view(user, trade) -> bool:
    """The results page of a procurement trade: its purchaser and the branches of its centre."""
    return is_procurement(trade) and (is_tenderer_member(user, trade) or has_branch_at(user, trade.centre_id))


@permission("procurement.results.public")
def _public(user, trade) -> bool:
    """The result announcement and the contract's publication: anyone, once the trade is public."""
    return is_procurement(trade) and trade.is_public


@permission("procurement.results.policy")
def _policy(user, trade) -> bool:
    """The SME terms of the documents: the purchaser, or the centre's staff acting as its agency."""
    return is_procurement(trade) and (is_tenderer_member(user, trade) or is_staff_at(user, trade.centre_id))


@permission("procurement.results.declare")
def _declare(user, trade) -> bool:
    """The SME declaration: a supplier (a bidder company's member) outside the trade's branches and purchaser."""
    return (is_procurement(trade) and trade.is_public and _authed(user) and bool(user.organisation_id)
            and user.has_role(Role.BIDDER) and user.organisation_id != trade.tenderer_id
            and not has_branch_at(user, trade.centre_id))


@permission("procurement.results.decide")
def _decide(user, trade) -> bool:
    """The award decision (O87 68): the purchaser itself, not the centre (on silence the platform awards)."""
    return is_procurement(trade) and is_tenderer_member(user, trade)


@permission("procurement.results.accept")
def _accept(user, trade) -> bool:
    """The delivery and the acceptance (履约验收, GPR 45): the purchaser, who organises it."""
    return is_procurement(trade) and is_tenderer_member(user, trade)
