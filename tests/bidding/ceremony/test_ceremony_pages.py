"""The opening-ceremony pages: one page for everyone allowed to watch, the live-state endpoint its script
polls (the API's body, with the session), and the forms of each part in it (start, release, open all
bids, object, answer, sign) through page routes with flashed, readable errors."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from bidding.ceremony import services as ceremony
from bidding.ceremony.models import Objection, RecordSignature
from tests.bidding.matrix_pages import CEREMONY_PAGES
from tests.bidding.ceremony.test_ceremony import (PASSPHRASES, PRICES, _bid_all, bidders,  # noqa: F401
                                         sealed_trade)
from bidding.keyholders import client as holder_side
from tests.bidding.conftest import opened_share
from tests.bidding.submission.test_pages import login_en
from tests.signing_helpers import page_signed
from tests.conftest import api_headers, login
from trading.trades.flows import TradeState


def _page(trade) -> str:
    return f"/bidding/trades/{trade.id}/ceremony"


def _text(response) -> str:
    return response.get_data(as_text=True)


def _flashes(html: str, kind: str) -> list[str]:
    return re.findall(rf'<p class="flash {kind}"[^>]*>(.*?)</p>', html, re.S)


# ---- the caller matrix -----------------------------------------------------------------------------

@pytest.fixture
def scene(db, client, sealed_trade, bidders, clock):
    """Three bids in, the opening time reached, the opening started, one objection raised."""
    _bid_all(client, sealed_trade, bidders)
    clock.freeze(sealed_trade.opening_at)
    ceremony.start_ceremony(bidders["staff"], sealed_trade)
    objection = ceremony.lodge_objection(bidders["bidder"], sealed_trade, "开标时间有异议")
    db.session.commit()
    return {"trade": sealed_trade, "objection": objection.id, "users": bidders}


def _request(client, route: tuple[str, str], scene):
    trade = scene["trade"]
    base = _page(trade)
    endpoint = route[0]
    if endpoint == "bidding.ceremony_page":
        return client.get(base)
    if endpoint == "bidding.ceremony_state":
        return client.get(f"{base}/state")
    if endpoint == "bidding.ceremony_start":
        return client.post(f"{base}/start")
    if endpoint == "bidding.ceremony_share":
        return client.get(f"{base}/share")
    if endpoint == "bidding.ceremony_release":
        return client.post(f"{base}/shares", data={"share": "00" * 72})
    if endpoint == "bidding.ceremony_complete":
        return client.post(f"{base}/complete")
    if endpoint == "bidding.ceremony_object":
        return client.post(f"{base}/objections", data={"text": "a second objection"})
    if endpoint == "bidding.ceremony_answer":
        return client.post(f"{base}/objections/{scene['objection']}/answer", data={"text": "符合招标文件规定"})
    if endpoint == "bidding.ceremony_sign":
        return client.post(f"{base}/signatures", data={"dissent": "", **page_signed(
            client, "opening-record", trade_id=scene["trade"].id)})
    if endpoint == "bidding.ceremony_restart":
        return client.post(f"{base}/restart", data={"reason": "执行方密钥持有人未到场"})
    if endpoint == "bidding.ceremony_fail":
        return client.post(f"{base}/fail", data={"reason": "密钥持有人无法到场，投标文件无法解密"})
    if endpoint == "bidding.ceremony_postpone":
        return client.post(f"{base}/postpone", data={"reason": "密钥持有人无法到场", "opening_at": "2026-04-20T09:30"})
    raise AssertionError(route)


#: (endpoint, method) -> (a user with the right role, a user of a wrong role or branch)
MATRIX = {
    ("bidding.ceremony_page", "GET"): ("tenderer", "other_tenderer"),
    ("bidding.ceremony_state", "GET"): ("bidder", "bidder_d"),  # bidder_d did not bid
    ("bidding.ceremony_start", "POST"): ("staff", "supervisor"),
    ("bidding.ceremony_share", "GET"): ("staff2", "social"),
    ("bidding.ceremony_release", "POST"): ("staff2", "social"),  # social supervises but holds no share
    ("bidding.ceremony_complete", "POST"): ("staff", "decider"),
    ("bidding.ceremony_object", "POST"): ("bidder", "staff"),
    ("bidding.ceremony_answer", "POST"): ("staff", "supervisor"),
    ("bidding.ceremony_sign", "POST"): ("social", "staff"),
    ("bidding.ceremony_restart", "POST"): ("staff", "decider"),
    ("bidding.ceremony_fail", "POST"): ("decider", "staff"),
    ("bidding.ceremony_postpone", "POST"): ("decider", "supervisor"),
}


def test_matrix_names_every_ceremony_page_route(app):
    rules = {(r.endpoint, m) for r in app.url_map.iter_rules()
             if r.endpoint.startswith("bidding.ceremony") for m in r.methods - {"HEAD", "OPTIONS"}}
    assert rules == CEREMONY_PAGES == set(MATRIX)


@pytest.mark.parametrize("kind", ["anonymous", "wrong", "right"])
@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda r: f"{r[1]} {r[0]}")
def test_ceremony_page_matrix(route, kind, db, client, scene):
    right, wrong = MATRIX[route]
    if kind != "anonymous":
        login(client, right if kind == "right" else wrong)
    response = _request(client, route, scene)
    if kind == "anonymous":
        assert response.status_code == 302
        assert response.headers["Location"].split("?")[0].endswith("/login")
    elif kind == "wrong":
        assert response.status_code == 403, _text(response)[:300]
    else:
        assert response.status_code in (200, 302), _text(response)[:500]
        if response.status_code == 302:
            assert response.headers["Location"].split("#")[0].endswith(_page(scene["trade"]))
        if route[1] == "POST":  # the service ran (or refused with a readable reason), never a permission error
            page = client.get(response.headers["Location"])
            assert page.status_code == 200 and _flashes(_text(page), "(?:success|error)")


def test_answer_of_another_trades_objection_is_404(db, client, scene, make_trade):
    other = make_trade(paper_bids=False)
    login(client, "staff")
    url = f"/bidding/trades/{other.id}/ceremony/objections/{scene['objection']}/answer"
    assert client.post(url, data={"text": "x"}).status_code == 404
    assert client.post(f"{_page(scene['trade'])}/objections/999/answer", data={"text": "x"}).status_code == 404


# ---- the whole opening through the pages -------------------------------------------------------------

def _post(client, url: str, data: dict | None = None) -> str:
    response = client.post(url, data=data or {}, follow_redirects=True)
    assert response.status_code == 200
    return _text(response)


def _release_from_page(client, trade, who: str) -> str:
    """What the page script does: fetch the sealed share with the session, open it on the keyholder's
    side, post only the share (the passphrase field has no name)."""
    material = client.get(f"{_page(trade)}/share").get_json()
    share = holder_side.release(bytes.fromhex(material["wrapped_key"]), PASSPHRASES[who],
                                bytes.fromhex(material["sealed_share"]), material["context"].encode())
    return _post(client, f"{_page(trade)}/shares", data={"share": share.hex()})


def test_full_opening_through_the_pages(db, client, sealed_trade, bidders, clock):
    trade, base = sealed_trade, _page(sealed_trade)
    _bid_all(client, trade, bidders)

    # a bidder who bid watches; the page script polls the state endpoint
    login_en(client, "bidder")
    html = _text(client.get(base))
    assert trade.title in html and trade.ref in html
    assert f'data-deadline="{trade.opening_at.isoformat()}"' in html
    assert f'data-state-url="{base}/state"' in html and 'aria-live="polite"' in html
    assert "/static/js/ceremony-page.js" in html and "<script>" not in html and "onclick" not in html
    assert "Waiting for the centre staff to start the opening." in html
    assert 'id="objection-text"' in html  # the bidder's form, shown by the script once the opening runs
    assert "Start the opening" not in html and 'id="passphrase"' not in html and 'id="dissent"' not in html

    # staff: refused before the opening time, with the service's reason
    clock.freeze(trade.opening_at - timedelta(minutes=1))
    login_en(client, "staff")
    html = _text(client.get(base))
    assert "Start the opening" in html and "Open all bids" in html and 'id="passphrase"' in html
    assert 'name="passphrase"' not in html  # the field exists for the page script; no form posts it
    early = _post(client, f"{base}/start")
    assert any("Not yet: the opening starts at" in m for m in _flashes(early, "error")), _flashes(early, "error")
    db.session.expire_all()
    assert trade.state is TradeState.BIDDING  # the deadline (= the opening time) has not come either
    assert any("has not started" in m for m in _flashes(_post(client, f"{base}/complete"), "error"))

    clock.freeze(trade.opening_at)
    started = _post(client, f"{base}/start")
    assert _flashes(started, "success") == ["The opening has started. The keyholders may now release their shares."]
    assert 'data-phase="open"' in started
    db.session.expire_all()
    assert trade.state is TradeState.OPENING

    # a form that still posts a passphrase is turned away unread; bytes that are no share are said plainly
    old_form = _post(client, f"{base}/shares", data={"passphrase": "not my passphrase at all"})
    assert any("no longer accepts passphrases" in m for m in _flashes(old_form, "error"))
    assert "not my passphrase at all" not in old_form
    garbage = _post(client, f"{base}/shares", data={"share": "zz"})
    assert _flashes(garbage, "error") == ["Share: is not an opening-key share (PRKS version 1, 72 bytes)"]
    too_soon = _post(client, f"{base}/complete")
    assert any("Not enough shares released: 2 more executing and 1 more supervising" in m
               for m in _flashes(too_soon, "error"))
    for who in ("staff", "staff2", "supervisor"):
        login_en(client, who)
        done = _release_from_page(client, trade, who)
        assert _flashes(done, "success") == ["Your share is released."], who
        assert PASSPHRASES[who] not in done
    again = _post(client, f"{base}/shares", data={"share": opened_share(bidders["supervisor"], trade).hex()})
    assert _flashes(again, "error") == ["You have already released your share."]

    # an objection while it is under way, and its answer
    login_en(client, "bidder")
    empty = _post(client, f"{base}/objections", data={"text": "   "})
    assert _flashes(empty, "error") == ["Text: may not be empty"]
    lodged = _post(client, f"{base}/objections", data={"text": "第二家报价未当场宣读"})
    assert _flashes(lodged, "success") and "第二家报价未当场宣读" in lodged and "Your organisation" in lodged
    objection = db.session.scalar(sa.select(Objection))
    login_en(client, "staff")
    html = _text(client.get(base))
    answer_url = f"{base}/objections/{objection.id}/answer"
    assert "第二家报价未当场宣读" in html and f'action="{answer_url}"' in html
    answered = _post(client, answer_url, data={"text": "已补充宣读"})
    assert _flashes(answered, "success") == ["Your answer has been recorded."] and "已补充宣读" in answered
    assert _flashes(_post(client, answer_url, data={"text": "again"}), "error") == [
        "This objection has already been answered."]

    # open all bids: the results and the record
    opened = _post(client, f"{base}/complete")
    assert _flashes(opened, "success") == ["Every bid has been opened and the opening record written."]
    for who, price in PRICES.items():
        assert bidders[who].organisation.name in opened
    for shown in ("¥4,815,000.00", "¥4,700,000.50", "¥4,999,999.99"):
        assert shown in opened
    assert "Duration (days): 360" in opened and opened.count('data-status="opened"') == 3
    assert f"/api/v1/trades/{trade.id}/opening-record.pdf" in opened
    assert "Bids opened" in opened
    db.session.expire_all()
    assert trade.state is TradeState.OPENED

    # a bidder may object to the results until the record is signed
    login_en(client, "bidder_b")
    after = _post(client, f"{base}/objections", data={"text": "第2家报价有误"})
    assert _flashes(after, "success")

    # a supervisor of the centre neither drawn for the trade nor its keyholder: the signature would not count
    login_en(client, "social")
    refused = _post(client, f"{base}/signatures", data={"dissent": "x"})
    assert _flashes(refused, "error") == [
        "Only the supervisors drawn for this trade who have not stepped aside, and its appointed supervising "
        "keyholders, sign the opening record."]
    # the supervising keyholder signs, with a dissent; then only once
    login_en(client, "supervisor")
    html = _text(client.get(base))
    assert "Sign the record" in html and 'id="dissent"' in html
    unsigned = _post(client, f"{base}/signatures", data={"dissent": "第3家报价单位未当场宣读"})
    assert _flashes(unsigned, "error")[0].startswith("Signed statement: is required")
    signed = _post(client, f"{base}/signatures", data={"dissent": "第3家报价单位未当场宣读", **page_signed(
        client, "opening-record", trade_id=trade.id, dissent="第3家报价单位未当场宣读")})
    assert _flashes(signed, "success") == ["You have signed the opening record."]
    assert "第3家报价单位未当场宣读" in signed and "You have signed this record." in signed
    assert 'id="dissent"' not in signed
    login_en(client, "bidder_b")
    late = _post(client, f"{base}/objections", data={"text": "too late"})
    assert _flashes(late, "error") == ["Objections are raised during the opening, until the supervisors sign the record."]
    login_en(client, "supervisor")
    assert _flashes(_post(client, f"{base}/signatures"), "error") == ["You have already signed this record."]
    rows = db.session.scalars(sa.select(RecordSignature).order_by(RecordSignature.id)).all()
    assert [(r.user_id, r.dissent) for r in rows] == [(bidders["supervisor"].id, "第3家报价单位未当场宣读")]


def test_state_endpoint_returns_what_the_api_returns(db, client, sealed_trade, bidders, clock):
    trade = sealed_trade
    _bid_all(client, trade, bidders)
    clock.freeze(trade.opening_at)

    def both(who: str):
        login(client, who)
        page = client.get(f"{_page(trade)}/state")
        api = client.get(f"/api/v1/trades/{trade.id}/ceremony", headers=api_headers(client, who))
        assert page.status_code == api.status_code == 200
        assert page.is_json and page.headers["Cache-Control"] == "no-store"
        return page.get_json(), api.get_json()

    page, api = both("staff")
    assert page == api and page["started"] is False and page["entries"] is None
    ceremony.start_ceremony(bidders["staff"], trade)
    ceremony.lodge_objection(bidders["bidder"], trade, "异议")
    for who in PASSPHRASES:
        ceremony.release_share(bidders[who], trade, opened_share(bidders[who], trade))
    db.session.commit()
    for who in ("staff", "bidder", "bidder_b", "tenderer"):  # bidder_b sees the objection, not who raised it
        page, api = both(who)
        assert page == api, who
    assert page["sides"]["execute"]["released"] == 2 and page["sides"]["supervise"]["released"] == 1
    ceremony.complete_ceremony(bidders["staff"], trade)
    db.session.commit()
    page, api = both("bidder_b")
    assert page == api
    assert sorted(e["price"] for e in page["entries"]) == sorted(PRICES.values())
    login(client, "bidder_d")
    assert client.get(f"{_page(trade)}/state").status_code == 403
