"""The live timed bidding round in real headless Chromium, with CSRF on: three bidders, each in their own
browser context (one on a phone), and a watching supervisor (in English). Bids by "+1 increment" and by a
typed amount show on every screen without a reload (the audit stream), each bidder's own paddle
highlighted, also after the streams drop and the browsers resume them with Last-Event-ID; a typed
amount between two levels is refused with the server's reason; the server clock is
then moved past the countdown's end, the tick closes the round and every screen names the winner."""
from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from bidding.auctions import services as auctions
from bidding.auctions.live import services as live
from bidding.auctions.live.models import RoundState
from bidding.deposits.services import record_deposit
from tests.conftest import PASSWORD, START
from tests.e2e.conftest import shot
from tests.e2e.test_bid_page import sign_in
from trading.accounts.models import OrgKind
from trading.accounts.roles import Role
from trading.accounts.services import create_organisation, create_user
from trading.accounts.uscc import make_uscc
from trading.centres.models import Centre
from trading.extensions import db
from trading.trades import services as trades

pytestmark = pytest.mark.e2e

ISSUE = START + timedelta(days=1)
LISTING_FROM = ISSUE + timedelta(days=20)
CLOSE = LISTING_FROM + timedelta(days=10)
START_PRICE, STEP = Decimal("10000000.00"), Decimal("100000.00")
BUYERS = ("buyer1", "buyer2", "buyer3")


@pytest.fixture
def live_round(live_app, clock):
    """A land listing whose three qualified buyers quoted, at its close: the round started and entered."""
    with live_app.app_context():
        land = db.session.scalar(sa.select(Centre).where(Centre.code == "LAND"))
        seller = create_organisation("市自然资源和规划局", OrgKind.TENDERER, make_uscc("91330100MA2D00001"))
        staff = create_user("land_staff", PASSWORD, "陈执行", None, [(Role.CENTRE_STAFF, land.id)])
        decider = create_user("land_decider", PASSWORD, "王决策", None, [(Role.DECISION_MAKER, land.id)])
        supervisor = create_user("land_supervisor", PASSWORD, "周监督", None, [(Role.ADMIN_SUPERVISOR, land.id)])
        staff2 = create_user("land_staff2", PASSWORD, "李执行", None, [(Role.CENTRE_STAFF, land.id)])
        buyers = {}
        for n, name in enumerate(BUYERS, start=2):
            org = create_organisation(f"竞买公司{n}", OrgKind.BIDDER, make_uscc(f"91330100MA2D0000{n}"))
            buyers[name] = create_user(name, PASSWORD, f"竞买人{n}", org, [(Role.BIDDER, None)])
        trade = trades.create_trade(staff, {
            "centre_id": land.id, "method": "land_listing", "tenderer_id": seller.id, "title": "C-07地块国有建设用地使用权",
            "estimated_price": START_PRICE, "bid_security": Decimal("2000000.00"), "issue_at": ISSUE,
            "listing_from": LISTING_FROM, "bid_deadline": CLOSE})
        auctions.set_terms(staff, trade, STEP, countdown_seconds=60)
        from tests.bidding.auctions.keyholding import appoint

        appoint(decider, trade, [staff, staff2], [supervisor])  # its reserve is sealed to the opening key
        for move, who in (("submit", staff), ("approve", decider), ("publish", staff)):
            trades.move(trade, move, who)
        db.session.commit()
        clock.freeze(ISSUE + timedelta(hours=1))
        regs = {}
        for name, user in buyers.items():
            reg = auctions.register(user, trade)
            deposit = record_deposit(staff, trade, user.organisation_id, trade.bid_security,
                                     payer_account=f"6222 0000 {user.id:04d}")
            regs[name] = auctions.qualify(staff, reg, deposit).paddle
        clock.freeze(LISTING_FROM)
        trades.advance_due()
        for n, name in enumerate(BUYERS):
            auctions.quote(buyers[name], trade, START_PRICE + n * STEP)  # buyer3 leads the listing
        db.session.commit()
        clock.freeze(CLOSE)
        live.start_round(staff, trade)
        for name in BUYERS:
            live.confirm(buyers[name], trade)
        db.session.commit()
        assert live.round_of(trade).state is RoundState.OPEN
        return trade.id, regs


def _money(amount: Decimal) -> str:
    return f"¥{amount:,.2f}"


def test_three_bidders_and_a_supervisor_watch_one_round_to_its_end(live_app, live_round, browser, clock):
    trade_id, paddles = live_round
    base = live_app.base_url
    live_app.config.update(LIVE_MAX_SECONDS=2.0, LIVE_RETRY_MS=1000)  # streams drop every 2 s
    target = f"/trades/{trade_id}/auction"
    pages = {}
    for name in BUYERS:
        viewport = {"width": 390, "height": 844} if name == "buyer3" else {"width": 1280, "height": 900}
        context = browser.new_context(locale="zh-CN", viewport=viewport)
        pages[name] = context.new_page()
    pages["supervisor"] = browser.new_context(locale="en", viewport={"width": 1280, "height": 900}).new_page()
    errors = []
    for name, page in pages.items():
        page.on("pageerror", lambda exc, n=name: errors.append((n, str(exc))))
        sign_in(page, base, "land_supervisor" if name == "supervisor" else name, target)
    pages["supervisor"].goto(f"{base}{target}?lang=en")
    everyone = list(pages.values())
    for page in everyone:
        page.wait_for_selector("#auction[data-synced]")  # the stream is open and the board fetched
    price = START_PRICE + 2 * STEP
    assert pages["buyer1"].inner_text("#a-price") == _money(price)
    assert pages["buyer1"].inner_text("#a-upper") == "壹仟零贰拾万元整"
    assert pages["buyer1"].inner_text("#a-my-paddle") == str(paddles["buyer1"])
    assert pages["supervisor"].locator("#a-plus-one").count() == 0
    assert pages["buyer3"].is_disabled("#a-plus-one")  # the listing's leader waits for a higher bid

    # buyer1: "+1 increment"
    pages["buyer1"].click("#a-plus-one")
    price += STEP
    for page in everyone:
        expect(page.locator("#a-price")).to_have_text(_money(price))
        page.wait_for_selector('#a-log tr[data-seq="1"]')
        assert page.inner_text("#a-leader") == str(paddles["buyer1"])
    assert pages["buyer1"].get_attribute('#a-log tr[data-seq="1"]', "class") == "mine"
    assert pages["buyer2"].get_attribute('#a-log tr[data-seq="1"]', "class") is None
    assert "接受" in pages["buyer1"].inner_text("#a-message")
    expect(pages["supervisor"].locator("#a-upper")).to_have_text("壹仟零叁拾万元整")
    left = pages["supervisor"].inner_text("#a-countdown")
    assert re.fullmatch(r"0[01]:\d\d", left) and int(left[:2]) * 60 + int(left[3:]) > 40, left

    # the streams are cut (as a proxy or a phone's network would) and every browser reconnects by itself
    # with Last-Event-ID; a bid made while they are away reaches every screen all the same
    reconnects = {}
    for name, page in pages.items():
        for _ in range(5):  # a stream that dropped before the bid reached it resumes from the page's render
            with page.expect_request(lambda r: "/live/trades/" in r.url, timeout=20_000) as request:
                pass
            reconnects[name] = request.value.all_headers().get("last-event-id")
            if reconnects[name]:
                break
    assert all(reconnects.values()), reconnects
    price += 3 * STEP
    pages["buyer2"].fill("#a-amount", f"{price:.2f}")
    pages["buyer2"].click("#a-bid")
    for page in everyone:
        expect(page.locator("#a-price")).to_have_text(_money(price))
        page.wait_for_selector('#a-log tr[data-seq="2"]')
    assert pages["buyer2"].get_attribute('#a-log tr[data-seq="2"]', "class") == "mine"

    # buyer3, on the phone: an amount between two levels is refused, the reason shown; then "+1"
    pages["buyer3"].fill("#a-amount", f"{price + STEP + 1:.2f}")
    pages["buyer3"].click("#a-bid")
    pages["buyer3"].wait_for_selector("#a-message:not([hidden])")
    refusal = pages["buyer3"].inner_text("#a-message")
    assert "整数倍" in refusal and _money(price) in refusal
    width = pages["buyer3"].evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width  # nothing wider than the phone
    pages["buyer3"].click("#a-plus-one")
    price += STEP
    for page in everyone:
        page.wait_for_selector('#a-log tr[data-seq="3"]')
        expect(page.locator("#a-price")).to_have_text(_money(price))
    shot(pages["buyer3"], "auction-bidder-phone")

    # the countdown's end: the server clock moves past it, the tick closes the round
    with live_app.app_context():
        from trading.trades.models import Trade

        rnd = live.round_of(db.session.get(Trade, trade_id))
        clock.freeze(rnd.ends_at + timedelta(seconds=live.CLOSE_GRACE_SECONDS))
        assert live.run_due() != []
    winner_zh = f"号牌 {paddles['buyer3']}"
    for name, page in pages.items():
        page.wait_for_selector("#a-winner:not([hidden])")
        text = page.inner_text("#a-winner")
        if name == "supervisor":
            assert f"Paddle {paddles['buyer3']} wins at {_money(price)}" in text, text
        else:
            assert winner_zh in text and _money(price) in text, text
    assert pages["buyer1"].is_disabled("#a-plus-one")
    shot(pages["supervisor"], "auction-supervisor")
    assert errors == []
