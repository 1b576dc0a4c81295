"""The same drawn supervisor's sign-off sent twice at once (a double click, two tabs): one row, one audit
entry, and a 409 naming the conflict for the other, never a 500 from the unique constraint."""
from __future__ import annotations

import sqlalchemy as sa

from monitor.supervisors.models import SignOff, SignOffStage
from tests.conftest import api_headers
from tests.monitor.supervisors.supervisor_helpers import entries, publish, registry, walk  # noqa: F401
from tests.monitor.supervisors.test_signoffs import drawn_users
from tests.signing_helpers import api_signed
from tests.trading.test_numbering import at_once, meet_before
from trading.trades.flows import TradeState as S


def test_two_identical_signoffs_at_once_give_one_row_and_a_409(app, db, client, users, make_trade, registry,  # noqa: F811
                                                               clock):
    trade = publish(db, make_trade, users, "9000000.00")
    walk(db, trade, users, clock, S.EVALUATING)
    first = drawn_users(trade, users)[0]
    before = len(entries(db, "signoff.evaluation_report", trade))
    body = {"stage": "evaluation_report", "decision": "signed",
            **api_signed(client, api_headers(client, first.username), "sign-off", trade_id=trade.id,
                         stage="evaluation_report", decision="signed")}
    clients = [app.test_client(), app.test_client()]
    headers = [api_headers(c, first.username) for c in clients]
    url = f"/api/v1/trades/{trade.id}/supervision/signoffs"
    # both pass the "already signed?" check, then are held before their first write until both are there
    with meet_before(app, "UPDATE AUDIT_HEAD"):
        responses = at_once(*[(lambda c=c, h=h: c.post(url, json=body, headers=h)) for c, h in zip(clients, headers)])
    assert sorted(r.status_code for r in responses) == [201, 409], [r.get_data(as_text=True)[:300] for r in responses]
    lost = next(r for r in responses if r.status_code == 409).get_json()
    assert lost["code"] == "already_signed" and lost["message"].startswith("您已对")
    db.session.rollback()
    rows = db.session.scalars(sa.select(SignOff).where(SignOff.trade_id == trade.id,
                                                       SignOff.stage == SignOffStage.EVALUATION_REPORT)).all()
    assert [r.user_id for r in rows] == [first.id]
    assert len(entries(db, "signoff.evaluation_report", trade)) == before + 1  # the loser's entry rolled back
