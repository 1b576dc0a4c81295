"""Who sets a trade's scoring plan, who scores, who reads the scores, and when.

The scores, like the member list, are secret until the result is published (Law 37, Reg 46; Law 44: the
committee keeps the evaluation confidential): before that, the three branches of the trade's centre read the
progress and, once every member has submitted, the sheets; a member reads their own sheet, and the others'
submitted sheets only after submitting their own (each scores alone). From the award on, anyone may read."""
from __future__ import annotations

import sqlalchemy as sa

from bidding.evaluation.permissions import confirmed_expert, seat_of, sitting_member
from bidding.experts.permissions import PUBLISHED
from trading.extensions import db
from trading.permissions import permission
from trading.trades.flows import TradeState as S
from trading.trades.permissions import has_branch_at, is_staff_at

#: the plan is fixed before the first score is written: from drafting the tender until then
PLANNABLE = frozenset({S.DRAFT, S.SUBMITTED, S.APPROVED, S.ANNOUNCED, S.BIDDING, S.CLOSED, S.OPENING, S.OPENED,
                       S.EVALUATING})


def member(user, trade) -> bool:
    """On the trade's committee (seated and not stepped aside, or a confirmed drawn expert), in any stage."""
    return seat_of(user, trade) is not None or confirmed_expert(user, trade)


def branches(user, trade) -> bool:
    """Staff, deciders and supervisors of the trade's centre (read-only here, except the staff's plan)."""
    return has_branch_at(user, trade.centre_id)


@permission("scoring.plan")
def _plan(user, trade) -> bool:
    """The executing staff record the method and criteria the tender documents announced."""
    return is_staff_at(user, trade.centre_id)


@permission("scoring.score")
def _score(user, trade) -> bool:
    """A member of the committee while it sits fills in and submits their own sheet, records adjustments and
    signs the report."""
    return sitting_member(user, trade)


@permission("scoring.view")
def _view(user, trade) -> bool:
    """The plan, the progress, the results and the report: the committee, the three branches, anyone after
    the award. (Which sheets a reader sees is narrowed further in services.visible_sheets.)"""
    return trade.state in PUBLISHED or branches(user, trade) or member(user, trade)


def sheet_submitted(user, trade) -> bool:
    from bidding.scoring.models import ScoreSheet

    if not getattr(user, "is_authenticated", False):
        return False
    return db.session.scalar(sa.select(ScoreSheet.id).where(ScoreSheet.trade_id == trade.id,
                                                            ScoreSheet.user_id == user.id,
                                                            ScoreSheet.submitted_at.is_not(None))) is not None


@permission("scoring.report")
def _report(user, trade) -> bool:
    """Making the report from the submitted sheets: a sitting member, or the staff who organise the evaluation."""
    return sitting_member(user, trade) or is_staff_at(user, trade.centre_id)
