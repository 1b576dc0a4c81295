"""Who may name the single-source supplier, object to the notice, answer an objection, record and sign the
negotiation record and conclude it. Checked before any business code (services call `require`)."""
from __future__ import annotations

from trading.accounts.roles import Role
from trading.permissions import permission
from trading.trades.permissions import has_branch_at, is_staff_at, is_tenderer_member


def _authed(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def works_on(user, trade) -> bool:
    return is_tenderer_member(user, trade) or has_branch_at(user, trade.centre_id)


@permission("direct.view")
def _view(user, trade) -> bool:
    """The single-source notice, its objections' outcome and the record's outcome are public once the notice
    is out (O74 Art. 38); before, only those who work on the trade see them."""
    return trade.state.public or works_on(user, trade)


@permission("direct.name_supplier")
def _name(user, trade) -> bool:
    return is_tenderer_member(user, trade) or is_staff_at(user, trade.centre_id)


@permission("direct.object")
def _object(user, trade) -> bool:
    """Any supplier, body or person signed in (O74 Art. 39), but not the purchaser nor the centre running it."""
    return (_authed(user) and trade.state.public and not is_tenderer_member(user, trade)
            and not has_branch_at(user, trade.centre_id))


@permission("direct.answer")
def _answer(user, trade) -> bool:
    """The purchaser answers (O74 Art. 40); the centre's staff may enter the answer for it."""
    return is_tenderer_member(user, trade) or is_staff_at(user, trade.centre_id)


@permission("direct.objections")
def _objections(user, trade) -> bool:
    """The objections' texts and who filed them: the purchaser, the centre's branches."""
    return works_on(user, trade)


@permission("direct.negotiate")
def _negotiate(user, trade) -> bool:
    """Begin the negotiation, record it and conclude it: the centre's staff (the purchasing agency)."""
    return is_staff_at(user, trade.centre_id)


@permission("direct.sign")
def _sign(user, trade) -> bool:
    """A panel member signs; who sits is checked by the service (the evaluation committee's seats)."""
    return _authed(user) and (user.has_role(Role.EXPERT) or is_tenderer_member(user, trade))


@permission("direct.negotiation.view")
def _negotiation_view(user, trade) -> bool:
    """The negotiation page: the purchaser, the centre's branches and the panel's members."""
    if works_on(user, trade):
        return True
    if not _authed(user):
        return False
    import sqlalchemy as sa

    from bidding.evaluation.models import CommitteeSeat
    from trading.extensions import db

    return db.session.scalar(sa.select(CommitteeSeat.id).where(CommitteeSeat.trade_id == trade.id,
                                                               CommitteeSeat.user_id == user.id,
                                                               CommitteeSeat.left_at.is_(None)).limit(1)) is not None
