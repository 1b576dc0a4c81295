"""The supervision dashboard in Chromium: a supervisor watches the live feed while a clerk creates a
trade and submits it over the HTTP API; the lines appear at the top, worded as the server words
them, and the panels follow. Saves test-artifacts/dashboard.png for the README tour."""
from __future__ import annotations

import json
import urllib.parse
import urllib.request
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.conftest import START, tender_timeline
from tests.e2e.conftest import shot
from tests.e2e.test_bid_page import sign_in
from trading.accounts.models import OrgKind
from trading.accounts.roles import Role
from trading.accounts.services import create_organisation, create_user, issue_token
from trading.accounts.uscc import make_uscc
from trading.centres.models import Centre
from trading.extensions import db
from trading.trades import services as trades

pytestmark = pytest.mark.e2e
PASSWORD = "test-pass-123"


@pytest.fixture
def platform(live_app, clock):
    """A WORKS supervisor, a clerk with a token, a tenderer, and a few trades at different stages."""
    import sqlalchemy as sa

    from bidding.ceremony.models import OpeningCeremony
    from trading.clock import now

    with live_app.app_context():
        works = db.session.scalar(sa.select(Centre).where(Centre.code == "WORKS"))
        tenderer = create_organisation("市城建投资有限公司", OrgKind.TENDERER, make_uscc("91330100MA0000101"))
        create_user("supervisor", PASSWORD, "周监督", None, [(Role.ADMIN_SUPERVISOR, works.id)],
                    email="sup@test.invalid")
        staff = create_user("staff", PASSWORD, "王经办", None, [(Role.CENTRE_STAFF, works.id)],
                            email="staff@test.invalid")
        decider = create_user("decider", PASSWORD, "李决策", None, [(Role.DECISION_MAKER, works.id)],
                              email="dec@test.invalid")
        db.session.commit()
        made = []
        for i, title in enumerate(("城东道路改造工程", "滨江公园景观工程", "第二中学教学楼工程")):
            trade = trades.create_trade(staff, {
                "centre_id": works.id, "method": "works_open_tender", "tenderer_id": tenderer.id, "title": title,
                "description": "", "estimated_price": Decimal("5000000.00") + i, "paper_bids": True,
                **tender_timeline(START + timedelta(days=1))})
            made.append(trade)
        trades.move(made[1], "submit", staff)
        trades.move(made[2], "submit", staff)
        trades.move(made[2], "approve", decider)
        opening = trades.create_trade(staff, {
            "centre_id": works.id, "method": "works_open_tender", "tenderer_id": tenderer.id,
            "title": "市政排水管网工程", "description": "", "estimated_price": Decimal("8000000.00"), "paper_bids": True,
            **tender_timeline(START)})
        for move, who in (("submit", staff), ("approve", decider), ("publish", staff)):
            trades.move(opening, move, who)
        db.session.add(OpeningCeremony(trade_id=opening.id, started_at=now()))
        token, _row = issue_token(staff)
        db.session.commit()
        return {"token": token, "centre_id": works.id, "tenderer_id": tenderer.id, "opening_id": opening.id}


def _api(base: str, method: str, path: str, token: str, body: dict) -> dict:
    request = urllib.request.Request(f"{base}{path}", method=method, data=json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_the_feed_shows_a_change_as_it_happens(live_app, platform, new_page):
    from playwright.sync_api import expect

    base = live_app.base_url
    problems: list[str] = []
    page = new_page()
    page.on("console", lambda m: problems.append(f"{m.text} {(m.location or {}).get('url', '')}")
            if m.type == "error" and "favicon" not in (m.location or {}).get("url", "") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    sign_in(page, base, "supervisor", "/monitor/")
    page.wait_for_selector("#dashboard[data-stream=open]")
    assert page.get_attribute("#feed", "aria-live") == "polite"
    assert page.locator("#ceremonies-now li").count() == 1
    before = int(page.locator('#panel-stages td.total').inner_text())

    # a clerk creates a trade and submits it, over HTTP, while the supervisor watches
    tl = {k: v.isoformat() for k, v in tender_timeline(START + timedelta(days=1)).items()}
    created = _api(base, "POST", "/api/v1/trades", platform["token"], {
        "centre_id": platform["centre_id"], "method": "works_open_tender", "tenderer_id": platform["tenderer_id"],
        "title": "北区供水管道工程", "estimated_price": "3200000.00", **tl})
    _api(base, "POST", f"/api/v1/trades/{created['id']}/transitions", platform["token"], {"move": "submit"})
    moves = page.locator(f"#feed li[data-action='trade_transitions.insert']:has(a.ref:text-is('{created['ref']}'))")
    expect(moves).to_have_count(2, timeout=10_000)  # created (draft), then submitted
    submitted = moves.first  # newest first
    assert int(page.locator("#feed li").first.get_attribute("data-index")) >= int(submitted.get_attribute("data-index"))
    text = submitted.locator(".summary").inner_text()
    assert "草稿 → 待审批" in text  # Draft -> Submitted for approval, in Chinese
    index = submitted.get_attribute("data-index")

    # the panels follow: one more trade counted
    expect(page.locator("#panel-stages td.total")).to_have_text(str(before + 1))
    shot(page, "dashboard")

    # the script wrote the line as the server writes it
    page.reload()
    page.wait_for_selector("#dashboard[data-stream=open]")
    assert page.locator(f"#feed li[data-index='{index}'] .summary").inner_text() == text
    assert problems == []


def test_english_dashboard(live_app, platform, new_page):
    base = live_app.base_url
    page = new_page("en-US")
    sign_in(page, base, "supervisor", "/monitor/?lang=en")
    page.wait_for_selector("#dashboard[data-stream=open]")
    assert page.locator("h1").inner_text() == "Supervision dashboard"
    assert page.locator("#feed-status").inner_text().startswith("Live")
    assert "Trade moved · Draft → Submitted for approval" in page.locator("#feed").inner_text()


#: In the page: the order of state fetches ("state"), the stream opening ("open") and stream events ("event").
ORDER_SCRIPT = """
window.__order = [];
const fetched = window.fetch;
window.fetch = (url, ...rest) => {
  if (String(url).endsWith("/ceremony/state")) window.__order.push("state");
  return fetched(url, ...rest);
};
new MutationObserver((changes) => {
  for (const c of changes) {
    if (c.attributeName === "data-stream" && c.target.dataset.stream === "open") window.__order.push("open");
    if (c.attributeName === "data-stream-events") window.__order.push("event");
  }
}).observe(document, {subtree: true, attributes: true, attributeFilter: ["data-stream", "data-stream-events"]});
"""


def test_the_ceremony_page_refreshes_on_the_trades_stream(live_app, platform, new_page):
    """A supervisor of the centre gets every entry of the trade on its stream, so the page polls only
    every 15 s and fetches the state again as soon as an entry arrives. No clock is read: here the slow
    poll is made ten minutes long, so a fetch that follows the event can only be the event's."""
    base = live_app.base_url
    trade_id = platform["opening_id"]
    page = new_page()

    def slow_poll(route):
        response = route.fetch()
        body = response.text()
        assert 'data-slow-interval="15000"' in body
        route.fulfill(response=response, body=body.replace('data-slow-interval="15000"',
                                                           'data-slow-interval="600000"'))

    path = f"/bidding/trades/{trade_id}/ceremony"
    page.route(lambda url: urllib.parse.urlsplit(url).path == path, slow_poll)
    page.add_init_script(ORDER_SCRIPT)
    sign_in(page, base, "supervisor", f"/bidding/trades/{trade_id}/ceremony")
    page.wait_for_selector("#ceremony[data-stream=open]")
    assert page.get_attribute("#ceremony", "data-stream-complete") == "true"
    # the fetch the page makes when its stream opens (for what changed before): after it, only events fetch
    page.wait_for_function("() => window.__order.indexOf('state', window.__order.indexOf('open')) > 0",
                           timeout=30_000)
    # the clerk reads the list of bidders: a logged sensitive read of this trade (a centre entry)
    request = urllib.request.Request(f"{base}/api/v1/trades/{trade_id}/bids",
                                     headers={"Authorization": f"Bearer {platform['token']}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    page.wait_for_selector("#ceremony[data-stream-events]", timeout=30_000)
    page.wait_for_function("() => window.__order.indexOf('state', window.__order.indexOf('event')) > 0",
                           timeout=30_000)
    order = page.evaluate("window.__order")
    opened, event = order.index("open"), order.index("event")
    assert order[opened:event].count("state") == 1 and "state" in order[event:], order  # no poll between
