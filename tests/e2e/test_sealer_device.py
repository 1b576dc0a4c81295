"""The browser sealer's device id in real headless Chromium: made once per browser, kept in localStorage,
sent with every upload (X-Sealer-Device) and stored beside each bid; another browser has its own."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from bidding.collusion.models import BidSighting
from bidding.submission.models import Bid
from tests.e2e.test_bid_page import bidding_trade, sign_in  # noqa: F401  (a fixture)
from trading.extensions import db

pytestmark = pytest.mark.e2e
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def _seal(page, price: str) -> None:
    page.wait_for_selector("#bid-form[data-ready=true]")
    version = page.get_attribute("#bid-form", "data-version")
    page.fill("#price", price)
    page.fill("#duration_days", "360")
    page.click("#seal-submit")
    page.wait_for_selector(f"#bid-form:not([data-version='{version}'])", timeout=60_000)


def test_the_page_sends_its_device_id_with_each_upload(live_app, bidding_trade, new_page):  # noqa: F811
    base, trade_id = live_app.base_url, bidding_trade["id"]
    target = f"/bidding/trades/{trade_id}/bid"
    page = new_page()
    sent: list[str | None] = []
    page.on("request", lambda r: sent.append(r.headers.get("x-sealer-device")) if r.method == "POST"
            and r.url.endswith("/bids") else None)
    sign_in(page, base, "bidder", target)
    _seal(page, "4815000.00")
    _seal(page, "4790000.00")  # a second version from the same browser
    kept = page.evaluate("window.localStorage.getItem('prt.sealer-device')")
    assert UUID.match(kept) and sent == [kept, kept]

    other = new_page()  # another browser profile: its own id
    other.goto(f"{base}/login")
    other.evaluate("localStorage.clear()")
    with live_app.app_context():
        rows = db.session.execute(sa.select(BidSighting, Bid).join(Bid, Bid.id == BidSighting.bid_id)
                                  .order_by(Bid.version)).all()
        assert [(b.version, s.device_id) for s, b in rows] == [(1, kept), (2, kept)]
        assert all(s.user_agent and "HeadlessChrome" in s.user_agent and s.address == "127.0.0.1" for s, _b in rows)
    sign_in(other, base, "bidder", target)
    _seal(other, "4780000.00")
    theirs = other.evaluate("window.localStorage.getItem('prt.sealer-device')")
    assert UUID.match(theirs) and theirs != kept and sent[-1] == kept  # `sent` listens to the first page only
