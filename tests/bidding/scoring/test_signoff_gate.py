"""A trade scored on the platform is signed off by its supervisors on the evaluation report, and only once
every member has signed the report: before, the sign-off is refused (and so `publicize` stays shut); after,
the sign-off binds the report's SHA-256 and the trade moves on. A trade without a scoring plan is signed off
on its audit log as before."""
from __future__ import annotations

import pytest

from bidding.evaluation import services as evaluation
from bidding.evaluation.models import SeatKind
from bidding.scoring import report as reports, services as scoring
from monitor.supervisors.models import SignOff, SignOffStage
from tests.monitor.supervisors.supervisor_helpers import publish, registry, walk  # noqa: F401  (registry: fixture)
from tests.monitor.supervisors.test_signoffs import drawn_users
from tests.signing_helpers import sign_off, signed
from trading.accounts.roles import Role
from trading.errors import IllegalMove
from trading.trades import services as trades
from trading.trades.flows import TradeState as S


def test_the_evaluation_report_gates_the_sign_off(db, users, make_trade, make_user, registry, clock):  # noqa: F811
    trade = publish(db, make_trade, users, "3000000.00")
    walk(db, trade, users, clock, S.EVALUATING)
    members = [make_user(f"m{i}", (Role.EXPERT, None)) for i in range(3)]
    for m in members:
        evaluation.seat_member(users["staff"], trade, m, SeatKind.EXPERT)
    scoring.set_plan(users["staff"], trade, {"method": "lowest_evaluated_price", "subject": "works"})
    db.session.commit()
    (supervisor,) = drawn_users(trade, users)
    with pytest.raises(IllegalMove) as early:
        sign_off(supervisor, trade, "evaluation_report", "signed")
    assert early.value.code == "report_not_signed"
    db.session.rollback()
    with pytest.raises(IllegalMove):  # and so the candidates cannot be published
        trades.move(trade, "publicize", users["staff"])
    db.session.rollback()
    for m in members:
        scoring.submit_sheet(m, trade)
    reports.make_report(users["staff"], trade)
    for m in members[:2]:
        reports.sign_report(m, trade, None, **signed(m, "evaluation-report", trade_id=trade.id))
    db.session.commit()
    with pytest.raises(IllegalMove):  # one member has not signed yet
        sign_off(supervisor, trade, "evaluation_report", "signed")
    db.session.rollback()
    reports.sign_report(members[2], trade, None, **signed(members[2], "evaluation-report", trade_id=trade.id))
    row = sign_off(supervisor, trade, "evaluation_report", "signed")
    db.session.commit()
    assert isinstance(row, SignOff) and row.stage is SignOffStage.EVALUATION_REPORT
    assert (row.subject_kind, row.subject_hash) == ("evaluation_report", reports.report_of(trade).sha256)
    trades.move(trade, "publicize", users["staff"])
    db.session.commit()
    assert trade.state is S.PUBLICITY
