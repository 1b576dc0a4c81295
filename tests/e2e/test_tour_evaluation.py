"""The README tour after the opening, in real headless Chromium on a fresh demo database (as `make run` loads
it): the demo's opened works tender under evaluation. A member of its committee reads the evaluation room
(criteria grid, their marks, the committee's conclusions, the clarification asked), the scoring page (their
sheet; two members have submitted theirs); the supervisor reads the collusion signals of the planted ring,
each explaining itself and citing its clause. Nobody outside the committee and the supervisors reads either.

`TOUR_SHOTS_DIR=docs/img` (`make screenshots`) writes the README's screenshots there too.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from bidding.award.demo import TITLE as AWARD_TITLE
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_tour import _watch_errors, demo_app, sign_in, snap  # noqa: F401  (demo_app: fixture)
from trading.extensions import db

pytestmark = pytest.mark.e2e

OPENED_TITLE = "城西污水处理厂提标改造工程施工招标"  # bidding/evaluation/demo.py


def snap_screen(page, name: str) -> Path:
    """The first screen only (a long page's full height makes a heavy PNG), where `snap` would write it."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    target = os.environ.get("TOUR_SHOTS_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        (Path(target) / path.name).write_bytes(path.read_bytes())
    return path


def test_the_readme_tour_after_the_opening(demo_app, new_page):  # noqa: F811
    from playwright.sync_api import expect

    from trading.trades.flows import TradeState
    from trading.trades.models import Trade

    base, problems = demo_app.base_url, []
    with demo_app.app_context():
        trade = db.session.scalar(sa.select(Trade).where(Trade.title == OPENED_TITLE))
        assert trade.state is TradeState.EVALUATING
        trade_id = trade.id
        from bidding.evaluation import review

        bids = len(review.entries(trade))
        assert bids >= 3
    room, scoring = f"/bidding/trades/{trade_id}/evaluation", f"/bidding/trades/{trade_id}/scoring"
    collusion = f"/bidding/trades/{trade_id}/collusion"

    # 1. `expert` sits on the committee: the evaluation room shows the grid, their marks (one fail with its
    #    reason) and the clarification they asked.
    expert = new_page()
    _watch_errors(expert, problems)
    sign_in(expert, base, "expert", "/workspace/")  # their workspace leads to the room
    with expert.expect_navigation():
        expert.click(f"a[href='{room}']")
    expect(expert.locator("#role-note")).to_be_visible()
    expect(expert.locator("#conclusions tbody tr")).to_have_count(bids)
    expect(expert.locator("input[name=reason-C1][value*='投标保证金由非投标人账户转出']")).to_have_count(1)
    expect(expert.locator("#clarifications article")).to_have_count(1)
    # the room leads on to the member's score sheet and to the collusion signals the committee decides on
    expect(expert.locator(f"#room-links a[href='{scoring}']")).to_have_count(1)
    expect(expert.locator(f"#room-links a[href='{collusion}']")).to_have_count(1)
    snap_screen(expert, "tour-evaluation-room")

    # 2. Their score sheet, beside the progress: two members have submitted.
    expert.goto(base + "/workspace/")
    with expert.expect_navigation():
        expert.click(f"a[href='{scoring}']")
    expect(expert.locator("#sheet-form")).to_be_visible()
    expect(expert.locator("#progress")).to_contain_text("2")
    snap_screen(expert, "tour-scoring-sheet")

    # 3. The supervisor reads the collusion signals of the planted ring; a citizen reads none of this.
    supervisor = new_page()
    _watch_errors(supervisor, problems)
    sign_in(supervisor, base, "supervisor", "/workspace/")  # their workspace leads to the signals
    with supervisor.expect_navigation():
        supervisor.click(f"a[href='{collusion}']")
    flags = supervisor.locator("#collusion-flags section.flag")
    assert flags.count() >= 1
    expect(flags.first.locator(".clause")).not_to_be_empty()
    snap(supervisor, "tour-collusion-flag")
    citizen = new_page()
    sign_in(citizen, base, "citizen")
    for path in (room, scoring, collusion):
        response = citizen.goto(base + path)
        assert response.status in (403, 404), (path, response.status)
    # 4. On a phone: no page is wider than the screen (wide tables scroll inside their own box), the
    #    award's pages included (the tender in publicity, held by an objection: bidding/award/demo.py).
    with demo_app.app_context():
        award_id = db.session.scalar(sa.select(Trade.id).where(Trade.title == AWARD_TITLE))
    tenderer = new_page()
    _watch_errors(tenderer, problems)
    sign_in(tenderer, base, "tenderer", "/workspace/")
    for page, path in ((expert, room), (expert, scoring), (supervisor, collusion),
                       (tenderer, f"/bidding/trades/{award_id}/award"), (citizen, f"/bidding/trades/{award_id}/candidates")):
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(base + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    assert not problems, problems
