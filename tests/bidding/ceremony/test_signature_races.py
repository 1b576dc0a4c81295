"""The same supervisor's signature on the opening record sent twice at once (a double click, two tabs):
one is stored, the other is a 409 naming the conflict, never a 500 from the unique constraint."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from bidding.ceremony.models import RecordSignature
from tests.bidding.ceremony.test_ceremony import _bid_all, _complete, _release, _start, _url, bidders, sealed_trade  # noqa: F401
from tests.bidding.conftest import PASSPHRASES
from tests.conftest import api_headers
from tests.signing_helpers import api_signed
from tests.trading.test_numbering import at_once, meet_before
from trading.accounts import policy
from trading.trades.models import TradeParticipant


@pytest.mark.parametrize("joined_before", [False, True], ids=["first-act", "joined-before"])
def test_two_identical_record_signatures_at_once_give_one_row_and_a_409(app, db, client, users, sealed_trade, bidders,
                                                                        clock, joined_before):
    """First act: both requests also record the supervisor's participation (policy.join) at once; joined
    before: both pass every check and reach the signature's INSERT together."""
    _bid_all(client, sealed_trade, bidders)
    clock.freeze(sealed_trade.opening_at)
    assert _start(client, sealed_trade).status_code == 201
    for who in PASSPHRASES:
        assert _release(client, sealed_trade, who).status_code == 201
    assert _complete(client, sealed_trade).status_code == 200
    good = api_signed(client, api_headers(client, "supervisor"), "opening-record", trade_id=sealed_trade.id)
    if joined_before:
        policy.join(users["supervisor"], sealed_trade, "supervisor")
        db.session.commit()
    clients = [app.test_client(), app.test_client()]
    headers = [api_headers(c, "supervisor") for c in clients]
    url = _url(sealed_trade, "/signatures")
    # both pass the "already signed?" check, then are held just before their first write until both are there
    with meet_before(app, "INSERT INTO RECORD_SIGNATURES" if joined_before else "INSERT INTO TRADE_PARTICIPANTS"):
        responses = at_once(*[(lambda c=c, h=h: c.post(url, json=good, headers=h)) for c, h in zip(clients, headers)])
    assert sorted(r.status_code for r in responses) == [201, 409], [r.get_data(as_text=True)[:300] for r in responses]
    lost = next(r for r in responses if r.status_code == 409).get_json()
    assert lost["code"] == "already_signed" and lost["message"] == "您已签署该开标记录。"
    db.session.rollback()
    assert len(db.session.scalars(sa.select(RecordSignature)).all()) == 1
    assert len(db.session.scalars(sa.select(TradeParticipant).where(
        TradeParticipant.user_id == users["supervisor"].id, TradeParticipant.duty == "supervisor")).all()) == 1
