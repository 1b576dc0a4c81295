"""A competitive negotiation in real headless Chromium, with CSRF on: the clerk starts the rounds, the panel (two
experts and the purchaser's representative, each in their own browser context) writes to one supplier, the
purchaser changes the requirements for all, three suppliers (one on a phone) read their own thread only and the
change, the panel calls for final quotes, each supplier seals its final quote in its browser (WebCrypto, the bid
sealer) and the clerk opens them after the deadline; the lowest final price among those meeting the
requirements ranks first.

Set up before the browsers open (the stage the demo also starts from): the responses sealed to the trade's opening
key and opened at a ceremony by the keyholders' sides, the panel seated. The keyholders' second release (for the
final quotes) is made by their machines' code (bidding.keyholders.client) through the service, as the demo does:
the browser release itself is the ceremony page's script, tested in tests/e2e/test_ceremony_page.py."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import current_app
from playwright.sync_api import expect

from bidding.evaluation import services as evaluation
from bidding.evaluation.models import SeatKind
from bidding.keyholders import client as holder_side, services as keyholding
from bidding.scoring import services as scoring
from procurement.negotiation import quotes, services
from tests.conftest import PASSWORD, START
from tests.e2e.conftest import shot
from tests.e2e.test_bid_page import sign_in
from trading.accounts.models import OrgKind, User
from trading.accounts.roles import Role
from trading.accounts.services import create_organisation, create_user
from trading.accounts.uscc import make_uscc
from trading.centres.models import Centre
from trading.clock import local_tz, now
from trading.demo_stages import (DEMO_PASSPHRASE, open_with_keyholders_unsigned, publish_sealed,
                                 submit_sealed_bid)
from trading.extensions import db
from trading.trades import services as trades
from trading.trades.models import Trade

pytestmark = pytest.mark.e2e

ISSUE = START + timedelta(hours=1)
DEADLINE = (ISSUE + timedelta(days=8)).replace(hour=9, minute=30)  # 09:30 CST
SUPPLIERS = {"sup_a": ("甲科技有限公司", "768000.00"), "sup_b": ("乙信息技术有限公司", "745500.00"),
             "sup_c": ("丙数据服务有限公司", "779900.00")}
FINALS = {"sup_a": "719000.00", "sup_b": "728800.00", "sup_c": "733000.00"}


@pytest.fixture
def sitting(live_app, clock):
    """The negotiation's responses opened, the panel seated (two experts, the purchaser's representative)."""
    with live_app.app_context():
        proc = db.session.scalar(sa.select(Centre).where(Centre.code == "PROC"))
        bureau = create_organisation("市教育局", OrgKind.TENDERER, make_uscc("11330100MB0000002"))
        users = {
            "staff.proc": create_user("staff.proc", PASSWORD, "赵执行", None, [(Role.CENTRE_STAFF, proc.id)]),
            "staff.proc2": create_user("staff.proc2", PASSWORD, "钟执行", None, [(Role.CENTRE_STAFF, proc.id)]),
            "decider": create_user("decider", PASSWORD, "王决策", None, [(Role.DECISION_MAKER, proc.id)]),
            "supervisor": create_user("supervisor", PASSWORD, "吴监督", None, [(Role.ADMIN_SUPERVISOR, proc.id)]),
            "purchaser": create_user("purchaser", PASSWORD, "林采购", bureau, [(Role.TENDERER, None)]),
            "e1": create_user("e1", PASSWORD, "罗专家", None, [(Role.EXPERT, None)]),
            "e2": create_user("e2", PASSWORD, "马专家", None, [(Role.EXPERT, None)]),
        }
        for n, (name, (company, _price)) in enumerate(SUPPLIERS.items(), start=1):
            org = create_organisation(company, OrgKind.BIDDER, make_uscc(f"91330100MA2E0000{n}"))
            users[name] = create_user(name, PASSWORD, f"{company[0]}经理", org, [(Role.BIDDER, None)])
        for name in ("staff.proc", "staff.proc2", "supervisor"):
            made = holder_side.enrol(DEMO_PASSPHRASE, current_app.config["PERSONAL_KEY_ITERATIONS"])
            keyholding.enrol_personal_key(users[name], made.public_key, made.wrapped_key)
        trade = trades.create_trade(users["staff.proc"], {
            "centre_id": proc.id, "method": "gp_competitive_negotiation", "tenderer_id": bureau.id,
            "title": "教育信息化平台运维服务", "estimated_price": Decimal("780000.00"), "bid_security": None,
            "issue_at": ISSUE, "docs_until": DEADLINE, "bid_deadline": DEADLINE, "opening_at": DEADLINE,
            "paper_bids": False})
        publish_sealed(trade, users, "PROC")
        clock.freeze(ISSUE + timedelta(days=1))
        trades.advance_due()
        for name, (_company, price) in SUPPLIERS.items():
            submit_sealed_bid(trade, users[name], price)
        clock.freeze(DEADLINE + timedelta(seconds=1))
        trades.advance_due()
        clock.freeze(DEADLINE + timedelta(minutes=2))
        open_with_keyholders_unsigned(trade, users)
        trades.move(trade, "start_evaluation", users["staff.proc"])
        for name in ("e1", "e2"):
            evaluation.seat_member(users["staff.proc"], trade, users[name], SeatKind.EXPERT)
        evaluation.seat_member(users["staff.proc"], trade, users["purchaser"], SeatKind.TENDERER_REP)
        scoring.set_plan(users["staff.proc"], trade, {"method": "lowest_evaluated_price", "subject": "services"})
        db.session.commit()
        return trade.id, {name: u.organisation_id for name, u in users.items() if u.organisation_id}


def _post(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_a_negotiation_from_the_first_round_to_the_result(live_app, clock, new_page, sitting):
    trade_id, orgs = sitting
    base = live_app.base_url
    desk = f"/procurement/trades/{trade_id}/negotiation"
    mine = f"{desk}/mine"

    clerk = new_page()
    sign_in(clerk, base, "staff.proc", desk)
    expect(clerk.locator("#panel-lawful")).to_be_visible()
    _post(clerk, "#start-button")
    expect(clerk.locator("#round-no")).to_have_attribute("data-round", "1")

    # the panel: an expert writes to supplier A only; the purchaser's representative changes the requirements
    expert = new_page()
    sign_in(expert, base, "e1", desk)
    thread_a = expert.locator(f"#thread-{orgs['sup_a']}")
    if thread_a.get_attribute("open") is None:
        thread_a.locator("summary").click()
    thread_a.locator("textarea[name=body]").fill("请确认故障2小时内到场的承诺及驻场人员数量。")
    with expert.expect_navigation():
        thread_a.locator("form:has(input[value=message]) button").click()
    purchaser = new_page()
    sign_in(purchaser, base, "purchaser", desk)
    purchaser.select_option("#kind", "service")
    purchaser.fill("#change-body", "服务期由一年调整为两年，驻场人员不少于2名。")
    _post(purchaser, "#change-button")
    expect(purchaser.locator("#change-list li[data-seq='1']")).to_contain_text("服务期由一年调整为两年")

    # the suppliers: A reads the panel's question and answers; B (on a phone) and C see the change, not A's thread
    a = new_page()
    sign_in(a, base, "sup_a", mine)
    expect(a.locator("#messages")).to_contain_text("故障2小时内到场")
    expect(a.locator("#change-list")).to_contain_text("服务期由一年调整为两年")
    a.fill("#body", "可以满足，驻场2人，故障2小时内到场。")
    _post(a, "#message-button")
    expect(a.locator("#messages li")).to_have_count(2)
    b = new_page()
    b.set_viewport_size({"width": 390, "height": 844})
    sign_in(b, base, "sup_b", mine)
    expect(b.locator("#change-list")).to_contain_text("服务期由一年调整为两年")
    expect(b.locator("#messages")).not_to_contain_text("故障2小时内到场")
    assert b.evaluate("document.documentElement.scrollWidth") <= 390
    c = new_page(locale="en")
    sign_in(c, base, "sup_c", mine)
    c.goto(f"{base}/lang/en")
    c.goto(f"{base}{mine}")
    expect(c.locator("#thread-h")).to_contain_text("Thread with the panel")
    expect(c.locator("#messages")).not_to_contain_text("故障2小时内到场")

    # a second round, then the call for final quotes (server clock: the deadline an hour ahead)
    expert.goto(f"{base}{desk}")
    _post(expert, "#round-button")
    expect(expert.locator("#round-no")).to_have_attribute("data-round", "2")
    with live_app.app_context():
        local = (now() + timedelta(hours=1)).astimezone(local_tz()).strftime("%Y-%m-%dT%H:%M")
    expert.fill("#deadline", local)
    _post(expert, "#call-button")
    expect(expert.locator("#call")).to_be_visible()

    # each supplier seals its final quote in its own browser
    for page, name in ((a, "sup_a"), (b, "sup_b"), (c, "sup_c")):
        page.goto(f"{base}{mine}")
        page.fill("#quote-amount", FINALS[name])
        page.fill("#quote-again", FINALS[name])
        page.click("#quote-button")
        expect(page.locator("#quote-status")).to_contain_text("SHA-256", timeout=15000)
        page.wait_for_load_state("load")
    shot(b, "negotiation-final-quote-phone")

    # after the deadline: the keyholders' machines release their shares, the clerk opens the final quotes
    with live_app.app_context():
        trade = db.session.get(Trade, trade_id)
        clock.freeze(services.call_of(trade).deadline + timedelta(seconds=1))
        for name in ("staff.proc", "staff.proc2", "supervisor"):
            user = db.session.scalar(sa.select(User).where(User.username == name))
            got = quotes.share_for(user, trade)
            share = holder_side.release(bytes.fromhex(got["wrapped_key"]), DEMO_PASSPHRASE,
                                        bytes.fromhex(got["sealed_share"]), got["context"].encode())
            quotes.release_share(user, trade, share)
        db.session.commit()
    clerk.goto(f"{base}{desk}")
    _post(clerk, "#open-button")
    expect(clerk.locator("#opened")).to_be_visible()
    expect(clerk.locator("#quotes")).to_contain_text("719,000.00")
    shot(clerk, "negotiation-opened")

    # the result: each panel member's sheet, then the ranking by the lowest final price
    with live_app.app_context():
        trade = db.session.get(Trade, trade_id)
        for name in ("e1", "e2", "purchaser"):
            scoring.submit_sheet(db.session.scalar(sa.select(User).where(User.username == name)), trade)
        db.session.commit()
        ranking = scoring.final_ranking(trade)
        assert [(r.organisation_id, r.price) for r in ranking] == [
            (orgs[n], Decimal(FINALS[n])) for n in ("sup_a", "sup_b", "sup_c")]
