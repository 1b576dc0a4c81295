"""A failed opening (流标) is shown as a failure, with its reason, and no bid as plainly "opened"."""
from __future__ import annotations

import re

from tests.bidding.ceremony.test_ceremony import _bid_all, _open, bidders, sealed_trade  # noqa: F401 (fixtures)
from tests.conftest import login


def test_failed_opening_page_shows_the_failure_and_its_reason(db, client, sealed_trade, bidders, clock):  # noqa: F811
    prices = {"bidder": "4815000.00", "bidder_b": "4700000.00", "bidder_c": "4600000.00"}
    _bid_all(client, sealed_trade, bidders, prices, bidder_c="foreign_key")  # two valid of the three required
    state = _open(client, sealed_trade, clock)
    assert state["outcome"] == "failed"
    login(client, "staff")
    html = client.get(f"/bidding/trades/{sealed_trade.id}/ceremony?lang=en").get_data(as_text=True)
    phase = re.search(r'<p id="c-phase" class="([^"]+)">([^<]*)</p>', html)
    assert "failed" in phase.group(1).split() and "failed" in phase.group(2)
    assert "The bids have been opened." not in phase.group(2)
    reason = re.search(r'<span id="c-reason">([^<]*)</span>', html).group(1)
    assert reason.strip()  # the reason is shown (in the reader's language once stored texts are translated)
    hint = re.search(r'id="c-finished-hint"[^>]*>([^<]*)<', html, re.S).group(1)
    assert "The opening is complete." not in hint
    shown = re.findall(r'<td class="status-cell" data-shown="([a-z_]+)">', html)
    assert len(shown) == 3 and "opened" not in shown
    assert shown.count("opened_failed") == 2 and "Decrypted, but the opening failed" in html
