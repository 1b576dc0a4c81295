"""Only the ceremony moves a sealed trade into and out of the opening; a stalled opening has ways out
(restart, fail, postpone) and a time-out, and every one of them erases the held shares."""
from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa

from bidding.ceremony import services as ceremony
from bidding.ceremony.models import CeremonyExit, ShareRelease
from monitor.audit.models import AuditEntry
from tests.bidding.ceremony.test_ceremony import (PASSPHRASES, _bid_all, _complete, _release, _start, _url,  # noqa: F401
                                                  bidders, sealed_trade)
from tests.bidding.submission.test_pages import login_en
from tests.conftest import CST, api_headers, csrf_token, login
from trading.notices.models import Notice, NoticeKind
from trading.trades import services as trades
from trading.trades.flows import TradeState
from trading.trades.models import TradeTransition


def _closed(db, trade, clock):
    """Bids in, the opening time reached and the platform's tick run: the trade is closed."""
    clock.freeze(trade.opening_at)
    trades.advance_due()
    db.session.expire_all()
    assert trade.state is TradeState.CLOSED


def _generic(client, trade, move: str, who: str = "staff", lang: str = "en", **extra):
    headers = {**api_headers(client, who), "Accept-Language": lang}
    return client.post(f"/api/v1/trades/{trade.id}/transitions", json={"move": move, **extra}, headers=headers)


def _held(db, trade) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ShareRelease).join(ShareRelease.ceremony)
                             .where(ShareRelease.held_share.is_not(None),
                                    ShareRelease.ceremony.has(trade_id=trade.id)))


def _started_with_shares(db, client, trade, clock, holders=("staff", "supervisor")):
    _closed(db, trade, clock)
    assert _start(client, trade).status_code == 201
    for who in holders:
        assert _release(client, trade, who).status_code == 201
    db.session.expire_all()
    assert _held(db, trade) == len(holders)


# ---- the generic route refuses the ceremony's moves ------------------------------------------------

def test_generic_api_refuses_the_openings_moves_of_a_sealed_trade(db, client, sealed_trade, bidders, clock):
    """The hole: a clerk's plain start_opening / finish_opening took a sealed tender to opened with no
    bid decrypted. Now 409 naming the ceremony; nothing changes, and the ceremony still starts."""
    trade = sealed_trade
    _bid_all(client, trade, bidders)
    _closed(db, trade, clock)
    refused = _generic(client, trade, "start_opening")
    assert refused.status_code == 409, refused.get_json()
    body = refused.get_json()
    assert body["code"] == "reserved_move" and body["procedure"] == "opening_ceremony"
    assert "Only the opening ceremony may start opening this trade." in body["message"]
    zh = _generic(client, trade, "start_opening", lang="zh-CN").get_json()
    assert "开标仪式" in zh["message"], zh
    db.session.expire_all()
    assert trade.state is TradeState.CLOSED
    assert not db.session.scalar(sa.select(TradeTransition.id).where(TradeTransition.trade_id == trade.id,
                                                                     TradeTransition.move == "start_opening"))
    listed = client.get(f"/api/v1/trades/{trade.id}/transitions", headers=api_headers(client, "staff")).get_json()
    assert "start_opening" not in {m["move"] for m in listed["allowed"]}

    # the ceremony starts after the refused move (the old hole left a trade it refused to start)
    assert _start(client, trade).status_code == 201
    db.session.expire_all()
    assert trade.state is TradeState.OPENING
    for move in ("finish_opening", "fail"):
        response = _generic(client, trade, move, reason="不开了")
        assert response.status_code == 409 and response.get_json()["code"] == "reserved_move", move
    for move in ("fail_opening", "postpone_opening"):
        response = _generic(client, trade, move, who="decider", reason="不开了")
        assert response.status_code == 409 and response.get_json()["code"] == "reserved_move", move
    listed = client.get(f"/api/v1/trades/{trade.id}/transitions", headers=api_headers(client, "staff")).get_json()
    assert {m["move"] for m in listed["allowed"]} & {"finish_opening", "fail"} == set()
    db.session.expire_all()
    assert trade.state is TradeState.OPENING
    # the ceremony opens the bids as before
    for who in PASSPHRASES:
        assert _release(client, trade, who).status_code == 201
    assert _complete(client, trade).status_code == 200
    db.session.expire_all()
    assert trade.state is TradeState.OPENED


def test_generic_page_refuses_the_openings_moves_of_a_sealed_trade(db, client, sealed_trade, bidders, clock):
    trade = sealed_trade
    _bid_all(client, trade, bidders)
    _closed(db, trade, clock)
    login(client, "staff")
    page = client.get(f"/workspace/trades/{trade.id}?lang=en").get_data(as_text=True)
    assert 'value="start_opening"' not in page
    response = client.post(f"/workspace/trades/{trade.id}/move", data={"move": "start_opening"})
    assert response.status_code == 409  # the page speaks the platform's first language
    assert "本项目的“开始开标”只能由开标仪式进行。" in response.get_data(as_text=True)
    db.session.expire_all()
    assert trade.state is TradeState.CLOSED
    assert _start(client, trade).status_code == 201
    response = client.post(f"/workspace/trades/{trade.id}/move", data={"move": "finish_opening"})
    assert response.status_code == 409
    db.session.expire_all()
    assert trade.state is TradeState.OPENING


def test_a_trade_without_sealed_bids_keeps_the_plain_moves(db, make_trade, users, clock):
    """A tender that took no electronic bids (no opening key) is opened by the staff's plain moves."""
    from tests.conftest import START, tender_timeline

    trade = make_trade(**tender_timeline(START))
    for name, who in (("submit", "staff"), ("approve", "decider"), ("publish", "staff")):
        trades.move(trade, name, users[who])
    clock.freeze(trade.opening_at)
    trades.advance_due()
    trades.move(trade, "start_opening", users["staff"])
    trades.move(trade, "finish_opening", users["staff"])
    assert trade.state is TradeState.OPENED


# ---- the ways out ------------------------------------------------------------------------------------

def test_restart_erases_the_shares_and_the_keyholders_release_again(db, client, sealed_trade, bidders, clock):
    trade = sealed_trade
    _bid_all(client, trade, bidders)
    _started_with_shares(db, client, trade, clock)
    url = _url(trade, "/restart")
    assert client.post(url, json={"reason": "x"}, headers=api_headers(client, "decider")).status_code == 403
    empty = client.post(url, json={"reason": ""}, headers=api_headers(client, "staff"))
    assert empty.status_code == 422 and empty.get_json()["field"] == "reason"
    clock.advance(timedelta(minutes=20))
    done = client.post(url, json={"reason": "执行方密钥持有人未到场，重新开始"}, headers=api_headers(client, "staff"))
    assert done.status_code == 201, done.get_json()
    assert done.get_json()["kind"] == "restart" and done.get_json()["shares_erased"] == 2
    db.session.expire_all()
    assert _held(db, trade) == 0 and trade.state is TradeState.OPENING
    state = client.get(_url(trade), headers=api_headers(client, "staff")).get_json()
    assert state["started"] and state["releases"] == [] and state["started_at"] == clock.now().isoformat()
    assert [(e["kind"], e["reason"], e["shares_erased"]) for e in state["exits"]] == [
        ("restart", "执行方密钥持有人未到场，重新开始", 2)]
    # recorded with its reason in the audit log
    logged = [json.loads(e.body) for e in db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "ceremony_exits.insert"))]
    assert [(e["after"]["kind"], e["after"]["reason"]) for e in logged] == [("restart", "执行方密钥持有人未到场，重新开始")]
    # the same shares are released again, and the bids open
    for who in PASSPHRASES:
        assert _release(client, trade, who).status_code == 201
    assert _complete(client, trade).status_code == 200
    db.session.expire_all()
    assert trade.state is TradeState.OPENED


def test_decision_branch_fails_a_stalled_opening(db, client, sealed_trade, bidders, clock):
    trade = sealed_trade
    _bid_all(client, trade, bidders)
    _started_with_shares(db, client, trade, clock)
    url = _url(trade, "/fail")
    assert client.post(url, json={"reason": "x"}, headers=api_headers(client, "staff")).status_code == 403
    assert client.post(url, json={}, headers=api_headers(client, "decider")).status_code == 422
    db.session.expire_all()
    assert _held(db, trade) == 2  # a refused exit changes nothing
    reason = "监督方密钥持有人无法到场，投标文件无法解密，视为撤回，有效投标不足三家"
    done = client.post(url, json={"reason": reason}, headers=api_headers(client, "decider"))
    assert done.status_code == 201, done.get_json()
    db.session.expire_all()
    assert trade.state is TradeState.FAILED and _held(db, trade) == 0
    last = trade.history[-1]
    assert (last.move, last.reason, last.actor_id) == ("fail_opening", reason, bidders["decider"].id)
    state = client.get(_url(trade), headers=api_headers(client, "staff")).get_json()
    assert state["outcome"] == "not_opened" and state["entries"] is None and state["record_sha256"] is None
    assert _complete(client, trade).status_code == 409
    assert _release(client, trade, "staff2").status_code == 409
    login_en(client, "staff")
    page = client.get(f"/bidding/trades/{trade.id}/ceremony").get_data(as_text=True)
    assert "Failed by the decision branch: the bids were not opened" in page and reason in page


def test_decision_branch_postpones_a_stalled_opening(db, client, sealed_trade, bidders, clock):
    trade = sealed_trade
    _bid_all(client, trade, bidders)
    _started_with_shares(db, client, trade, clock)
    url = _url(trade, "/postpone")
    old = trade.opening_at
    past = client.post(url, json={"reason": "x", "opening_at": (old - timedelta(hours=1)).isoformat()},
                       headers=api_headers(client, "decider"))
    assert past.status_code == 422 and past.get_json()["field"] == "opening_at"
    new = old + timedelta(days=3)
    done = client.post(url, json={"reason": "密钥持有人出差，延期开标", "opening_at": new.isoformat()},
                       headers=api_headers(client, "decider"))
    assert done.status_code == 201, done.get_json()
    assert done.get_json()["new_opening_at"] == new.isoformat()
    db.session.expire_all()
    assert trade.state is TradeState.CLOSED and trade.opening_at == new and _held(db, trade) == 0
    assert trade.history[-1].move == "postpone_opening"
    notice = db.session.scalar(sa.select(Notice).where(Notice.trade_id == trade.id,
                                                       Notice.kind == NoticeKind.POSTPONEMENT))
    assert notice is not None and "密钥持有人出差，延期开标" in notice.body
    assert new.astimezone(CST).strftime("%Y-%m-%d %H:%M") in notice.body  # Beijing time, as published
    public = client.get(f"/api/v1/notices?trade={trade.id}&kind=postponement").get_json()
    assert [n["title"] for n in public["items"]] == [notice.title]
    state = client.get(_url(trade), headers=api_headers(client, "staff")).get_json()
    assert state["started"] is False and state["releases"] == []
    # not before the new time; at it, the ceremony runs as usual
    early = _start(client, trade)
    assert early.status_code == 409 and early.get_json()["code"] == "too_early"
    clock.freeze(new)
    assert _start(client, trade).status_code == 201
    for who in PASSPHRASES:
        assert _release(client, trade, who).status_code == 201
    assert _complete(client, trade).status_code == 200
    db.session.expire_all()
    assert trade.state is TradeState.OPENED


def test_exits_through_the_ceremony_page(db, client, sealed_trade, bidders, clock):
    trade = sealed_trade
    _bid_all(client, trade, bidders)
    _started_with_shares(db, client, trade, clock)
    base = f"/bidding/trades/{trade.id}/ceremony"
    login_en(client, "staff")
    page = client.get(base).get_data(as_text=True)
    assert 'id="restart-form"' in page and 'id="fail-form"' not in page
    done = client.post(f"{base}/restart", data={"reason": "重新开始", "csrf_token": csrf_token(page)},
                       follow_redirects=True).get_data(as_text=True)
    assert "The opening starts over" in done and "重新开始" in done
    db.session.expire_all()
    assert _held(db, trade) == 0
    assert _release(client, trade, "staff").status_code == 201
    login_en(client, "decider")
    page = client.get(base).get_data(as_text=True)
    assert 'id="fail-form"' in page and 'id="postpone-form"' in page and 'id="restart-form"' not in page
    local = (trade.opening_at + timedelta(days=2)).astimezone(clock.now().tzinfo).strftime("%Y-%m-%dT%H:%M")
    postponed = client.post(f"{base}/postpone", data={"reason": "改期", "opening_at": local},
                            follow_redirects=True).get_data(as_text=True)
    assert "The opening is postponed" in postponed
    db.session.expire_all()
    assert trade.state is TradeState.CLOSED and _held(db, trade) == 0
    assert [e.kind.value for e in db.session.scalars(sa.select(CeremonyExit).order_by(CeremonyExit.id))] == [
        "restart", "postpone"]


# ---- the time-out ---------------------------------------------------------------------------------

def test_time_out_erases_the_held_shares(db, app, client, sealed_trade, bidders, clock):
    trade = sealed_trade
    assert ceremony.time_out_due in app.extensions["trade_ticks"]  # the scheduler's tick and `flask tick` run it
    assert app.config["CEREMONY_TIMEOUT_MINUTES"] == 120
    _bid_all(client, trade, bidders)
    _started_with_shares(db, client, trade, clock)
    started = clock.now()
    clock.freeze(started + timedelta(minutes=119, seconds=59))
    assert ceremony.time_out_due() == []
    db.session.expire_all()
    assert _held(db, trade) == 2
    clock.freeze(started + timedelta(minutes=120))
    ticked = app.test_cli_runner().invoke(args=["tick"])  # cron's way; the scheduler runs the same list
    assert ticked.exit_code == 0 and f"time_out_due: {trade.ref}" in ticked.output, ticked.output
    assert ceremony.time_out_due() == []  # once
    db.session.expire_all()
    assert _held(db, trade) == 0
    state = client.get(_url(trade), headers=api_headers(client, "staff")).get_json()
    assert state["timed_out_at"] == clock.now().isoformat()
    assert [(e["kind"], e["shares_erased"], e["by"]) for e in state["exits"]] == [("timeout", 2, None)]
    # a timed-out opening takes no share and opens nothing until it is restarted
    late = _release(client, trade, "staff2")
    assert late.status_code == 409 and late.get_json()["code"] == "timed_out"
    assert _complete(client, trade).get_json()["code"] == "timed_out"
    login_en(client, "staff")
    page = client.get(f"/bidding/trades/{trade.id}/ceremony").get_data(as_text=True)
    assert "The opening timed out at" in page
    restarted = client.post(_url(trade, "/restart"), json={"reason": "超时后重新开始"},
                            headers=api_headers(client, "staff"))
    assert restarted.status_code == 201
    for who in PASSPHRASES:
        assert _release(client, trade, who).status_code == 201
    assert _complete(client, trade).status_code == 200


def test_time_out_is_configurable(make_app, clock):
    app = make_app(CEREMONY_TIMEOUT_MINUTES=0)
    with app.app_context():
        assert ceremony.timeout() is None and ceremony.time_out_due() == []
    app = make_app(CEREMONY_TIMEOUT_MINUTES=30)
    with app.app_context():
        assert ceremony.timeout() == timedelta(minutes=30)
