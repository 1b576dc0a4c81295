"""The demo's land listing in real headless Chromium, as a newcomer finds it after `make run`: a bidder opens
it from the portal, reads the price board by paddle number, is told at once why a quote one fen below the
lowest acceptable one is refused, quotes exactly the minimum and sees it on the board as its own; the land
centre's staff read the registrations on their page. In Chinese and in English, on a laptop and on a phone.
`TOUR_SHOTS_DIR=docs/img` writes screenshots too."""
from __future__ import annotations

from decimal import Decimal

import pytest

from bidding.auctions.demo import LAND_TITLE
from tests.e2e.test_tour import demo_app, sign_in, snap  # noqa: F401  (a fixture)

pytestmark = pytest.mark.e2e


def _money(text: str) -> Decimal:
    return Decimal(text.replace("¥", "").replace(",", "").strip())


def test_a_bidder_quotes_on_the_listing_page(demo_app, new_page):  # noqa: F811
    base = demo_app.base_url
    page = new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    sign_in(page, base, "bidder", "/")
    page.click(f"text={LAND_TITLE}")
    page.click("#listing-link")
    page.wait_for_selector("#sale-board")
    board = page.inner_text("#sale-board")
    assert "当前价格" in board and "加价幅度" in board
    quotes = page.inner_text("#quotes")
    assert "有限公司" not in quotes and "Co." not in quotes  # paddles, never names
    minimum = _money(page.inner_text("#minimum"))
    page.fill("#quote-amount", str(minimum - Decimal("0.01")))
    page.click("#quote-form button[type=submit]")
    page.wait_for_selector("#quote-refused")
    assert page.get_attribute("#quote-refused", "data-code") == "too_low"
    assert "最低可接受报价" in page.inner_text("#quote-refused")
    snap(page, "listing-refused-zh")
    page.fill("#quote-amount", str(minimum))
    page.click("#quote-form button[type=submit]")
    page.wait_for_selector("#quotes tr.mine")
    assert _money(page.inner_text("#current-price")) == minimum
    page.goto(page.url.split("?")[0] + "?lang=en")
    page.wait_for_selector("#sale-board")
    assert "Current price" in page.inner_text("#sale-board")
    snap(page, "listing-en")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    snap(page, "listing-phone")
    assert not problems, problems


def test_the_staff_read_the_registrations_on_a_phone(demo_app, new_page):  # noqa: F811
    base = demo_app.base_url
    page = new_page()
    sign_in(page, base, "staff.land", "/workspace/")
    page.click(f"text={LAND_TITLE}")
    page.click("#sale-manage-link")
    page.wait_for_selector("#registrations")
    assert page.locator("#registrations tbody tr").count() >= 3
    assert "付款账户" in page.inner_text("#registrations")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    snap(page, "listing-staff-phone")
