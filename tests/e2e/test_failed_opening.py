"""A failed opening (流标) seen live in Chromium by a bidder who watches from before the start: the page,
never reloaded, turns to a failure with its reason, and no bid reads plainly "opened"."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from bidding.submission.models import Bid
from tests.bidding.conftest import release
from tests.conftest import api_headers
from tests.e2e.test_bid_page import sign_in
from tests.e2e.test_ceremony_page import BIDDERS, PASSPHRASES, opening_trade  # noqa: F401 (fixture)
from tests.e2e.conftest import shot
from trading.accounts.models import User
from trading.blobs import blob_store
from trading.extensions import db
from trading.trades.models import Trade

pytestmark = pytest.mark.e2e


def test_watcher_sees_a_failed_opening_as_a_failure(live_app, opening_trade, new_page):  # noqa: F811
    from playwright.sync_api import expect

    trade_id = opening_trade["id"]
    watch = new_page("en")
    watch.goto(f"{live_app.base_url}/lang/en")
    sign_in(watch, live_app.base_url, "bidder", f"/bidding/trades/{trade_id}/ceremony")
    watch.wait_for_selector("#ceremony[data-polled]")
    assert watch.get_attribute("#ceremony", "data-phase") == "waiting"

    client = live_app.test_client()
    url = f"/api/v1/trades/{trade_id}/ceremony"
    assert client.post(url, headers=api_headers(client, "staff")).status_code == 201
    with live_app.app_context():
        for who, phrase in PASSPHRASES.items():
            assert release(client, db.session.get(Trade, trade_id), who, phrase).status_code == 201
        # the platform lost one company's envelope: withdrawn (O20 Art 31), two valid of the three required
        lost = db.session.scalar(sa.select(Bid).join(User, User.id == Bid.submitted_by_id)
                                 .where(User.username == "bidder_c"))
        blob_store().path(lost.sha256).unlink()
    done = client.post(f"{url}/complete", headers=api_headers(client, "staff"))
    assert done.status_code == 200 and done.get_json()["outcome"] == "failed", done.get_json()

    expect(watch.locator("#c-phase")).to_have_class("status phase-finished failed", timeout=15_000)
    assert "The bids have been opened." not in watch.inner_text("#c-phase")
    assert watch.inner_text("#c-reason").strip()  # the reason, as the record states it
    expect(watch.locator("#c-entries tbody tr")).to_have_count(len(BIDDERS))
    shown = watch.eval_on_selector_all("#c-entries td.status-cell", "cells => cells.map(c => c.dataset.shown)")
    assert "opened" not in shown and shown.count("opened_failed") == 2, shown
    shot(watch, "ceremony-failed")
