"""Who may keep the expert pool, sanction experts, run a trade's draw, contribute to it, and see who sits.

The member list is secret until the result is published (Law 37, Reg 46): before that only the three
branches of the trade's centre see it - the staff who run the draw and call the experts, the supervisors
who watch it, the deciders (who read the centre's audit log, where a confirmation names its expert) -
and each expert their own seat; never the tenderer, a bidder, the public or another expert. From the
award on, anyone may."""
from __future__ import annotations


from trading.accounts.roles import Branch, Role
from trading.permissions import permission
from trading.trades.flows import TradeState as S
from trading.trades.permissions import has_branch_at, is_staff_at

#: from these stages the committee's names are public (the result is published)
PUBLISHED = frozenset({S.AWARDED, S.CONTRACTED, S.ARCHIVED})


def _authed(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def _supervises(user, centre_id: int) -> bool:
    return _authed(user) and any(g.centre_id == centre_id and g.role.branch is Branch.SUPERVISE for g in user.grants)


@permission("experts.pool.manage")
def _manage(user, _obj=None) -> bool:
    """Executing staff of any centre keep the shared pool (register, edit, absences)."""
    return _authed(user) and bool(user.centres_for(Role.CENTRE_STAFF))


@permission("experts.pool.view")
def _pool_view(user, _obj=None) -> bool:
    """The pool's entries: staff, and the supervisors who sanction."""
    return _authed(user) and (bool(user.centres_for(Role.CENTRE_STAFF))
                              or bool(user.centres_for(Role.ADMIN_SUPERVISOR)))


@permission("experts.sanction")
def _sanction(user, _obj=None) -> bool:
    """Sanctions are the administrative supervisors' decision, not the staff's."""
    return _authed(user) and bool(user.centres_for(Role.ADMIN_SUPERVISOR))


@permission("experts.trade.draw")
def _draw(user, trade) -> bool:
    """The trade centre's executing staff plan the committee, fix draws and set experts aside."""
    return is_staff_at(user, trade.centre_id)


@permission("experts.trade.contribute")
def _contribute(user, trade) -> bool:
    """Supervisors of the trade's centre may add randomness; whoever runs the draw may not."""
    return _supervises(user, trade.centre_id)


@permission("experts.trade.members")
def _members(user, trade) -> bool:
    """The committee's names: the three branches of the trade's centre before the result, anyone after it."""
    return trade.state in PUBLISHED or has_branch_at(user, trade.centre_id)


@permission("experts.trade.view")
def _trade_view(user, trade) -> bool:
    """The draw page itself (rounds, composition, no names unless experts.trade.members)."""
    return trade.state in PUBLISHED or has_branch_at(user, trade.centre_id)


@permission("experts.assignments")
def _assignments(user, _obj=None) -> bool:
    """An expert's own assignments."""
    return _authed(user) and any(g.role is Role.EXPERT for g in user.grants)


@permission("experts.trade.seats")
def _seats(user, trade) -> bool:
    """The seat list: who may see the names (experts.trade.members), and a drawn expert (their own seat)."""
    if _members(user, trade):
        return True
    if not _authed(user):
        return False
    from bidding.experts.models import ExpertSeat
    from trading.extensions import db

    return db.session.query(ExpertSeat.id).filter_by(trade_id=trade.id, user_id=user.id).first() is not None
