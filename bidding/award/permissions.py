"""Who may do what from the candidates to the contract:

- the public sees the published candidates and the result (`award.public`, a public trade);
- bidders and other interested parties object and complain (`award.object`, `award.complain`): a signed-in
  company or member of the public, never the trade's own branches or its tenderer;
- the tenderer answers objections and reports the award (`award.answer`, `award.report`), the centre's
  executing staff too (they act as the tenderer's agency);
- the centre's executing staff publish, award and record the contract (`award.manage`, `award.decide`,
  `award.contract`);
- the centre's administrative supervisors handle complaints (`award.complaints.handle`); the centre's
  branches and the tenderer see the workspace page (`award.view`);
- a company reads its own letter; the tenderer and the staff read them all (`award.letter`)."""
from __future__ import annotations

from trading.accounts.roles import Branch, Role
from trading.permissions import permission
from trading.trades.permissions import has_branch_at, is_staff_at, is_tenderer_member


def _authed(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def outsider(user, trade) -> bool:
    """A company or person outside the trade's branches and its tenderer: who may object or complain."""
    if not _authed(user) or has_branch_at(user, trade.centre_id) or user.organisation_id == trade.tenderer_id:
        return False
    return any(g.role in (Role.BIDDER, Role.PUBLIC) for g in user.grants)


@permission("award.public")
def _public(user, trade) -> bool:
    """The published candidates, the result, complaint rulings and the contract notice: anyone, once public."""
    return trade.is_public


@permission("award.view")
def _view(user, trade) -> bool:
    """The award's workspace page: the tenderer and the branches of the trade's centre."""
    return is_tenderer_member(user, trade) or has_branch_at(user, trade.centre_id)


@permission("award.object")
def _object(user, trade) -> bool:
    """Raise an objection to the candidates: a bidder or another interested party (Reg 54)."""
    return trade.is_public and outsider(user, trade)


@permission("award.complain")
def _complain(user, trade) -> bool:
    """Complain to the administrative supervisors: a bidder or another interested party (Reg 60)."""
    return trade.is_public and outsider(user, trade)


@permission("award.answer")
def _answer(user, trade) -> bool:
    """Answer an objection: the tenderer (Reg 54), or the centre's staff acting for it."""
    return is_tenderer_member(user, trade) or is_staff_at(user, trade.centre_id)


@permission("award.report")
def _report(user, trade) -> bool:
    """Report the award to the supervising department (Law 47): the tenderer, or the staff for it."""
    return is_tenderer_member(user, trade) or is_staff_at(user, trade.centre_id)


@permission("award.manage")
def _manage(user, trade) -> bool:
    """Publish the candidates (the `publicize` move) and refund the deposits: the centre's executing staff."""
    return is_staff_at(user, trade.centre_id)


@permission("award.decide")
def _decide(user, trade) -> bool:
    """Make the award (the `award` move): the centre's executing staff, on the tenderer's decision."""
    return is_staff_at(user, trade.centre_id)


@permission("award.contract")
def _contract(user, trade) -> bool:
    """Record the contract (the `contract` move): the centre's executing staff."""
    return is_staff_at(user, trade.centre_id)


@permission("award.complaints.handle")
def _handle(user, trade) -> bool:
    """Accept, refuse and rule on complaints: the administrative supervisors of the trade's centre (Reg 61)."""
    return _authed(user) and trade.centre_id in user.centres_for(Role.ADMIN_SUPERVISOR)


@permission("award.complaints.view")
def _complaints_view(user, trade) -> bool:
    """Every complaint on the trade: the supervising branch of its centre."""
    return _authed(user) and any(g.centre_id == trade.centre_id and g.role.branch is Branch.SUPERVISE
                                 for g in user.grants)


@permission("award.letter")
def _letter(user, letter) -> bool:
    """A letter: its company's members; the tenderer and the centre's staff."""
    if not _authed(user):
        return False
    trade = letter.trade
    return (user.organisation_id == letter.organisation_id or is_tenderer_member(user, trade)
            or is_staff_at(user, trade.centre_id))
