"""Too few bids (Law 28, Reg 44): no bid is decrypted, the trade fails and the reason is published."""
from __future__ import annotations

import sqlalchemy as sa

from bidding.ceremony.models import OpeningCeremony, OpeningEntry
from bidding.crypto import envelope
from bidding.custody.models import KeptDocument
from tests.bidding.ceremony.test_ceremony import (_bid_all, _complete, _release, _start, _url, bidders,  # noqa: F401
                                                  sealed_trade)
from tests.conftest import api_headers
from trading.notices.models import Notice, NoticeKind
from trading.trades.flows import TradeState


def test_two_bids_are_never_decrypted_and_the_trade_fails_with_the_reason_published(
        db, client, sealed_trade, bidders, clock, monkeypatch):
    _bid_all(client, sealed_trade, bidders, {"bidder": "4815000.00", "bidder_b": "4700000.00"})
    decrypted = []
    real = envelope.open_envelope_digest
    monkeypatch.setattr(envelope, "open_envelope_digest", lambda *a, **kw: decrypted.append(1) or real(*a, **kw))
    clock.freeze(sealed_trade.opening_at)
    assert _start(client, sealed_trade).status_code == 201
    assert _release(client, sealed_trade, "staff").status_code == 201  # one share held: erased by the failure
    response = _complete(client, sealed_trade)  # no quorum of shares needed: the key is never rebuilt
    assert response.status_code == 200, response.get_json()
    state = response.get_json()
    assert state["outcome"] == "too_few" and state["state"] == "failed"
    assert "2家" in state["reason"] and "不足3家" in state["reason"] and "招标投标法 第28条" in state["reason"]
    assert decrypted == []
    db.session.expire_all()
    assert sealed_trade.state is TradeState.FAILED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OpeningEntry)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(KeptDocument)) == 0
    ceremony = db.session.scalar(sa.select(OpeningCeremony))
    assert ceremony.record is None and all(r.held_share is None for r in ceremony.releases)
    # the failure is published with its reason, to anyone
    notice = db.session.scalar(sa.select(Notice).where(Notice.kind == NoticeKind.FAILURE))
    assert notice is not None and notice.trade_id == sealed_trade.id and ceremony.reason in notice.body
    listed = client.get(f"/api/v1/notices?trade={sealed_trade.id}&kind=failure").get_json()
    assert [n["title"] for n in listed["items"]] == [notice.title]
    # the bidders watching see why; a second attempt is refused
    live = client.get(_url(sealed_trade), headers=api_headers(client, "bidder_b")).get_json()
    assert live["outcome"] == "too_few" and live["entries"] is None
    assert _complete(client, sealed_trade).status_code == 409


def test_three_bids_are_opened_as_before(db, client, sealed_trade, bidders, clock):
    """The minimum itself is enough (以上 includes the number)."""
    _bid_all(client, sealed_trade, bidders)
    clock.freeze(sealed_trade.opening_at)
    assert _start(client, sealed_trade).status_code == 201
    for who in ("staff", "staff2", "supervisor"):
        assert _release(client, sealed_trade, who).status_code == 201
    assert _complete(client, sealed_trade).get_json()["outcome"] == "opened"
