"""The README's tour in real headless Chromium, from a fresh database loaded by the demo (`make run` does the same):
every demo role logs in and lands on its page; then, on the platform's one clock, the sandbox tender's opening
falls due five minutes after the load, its three sealed bids are opened in the ceremony (the clerk starts it,
the three keyholders release their shares from their own browsers with the demo passphrase, the clerk opens
the bids, the supervising keyholder signs the record with a key made in their browser) well within the ten
minutes the README promises, and e-supervision raises no card on any demo trade, since all kept the rules.

The clock is frozen and moved by the test (a person's pace: about half a minute a step); the ticks the
embedded server runs every SCHEDULER_SECONDS are run by the test at each step.

`TOUR_SHOTS_DIR=docs/img` (`make screenshots`) writes the README's screenshots there too.
"""
from __future__ import annotations

import os
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from tests.e2e.conftest import shot
from trading import create_app
from trading.config import TestConfig
from trading.extensions import db

pytestmark = pytest.mark.e2e

STEP = timedelta(seconds=30)  # a person's pace between two clicks
PROMISED = timedelta(minutes=10)  # README: a successful opening within ten minutes of `make run`
SANDBOX_BIDDERS = ("bidder", "bidder2", "bidder3")
#: demo username -> (the path its landing page is, what that page must show of the demo)
LANDINGS = {
    "decider": ("/workspace/", "#awaiting-approval"),  # the procurement tender submitted for approval
    "staff.works": ("/workspace/", "#keyholder-duties"),  # the sandbox opening they hold a key share of
    "supervisor": ("/monitor/", "#feed"),  # the dashboard's live feed
    "social": ("/monitor/supervisors/me", "#my-trades"),  # trades they were drawn to supervise
    "tenderer": ("/workspace/", "main table"),  # their trades
    "bidder": ("/workspace/", "#my-bids"),  # their bids and receipts
    "expert": ("/bidding/experts/assignments", "main"),  # their seats on committees
    "citizen": ("/", "main table"),  # the notices
}


def snap(page, name: str) -> Path:
    """A screenshot in test-artifacts/, and in TOUR_SHOTS_DIR (the README's docs/img) when asked."""
    path = shot(page, name)
    target = os.environ.get("TOUR_SHOTS_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        (Path(target) / path.name).write_bytes(path.read_bytes())
    return path


@pytest.fixture
def demo_app(tmp_path, clock):
    """The real app on a fresh SQLite file with the demo loaded (as `make run` loads it), CSRF on, served by
    werkzeug in a thread; the clock frozen at the moment of the load."""
    from trading.demo import load_demo

    config = type("TourConfig", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'tour.sqlite'}",
        "BLOB_DIR": str(tmp_path / "blobs"),
        "WTF_CSRF_ENABLED": True,
    })
    app = create_app(config)
    app.instance_path = str(tmp_path / "instance")  # the demo writes the supervisors' key files there
    with app.app_context():
        db.create_all()
        users = load_demo()
        assert users is not None
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.base_url = f"http://127.0.0.1:{server.server_port}"
    app.loaded_at = clock.now()
    yield app
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


def tick(app) -> None:
    """What the embedded server's scheduler runs every SCHEDULER_SECONDS: timed moves and periodic work."""
    from trading.trades.services import advance_due

    for task in (advance_due, *app.extensions.get("trade_ticks", ()), *app.extensions.get("ticks", ())):
        with app.app_context():
            task()
            db.session.commit()
            db.session.remove()


def sign_in(page, base: str, username: str, then: str | None = None) -> None:
    from trading.demo import DEMO_PASSWORD

    page.goto(f"{base}/login" + (f"?next={then}" if then else ""))
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    with page.expect_navigation(timeout=30_000):  # the form posts: wait for the new page, not the old one
        page.click("main form button[type=submit]")
    page.wait_for_load_state()


def _watch_errors(page, problems: list[str]) -> None:
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(f"{m.type}: {m.text}")
            if m.type == "error" and "favicon" not in (m.location or {}).get("url", "") else None)


def _cards(app) -> list[tuple[str, str, str]]:
    from monitor.cards.models import Card
    from trading.trades.models import Trade

    with app.app_context():
        rows = db.session.execute(sa.select(Trade.ref, Card.norm, Card.level).join(Trade, Card.trade_id == Trade.id))
        return [(ref, norm, level.value) for ref, norm, level in rows]


def test_the_readme_tour(demo_app, new_page, clock):
    from playwright.sync_api import expect

    from trading.demo import sandbox_opening
    from trading.demo_stages import DEMO_PASSPHRASE

    base, problems = demo_app.base_url, []
    with demo_app.app_context():
        trade = sandbox_opening()
        sandbox = {"id": trade.id, "ref": trade.ref, "opening_at": trade.opening_at}
    assert sandbox["opening_at"] - demo_app.loaded_at <= timedelta(minutes=5)
    ceremony = f"/bidding/trades/{sandbox['id']}/ceremony"

    # 1. Anyone: the portal lists the demo's trades, the sandbox one marked; its page shows the documents.
    visitor = new_page()
    _watch_errors(visitor, problems)
    visitor.goto(base + "/")
    assert sandbox["ref"] in visitor.content() or "沙箱" in visitor.content()
    snap(visitor, "tour-portal-zh")
    visitor.goto(f"{base}/trades/{sandbox['ref']}")
    expect(visitor.locator(".sandbox-banner")).to_be_visible()
    snap(visitor, "tour-sandbox-trade-zh")

    # 2. Every role logs in and lands on its page.
    for username, (landing, shows) in LANDINGS.items():
        page = new_page()
        _watch_errors(page, problems)
        sign_in(page, base, username)
        assert page.url.split("?")[0] == base + landing, (username, page.url)
        expect(page.locator(shows).first).to_be_visible()
        if username == "bidder":  # their sealed bid in the sandbox tender, with its receipt
            expect(page.locator("#my-bids")).to_contain_text(sandbox["ref"])
        if username == "decider":
            expect(page.locator("#awaiting-approval")).to_contain_text("中小学智慧教室设备采购项目")
        if username in ("staff.works", "supervisor", "bidder", "decider"):
            snap(page, f"tour-landing-{username.replace('.', '-')}")
        page.context.close()

    # 3. Five minutes after the load the bids close by themselves (the tick) and the ceremony may start.
    clock.freeze(sandbox["opening_at"] + timedelta(seconds=10))
    tick(demo_app)
    watcher = new_page()  # a bidder watches from their own screen (不见面开标)
    _watch_errors(watcher, problems)
    sign_in(watcher, base, "bidder", f"/trades/{sandbox['ref']}")
    watcher.click(f"a[href='{ceremony}']")
    watcher.wait_for_selector("#ceremony[data-polled]")
    assert watcher.get_attribute("#ceremony", "data-phase") == "waiting"

    clock.advance(STEP)
    staff = new_page()
    _watch_errors(staff, problems)
    sign_in(staff, base, "staff.works", ceremony)
    staff.click("#start-button")
    staff.wait_for_selector(".flash.success")
    snap(staff, "tour-ceremony-started")
    watcher.wait_for_selector("#ceremony[data-phase=open]")

    # 4. Each keyholder releases their share from their own browser with the demo passphrase.
    pages = {"staff.works": staff}
    for who in ("staff.works2", "supervisor"):
        pages[who] = new_page()
        _watch_errors(pages[who], problems)
        sign_in(pages[who], base, who, ceremony)
    for who in ("staff.works", "staff.works2", "supervisor"):
        clock.advance(STEP)
        page = pages[who]
        page.fill("#passphrase", DEMO_PASSPHRASE)
        page.click("#release-button")
        page.wait_for_selector(".flash.success")
        if who == "staff.works2":
            snap(page, "tour-keyholder-release")
    expect(watcher.locator("#c-releases li")).to_have_count(3)

    # 5. The clerk opens the bids: three valid bids, the record published; the bidder's page shows them.
    clock.advance(STEP)
    staff.click("#complete-button")
    staff.wait_for_selector(".flash.success")
    watcher.wait_for_selector("#c-entries:not([hidden])", timeout=15_000)
    assert watcher.locator("#c-entries tbody tr[data-status=opened]").count() == len(SANDBOX_BIDDERS)
    assert watcher.get_attribute("#ceremony", "data-phase") == "finished"
    snap(watcher, "tour-ceremony-bidder")

    # 6. The supervisor loads their signing key (the demo's backup file) into the browser and signs the record.
    clock.advance(STEP)
    sup = pages["supervisor"]
    sup.goto(base + "/signing/keys")
    with demo_app.app_context():
        from trading.demo import demo_key_dir

        backup = demo_key_dir() / "supervisor.pem"
    sup.set_input_files("#load-key", str(backup))
    sup.wait_for_selector("#browser-fp")
    assert sup.inner_text("#browser-fp") == sup.inner_text("#published-fp")  # the key the demo published
    sup.goto(base + ceremony)
    sup.wait_for_selector(".sign-form:not([hidden])")
    sup.click("#sign-button")
    sup.wait_for_selector(".flash.success")
    staff.wait_for_selector("#c-signatures li")
    snap(staff, "tour-ceremony-signed")

    with demo_app.app_context():
        from bidding.ceremony.models import OpeningCeremony, RecordSignature
        from trading.trades.flows import TradeState
        from trading.trades.models import Trade

        assert db.session.get(Trade, sandbox["id"]).state is TradeState.OPENED
        done = db.session.scalar(sa.select(OpeningCeremony).where(OpeningCeremony.trade_id == sandbox["id"]))
        assert done.finished_at - demo_app.loaded_at <= PROMISED
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RecordSignature)
                                 .where(RecordSignature.ceremony_id == done.id)) == 1

    # 7. E-supervision, now and after every grace has run out: no card on any demo trade (all kept the rules).
    tick(demo_app)
    assert _cards(demo_app) == []
    clock.advance(timedelta(minutes=45))
    tick(demo_app)
    assert _cards(demo_app) == []
    assert not problems, problems
