"""The evaluation room's score sheet in real headless Chromium (CSRF on), on the demo: a member fills and submits
their sheet on a phone-sized screen (no sideways scrolling), then sees the others' submitted sheets; once all
have submitted the staff make the report on a laptop, and the member makes a signing key in the browser and
signs the report with it; the stored signature verifies with the published key."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.e2e.conftest import CHROMIUM_ARGS, shot  # noqa: F401
from tests.e2e.test_ceremony_page import _watch_errors
from tests.e2e.test_tour import demo_app  # noqa: F401  (fixture)
from trading.demo import DEMO_PASSWORD
from trading.extensions import db
from trading.signing import statements as st
from trading.signing.models import SigningKey
from trading.trades.models import Trade

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def _sign_in(page, base: str, username: str, target: str) -> None:
    page.goto(f"{base}/login?next={target}")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}{target}")


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), \
        page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def test_a_member_scores_on_a_phone_and_signs_the_report(demo_app, browser):
    from bidding.scoring import report as reports, services as scoring
    from bidding.scoring.demo import TITLE

    base = demo_app.base_url
    with demo_app.app_context():
        trade = db.session.scalar(sa.select(Trade).where(Trade.title == TITLE))
        trade_id = trade.id
        plan = scoring.plan_of(trade)
        from bidding.evaluation.services import passed_bids

        cells = [(e.id, c.id, c.max_points) for e in passed_bids(trade) for c in plan.criteria]
    target = f"/bidding/trades/{trade_id}/scoring"
    problems: list[str] = []

    phone = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    _watch_errors(phone, problems)
    _sign_in(phone, base, "expert", target)
    phone.wait_for_selector("#sheet-form")
    assert phone.locator(".sheet-table").count() == 0  # the others' sheets stay hidden before submitting
    _no_sideways_scroll(phone)
    for n, (entry_id, criterion_id, top) in enumerate(cells):
        points = float(top) * [0.8, 0.9, 0.7][n % 3]
        phone.fill(f'[id="score.{entry_id}.{criterion_id}.points"]', f"{points:.1f}")
    phone.click("button[value=save]")
    phone.wait_for_selector(".flash.success")
    shot(phone, "score-sheet-phone")
    phone.click("#submit-sheet")
    phone.wait_for_selector("#sheet-locked")
    assert phone.locator(".sheet-table").count() == 2  # the two members who submitted before
    _no_sideways_scroll(phone)

    with demo_app.app_context():  # the last two members submit (as the API would take their sheets)
        from trading.accounts.models import User

        trade = db.session.get(Trade, trade_id)
        for name in ("expert4", "expert5"):
            member = db.session.scalar(sa.select(User).where(User.username == name))
            scoring.submit_sheet(member, trade, [{"entry_id": e, "criterion_id": c, "points": str(top * 3 / 4)}
                                                 for e, c, top in cells])
        db.session.commit()

    laptop = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()
    _watch_errors(laptop, problems)
    _sign_in(laptop, base, "staff.works", target)
    laptop.wait_for_selector("#results")
    laptop.click("#report-form button[type=submit]")
    laptop.wait_for_selector("#report-pdf")

    # the member makes their key in this browser, then signs the report with it
    phone.goto(f"{base}/signing/keys")
    phone.click("#make-key")
    phone.wait_for_selector("#browser-fp")
    fingerprint = phone.inner_text("#browser-fp")
    phone.goto(f"{base}{target}")
    phone.fill("#dissent", "对技术方案评分标准的适用有保留意见")
    phone.click("#sign-button")
    phone.wait_for_selector("#report-signatures li:not(.empty)")
    assert "有保留意见" in phone.inner_text("#report-signatures")
    assert phone.locator("#sign-form").count() == 0
    shot(phone, "evaluation-report-signed-phone")

    with demo_app.app_context():
        report = reports.report_of(db.session.get(Trade, trade_id))
        sig = report.signatures[0]
        key = db.session.scalar(sa.select(SigningKey).where(SigningKey.fingerprint == fingerprint))
        assert sig.key_fingerprint == fingerprint and sig.report_sha256 == report.sha256
        assert st.verify(bytes(key.public_key), sig.statement.encode(), bytes(sig.signature))
    assert problems == []
