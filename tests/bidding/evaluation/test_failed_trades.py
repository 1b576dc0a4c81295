"""Failed trades after the opening: every bid rejected in review fails the trade with its reason
published; a failed trade is tendered again in one step, with its documents and a history link."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from bidding.evaluation import services as evaluation
from bidding.evaluation.models import SeatKind
from tests.bidding.ceremony.test_ceremony import _bid_all, _open, bidders, sealed_trade  # noqa: F401
from tests.conftest import api_headers, login
from trading.errors import IllegalMove, InvalidInput, NotAllowed
from trading.notices import services as notices
from trading.notices.models import Document, Notice, NoticeKind
from trading.trades import retender as retenders, services as trades
from trading.trades.flows import TradeState
from trading.trades.models import Trade


@pytest.fixture
def evaluating(db, client, sealed_trade, bidders, clock):
    _bid_all(client, sealed_trade, bidders)
    assert _open(client, sealed_trade, clock)["outcome"] == "opened"
    db.session.expire_all()
    trades.move(sealed_trade, "start_evaluation", bidders["staff"])
    db.session.commit()
    return sealed_trade


def test_all_bids_rejected_fails_the_trade_with_the_reason_published(db, client, evaluating, bidders):
    url = f"/api/v1/trades/{evaluating.id}/evaluation/fail"
    for who, status in (("bidder", 403), ("decider", 403), ("supervisor", 403), ("tenderer", 403)):
        assert client.post(url, json={"reason": "x"}, headers=api_headers(client, who)).status_code == status
    assert client.post(url, json={}, headers=api_headers(client, "staff")).status_code == 422
    assert client.post(url, json={"reason": "   "}, headers=api_headers(client, "staff")).status_code == 422
    db.session.expire_all()
    assert evaluating.state is TradeState.EVALUATING  # refused input changed nothing
    done = client.post(url, json={"reason": "三家投标均未实质性响应招标文件第三章技术要求"}, headers=api_headers(client, "staff"))
    assert done.status_code == 201, done.get_json()
    db.session.expire_all()
    assert evaluating.state is TradeState.FAILED
    reason = evaluating.history[-1].reason
    assert "否决全部投标" in reason and "招标投标法 第42条" in reason and "第三章" in reason
    notice = db.session.scalar(sa.select(Notice).where(Notice.trade_id == evaluating.id, Notice.kind == NoticeKind.FAILURE))
    assert notice is not None and reason in notice.body
    # only once: the trade is no longer under review
    again = client.post(url, json={"reason": "again"}, headers=api_headers(client, "staff"))
    assert again.status_code == 409 and again.get_json()["code"] == "not_under_review"


def test_committee_seats_hold_experts_to_the_conflict_policy(db, evaluating, bidders, make_user):
    from trading.accounts.roles import Role
    from trading.errors import PolicyViolation

    tied = make_user("tied_expert", (Role.EXPERT, None), org=bidders["bidder"].organisation)
    with pytest.raises(PolicyViolation):
        evaluation.seat_member(bidders["staff"], evaluating, tied, SeatKind.EXPERT)
    with pytest.raises(InvalidInput):  # a tenderer's representative must belong to the tenderer
        evaluation.seat_member(bidders["staff"], evaluating, bidders["expert"], SeatKind.TENDERER_REP)
    seat = evaluation.seat_member(bidders["staff"], evaluating, bidders["expert"], SeatKind.EXPERT)
    with pytest.raises(IllegalMove):
        evaluation.seat_member(bidders["staff"], evaluating, bidders["expert"], SeatKind.EXPERT)
    evaluation.unseat_member(bidders["staff"], seat, "回避：与投标人存在利害关系")
    from bidding.evaluation.permissions import sitting_member

    assert not sitting_member(bidders["expert"], evaluating)




@pytest.fixture
def failed_with_documents(db, users, make_trade, clock):
    """A published works tender with two tender documents (one withdrawn), failed at its opening."""
    from datetime import timedelta

    from tests.conftest import START, tender_timeline

    trade = make_trade(**tender_timeline(START))
    notices.upload_document(users["staff"], trade, "招标文件.pdf", "application/pdf", io.BytesIO(b"%PDF-1.4 tender"))
    gone = notices.upload_document(users["staff"], trade, "old.txt", "text/plain", io.BytesIO(b"withdrawn"))
    gone.withdrawn = True
    for name, who in (("submit", "staff"), ("approve", "decider"), ("publish", "staff")):
        trades.move(trade, name, users[who])
    clock.freeze(trade.bid_deadline + timedelta(minutes=1))
    trades.advance_trade(trade)
    trades.move(trade, "fail", users["staff"], reason="递交投标文件的投标人1家，不足3家，流标")
    db.session.commit()
    assert trade.state is TradeState.FAILED
    return trade


def test_retender_in_one_step_keeps_documents_and_links_both_ways(db, client, users, failed_with_documents):
    failed = failed_with_documents
    url = f"/api/v1/trades/{failed.id}/retender"
    for who in ("bidder", "supervisor", "decider", "other_tenderer", "staff_proc"):
        assert client.post(url, headers=api_headers(client, who)).status_code == 403, who
    assert client.post(url).status_code == 401
    made = client.post(url, headers=api_headers(client, "staff"))
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["state"] == "draft" and body["retender_of"] == {"id": failed.id, "ref": failed.ref}
    assert body["ref"] != failed.ref and body["title"] == failed.title + "（重新招标）"
    assert body["estimated_price"] == str(failed.estimated_price) and body["tenderer"]["id"] == failed.tenderer_id
    new = db.session.get(Trade, body["id"])
    assert new.history[0].reason == f"重新招标：原项目 {failed.ref} 流标"
    docs = db.session.scalars(sa.select(Document).where(Document.trade_id == new.id)).all()
    originals = db.session.scalars(sa.select(Document).where(Document.trade_id == failed.id,
                                                             Document.withdrawn.is_(False))).all()
    assert [(d.filename, d.sha256, d.size) for d in docs] == [(d.filename, d.sha256, d.size) for d in originals]
    db.session.expire_all()
    shown = client.get(f"/api/v1/trades/{failed.id}", headers=api_headers(client, "staff")).get_json()
    assert shown["retendered_as"] == {"id": new.id, "ref": new.ref}
    # once only
    again = client.post(url, headers=api_headers(client, "tenderer"))
    assert again.status_code == 409 and again.get_json()["code"] == "already_retendered"


def test_only_a_failed_trade_is_tendered_again(db, client, users, published_trade):
    response = client.post(f"/api/v1/trades/{published_trade.id}/retender", headers=api_headers(client, "staff"))
    assert response.status_code == 403  # the permission itself names the failed state
    with pytest.raises(NotAllowed):
        retenders.retender(users["staff"], published_trade)


def test_retender_through_the_page(db, client, users, failed_with_documents):
    failed = failed_with_documents
    login(client, "tenderer")
    page = client.get(f"/workspace/trades/{failed.id}").get_data(as_text=True)
    assert 'id="retender-form"' in page
    done = client.post(f"/workspace/trades/{failed.id}/retender")
    assert done.status_code == 302
    new = db.session.scalar(sa.select(Trade).where(Trade.retender_of_id == failed.id))
    assert done.headers["Location"].endswith(f"/workspace/trades/{new.id}")
    page = client.get(f"/workspace/trades/{new.id}").get_data(as_text=True)
    assert 'id="retender-of"' in page and failed.ref in page and "招标文件.pdf" in page
    page = client.get(f"/workspace/trades/{failed.id}").get_data(as_text=True)
    assert 'id="retendered-as"' in page and new.ref in page and 'id="retender-form"' not in page
