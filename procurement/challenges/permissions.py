"""Who may ask, challenge, complain, answer, decide and read, on a procurement trade:

- a supplier outside the trade (a signed-in company, never the trade's branches or its purchaser) asks,
  challenges and complains (`procurement.filing.file`); whether it has standing for a challenge (it obtained
  the documents, it bid) or a complaint (it made the challenge) the service checks, naming the rule;
- the purchaser, or the centre's executing staff as its agency, answer questions and challenges and suspend
  the procurement for a challenge that may affect the result (`procurement.filing.answer`, GPL 51, 53; GPR 54);
- the finance department, i.e. the administrative supervisors of the trade's centre, decide complaints and
  order or lift their suspension (`procurement.complaint.decide`, GPL 56-57);
- the purchaser and the centre's branches read every filing (`procurement.filings.view`); a supplier its own;
  anyone the published answers of a public trade (`procurement.challenges.read`)."""
from __future__ import annotations

from procurement.plans.services import is_procurement
from trading.accounts.roles import Role
from trading.permissions import permission
from trading.trades.permissions import has_branch_at, is_staff_at, is_tenderer_member


def _authed(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def supplier(user, trade) -> bool:
    """A company outside the trade's branches and its purchaser, signed in as a bidder (a supplier)."""
    if not _authed(user) or user.organisation_id is None or has_branch_at(user, trade.centre_id):
        return False
    return user.organisation_id != trade.tenderer_id and user.has_role(Role.BIDDER)


@permission("procurement.challenges.read")
def _read(user, trade) -> bool:
    """A procurement trade's page of questions, challenges and complaints: anyone once the trade is public."""
    return is_procurement(trade) and (trade.is_public or is_tenderer_member(user, trade)
                                      or has_branch_at(user, trade.centre_id))


@permission("procurement.filing.file")
def _file(user, trade) -> bool:
    return is_procurement(trade) and trade.is_public and supplier(user, trade)


@permission("procurement.filing.answer")
def _answer(user, trade) -> bool:
    return is_procurement(trade) and (is_tenderer_member(user, trade) or is_staff_at(user, trade.centre_id))


@permission("procurement.complaint.decide")
def _decide(user, trade) -> bool:
    return is_procurement(trade) and _authed(user) and trade.centre_id in user.centres_for(Role.ADMIN_SUPERVISOR)


@permission("procurement.filings.view")
def _view(user, trade) -> bool:
    return is_procurement(trade) and (is_tenderer_member(user, trade) or has_branch_at(user, trade.centre_id))


@permission("procurement.challenges.public")
def _public(user, _obj) -> bool:
    """The published answers and decisions of every procurement trade: anyone."""
    return True
