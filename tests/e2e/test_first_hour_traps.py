"""Traps a newcomer met in the first hour, in real Chromium: the top bar wrapping, stage headings off
their numbers, the size limit learnt only after sealing, and the receipt's time in UTC."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from bidding.submission.models import Bid
from tests.e2e.conftest import shot
from tests.e2e.test_bid_page import bidding_trade, sign_in  # noqa: F401 (fixture)
from trading.extensions import db

pytestmark = pytest.mark.e2e

BAR = """() => {
  const nav = document.querySelector('.top nav');
  const tops = [...nav.children].map((e) => e.getBoundingClientRect().top);
  const spread = Math.max(...tops) - Math.min(...tops);  // items of one row differ by a pixel or two
  const brand = document.querySelector('.brand').getBoundingClientRect();
  const navBox = nav.getBoundingClientRect();
  return {rows: spread < 8 ? 1 : 2, overflow: nav.scrollWidth - nav.clientWidth, page: document.documentElement.scrollWidth,
          sameLine: Math.abs(brand.top + brand.height / 2 - (navBox.top + navBox.height / 2)) < 8};
}"""


@pytest.mark.parametrize("username,target", [("supervisor", "/monitor/"), ("supervisor2", "/monitor/supervisors/me"),
                                             ("decider", "/workspace/"), ("bidder", "/workspace/")])
def test_english_top_bar_keeps_one_line_when_signed_in(live_app, bidding_trade, new_page, username, target):  # noqa: F811
    page = new_page("en")
    page.goto(f"{live_app.base_url}/lang/en")
    sign_in(page, live_app.base_url, username, target)
    desktop = page.evaluate(BAR)
    assert desktop["rows"] == 1 and desktop["sameLine"] and desktop["overflow"] <= 0, desktop
    page.set_viewport_size({"width": 390, "height": 844})
    phone = page.evaluate(BAR)
    assert phone["rows"] == 1 and phone["page"] <= 390, phone  # the links scroll in their own row
    if username == "supervisor":
        shot(page, "top-bar-phone")


def test_stage_headings_line_up_with_their_numbers(live_app, bidding_trade, new_page):  # noqa: F811
    page = new_page("en")
    page.goto(f"{live_app.base_url}/lang/en")
    sign_in(page, live_app.base_url, "supervisor", "/monitor/")
    page.wait_for_selector("table.stages td.n")
    gaps = page.evaluate("""() => {
      const inkRight = (node) => { const range = document.createRange(); range.selectNodeContents(node);
                                   return range.getBoundingClientRect().right; };
      const table = document.querySelector('table.stages');
      const heads = [...table.tHead.rows[0].cells];
      return [...table.tBodies[0].rows].flatMap((row) => [...row.cells].map((cell, i) => {
        if (!cell.classList.contains('n')) return null;
        const head = heads[i].querySelector('.badge') || heads[i];
        const right = head === heads[i] ? inkRight(head) : head.getBoundingClientRect().right;
        return Math.abs(right - inkRight(cell));
      })).filter((gap) => gap !== null);
    }""")
    assert gaps and max(gaps) < 3, gaps
    shot(page, "dashboard-stages")


def test_bid_page_states_the_size_limit_and_refuses_before_sealing(live_app, bidding_trade, new_page, tmp_path):  # noqa: F811
    live_app.config["MAX_BID_BYTES"] = 256 * 1024
    trade_id = bidding_trade["id"]
    target = f"/bidding/trades/{trade_id}/bid"
    page = new_page("en")
    page.goto(f"{live_app.base_url}/lang/en")
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and "/bids" in r.url else None)
    sign_in(page, live_app.base_url, "bidder", target)
    page.wait_for_selector("#bid-form[data-ready=true]")
    assert "256 KB" in page.inner_text("#size-limit")  # stated before anything is sealed
    big = tmp_path / "proposal.bin"
    big.write_bytes(b"\x01" * (300 * 1024))
    page.fill("#price", "4815000.00")
    page.fill("#duration_days", "360")
    page.set_input_files("#files", str(big))
    assert "256 KB" in page.inner_text("#files-error") and "300 KB" in page.inner_text("#files-error")
    page.click("#seal-submit")
    assert page.get_attribute("#files", "aria-invalid") == "true"
    assert page.get_attribute("#progress-row", "hidden") is not None and page.is_hidden("#receipt") and posts == []
    assert page.inner_text("#bid-status").strip() == ""  # never began sealing
    with live_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Bid)) == 0

    # a file within the limit is sealed and received; the receipt shows Beijing time, like every page
    small = tmp_path / "proposal-small.bin"
    small.write_bytes(b"\x02" * (20 * 1024))
    page.set_input_files("#files", str(small))
    assert page.inner_text("#files-error").strip() == ""
    page.click("#seal-submit")
    page.wait_for_selector("#receipt:not([hidden])", timeout=60_000)
    signed = page.get_attribute("#r-received", "title")
    assert signed.endswith("+08:00"), signed
    beijing = datetime.fromisoformat(signed).astimezone(ZoneInfo("Asia/Shanghai"))
    assert page.inner_text("#r-received") == beijing.strftime("%Y-%m-%d %H:%M:%S")
    shot(page, "bid-page-size-limit")
