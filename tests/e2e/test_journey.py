"""One journey in real headless Chromium: a tenderer drafts, staff submit, the decision branch approves,
staff publish, and the notice appears on the public portal in Chinese and in English."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD, START
from tests.e2e.conftest import shot
from trading.accounts.models import OrgKind
from trading.accounts.roles import Role
from trading.accounts.services import create_organisation, create_user
from trading.accounts.uscc import make_uscc
from trading.centres.models import Centre
from trading.extensions import db
from trading.trades.flows import TradeState
from trading.trades.models import Trade

pytestmark = pytest.mark.e2e
TITLE = "滨江大道综合管廊工程施工招标"


@pytest.fixture
def people(live_app):
    with live_app.app_context():
        works = db.session.scalar(sa.select(Centre).where(Centre.code == "WORKS"))
        org = create_organisation("城市建设投资集团", OrgKind.TENDERER, make_uscc("91330100MA2B00001"))
        create_user("tenderer", PASSWORD, "陈招标", org, [(Role.TENDERER, None)])
        create_user("staff", PASSWORD, "李执行", None, [(Role.CENTRE_STAFF, works.id)])
        create_user("decider", PASSWORD, "王决策", None, [(Role.DECISION_MAKER, works.id)])
        db.session.commit()


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/workspace/")


def local(dt) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M")


def press_move(page, move: str) -> None:
    with page.expect_navigation(timeout=30_000):  # the form posts: wait for the new page, not the old one
        page.click(f"button[data-move={move}]")
    page.wait_for_load_state()


def test_draft_submit_approve_publish_portal(live_app, people, new_page, clock):
    base = live_app.base_url
    issue = START + timedelta(days=1)
    deadline = issue + timedelta(days=25)

    # 1. The tenderer drafts the trade through the form; a too-short period is refused first, citing the law.
    page = new_page()
    sign_in(page, base, "tenderer")
    page.click("a[href$='/workspace/trades/new']")
    page.select_option("#centre_id", label="建设工程交易中心")
    page.select_option("#method", value="works_open_tender")
    page.fill("#title", TITLE)
    page.fill("#description", "管廊全长3.2公里。")
    page.fill("#estimated_price", "86000000.00")
    page.fill("#bid_security", "800000.00")
    page.check("input[name=paper_bids]")  # bids on paper: no keyholders to appoint before approval
    page.fill("#issue_at", local(issue))
    page.fill("#docs_until", local(issue + timedelta(days=10)))
    page.fill("#bid_deadline", local(issue + timedelta(days=12)))
    page.click("main form button[type=submit]")
    error = page.locator("#bid_deadline-error")
    assert "第24条" in error.inner_text()
    page.fill("#bid_deadline", local(deadline))
    page.fill("#opening_at", local(deadline))
    page.click("main form button[type=submit]")
    page.wait_for_url("**/workspace/trades/*")
    assert TITLE in page.content()
    with live_app.app_context():
        trade = db.session.scalar(sa.select(Trade).where(Trade.title == TITLE))
        assert trade.state is TradeState.DRAFT and trade.estimated_price == 86000000
        ref, trade_id = trade.ref, trade.id
    # the draft is not public
    anon = new_page()
    anon.goto(f"{base}/trades/{ref}")
    assert anon.url.startswith(f"{base}/login")  # not public: sign in first
    anon.goto(f"{base}/")
    assert TITLE not in anon.content()

    # 2. Centre staff submit it for approval.
    staff = new_page()
    sign_in(staff, base, "staff")
    staff.goto(f"{base}/workspace/trades/{trade_id}")
    press_move(staff, "submit")
    assert "待审批" in staff.content() or "Submitted" in staff.content()

    # 3. The decision branch approves.
    decider = new_page()
    sign_in(decider, base, "decider")
    decider.goto(f"{base}/workspace/trades/{trade_id}")
    assert decider.locator("button[data-move=publish]").count() == 0  # deciding is not executing
    press_move(decider, "approve")
    shot(decider, "workspace-approved")

    # 4. The execution branch publishes the notice.
    staff.goto(f"{base}/workspace/trades/{trade_id}")
    press_move(staff, "publish")
    with live_app.app_context():
        assert db.session.get(Trade, trade_id).state is TradeState.ANNOUNCED

    # 5. The public portal shows it, in Chinese first ...
    anon.goto(f"{base}/")
    assert TITLE in anon.content()
    assert "交易公告" in anon.content()
    shot(anon, "portal-zh")
    anon.click(f"text={TITLE}")
    anon.wait_for_url(f"**/trades/{ref}")
    body = anon.content()
    assert "投标截止时间" in body and "第24条" in body
    shot(anon, "trade-zh")
    # ... and in English after the switch.
    with anon.expect_navigation(timeout=30_000):
        anon.click("a.lang")
    anon.wait_for_load_state()
    body = anon.content()
    assert "Bid deadline" in body or "bid deadline" in body
    assert "Tendering Law Art. 24" in body
    shot(anon, "trade-en")
    anon.goto(f"{base}/")
    assert "Trading notices" in anon.content() and TITLE in anon.content()
    shot(anon, "portal-en")
