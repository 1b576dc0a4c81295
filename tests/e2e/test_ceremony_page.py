"""The opening ceremony in real headless Chromium, with CSRF on: a bidder watches from before the start;
staff start; the two executing keyholders and the supervising keyholder release their shares each in
their own browser; an objection is raised and answered while it runs; staff open all bids; the
bidder's page, never reloaded, shows the prices (it polls); a supervisor makes their signing key in the
browser and signs the record with it."""
from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from bidding.ceremony.models import RecordSignature
from bidding.crypto import envelope
from bidding.keyholders import client as holder_side, services
from bidding.submission import services as submission
from bidding.crypto.records import encode_bid
from bidding.crypto.envelope_check import content_digest
from tests.conftest import PASSWORD, START, tender_timeline
from tests.e2e.conftest import shot
from tests.e2e.test_bid_page import sign_in
from trading.accounts.models import OrgKind
from trading.accounts.roles import Role
from trading.accounts.services import create_organisation, create_user
from trading.accounts.uscc import make_uscc
from trading.centres.models import Centre
from trading.extensions import db
from trading.signing import statements as st
from trading.signing.models import SigningKey
from trading.trades import services as trades
from trading.trades.flows import TradeState
from trading.trades.models import Trade

pytestmark = pytest.mark.e2e

PASSPHRASES = {"staff": "staff passphrase one", "staff2": "staff2 passphrase two",
               "supervisor": "supervisor pass three"}
#: bidder username -> (company, price)
BIDDERS = {"bidder": ("滨江建工有限公司", "4815000.00"), "bidder_b": ("钱塘路桥集团", "4700000.50"),
           "bidder_c": ("西湖市政工程有限公司", "4999999.99")}
SHOWN = ("¥4,815,000.00", "¥4,700,000.50", "¥4,999,999.99")


def _seal(trade: Trade, credit_code: str, price: str) -> bytes:
    """What the bid page does in the browser, done here in Python."""
    key = services.opening_key(trade)
    out = io.BytesIO()
    plaintext = encode_bid({"price": price, "duration_days": "360", "note": ""},
                           [("technical.txt", f"technical proposal of {credit_code}".encode())])
    envelope.seal(plaintext, public_key=envelope.load_public_key(key.public_key.hex()), trade_ref=trade.ref,
                  bidder_id=credit_code, version=1, chunk_size=1024, out=out)
    return out.getvalue()


@pytest.fixture
def opening_trade(live_app, clock):
    """Keyholders appointed, three sealed bids submitted through the services, the clock past the opening time."""
    with live_app.app_context():
        works = db.session.scalar(sa.select(Centre).where(Centre.code == "WORKS"))
        tenderer = create_organisation("城市建设投资集团", OrgKind.TENDERER, make_uscc("91330100MA2C00001"))
        people = {
            "staff": create_user("staff", PASSWORD, "李执行", None, [(Role.CENTRE_STAFF, works.id)]),
            "staff2": create_user("staff2", PASSWORD, "赵执行", None, [(Role.CENTRE_STAFF, works.id)]),
            "supervisor": create_user("supervisor", PASSWORD, "周监督", None, [(Role.ADMIN_SUPERVISOR, works.id)]),
        }
        decider = create_user("decider", PASSWORD, "王决策", None, [(Role.DECISION_MAKER, works.id)])
        bidders = {}
        for n, (username, (company, _price)) in enumerate(BIDDERS.items(), start=2):
            org = create_organisation(company, OrgKind.BIDDER, make_uscc(f"91330100MA2C0000{n}"))
            bidders[username] = create_user(username, PASSWORD, f"{company}投标员", org, [(Role.BIDDER, None)])
        for name, user in people.items():  # made on the keyholders' side, as their browsers do
            made = holder_side.enrol(PASSPHRASES[name], live_app.config["PERSONAL_KEY_ITERATIONS"])
            services.enrol_personal_key(user, made.public_key, made.wrapped_key)
        trade = trades.create_trade(people["staff"], {
            "centre_id": works.id, "method": "works_open_tender", "tenderer_id": tenderer.id,
            "title": "滨江大道综合管廊工程施工招标", "description": "管廊全长3.2公里。",
            "estimated_price": 86000000, **tender_timeline(START)})
        services.publish_sealed_tender(trade, clerk=people["staff"], decider=decider,
                                       executing=[people["staff"], people["staff2"]],
                                       supervising=[people["supervisor"]])
        db.session.commit()
        for username, (_company, price) in BIDDERS.items():
            user = bidders[username]
            data = _seal(trade, user.organisation.credit_code, price)
            submission.submit_bid(user, trade, io.BytesIO(data), content_digest(data))
        db.session.commit()
        assert trade.state is TradeState.BIDDING
        clock.freeze(trade.opening_at + timedelta(minutes=1))
        return {"id": trade.id, "ref": trade.ref, "companies": [c for c, _p in BIDDERS.values()]}


def _watch_errors(page, problems: list[str]) -> None:
    page.on("console", lambda m: problems.append(f"{m.type}: {m.text}")
            if m.type == "error" and "favicon" not in (m.location or {}).get("url", "") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))


def test_opening_ceremony_in_the_browser(live_app, opening_trade, new_page):
    from playwright.sync_api import expect

    base, trade_id = live_app.base_url, opening_trade["id"]
    target = f"/bidding/trades/{trade_id}/ceremony"
    problems: list[str] = []

    # a bidder who bid opens the page before the start and watches (this page is never reloaded)
    watch = new_page()
    _watch_errors(watch, problems)
    sign_in(watch, base, "bidder", target)
    watch.wait_for_selector("#ceremony[data-polled]")
    assert watch.get_attribute("#ceremony", "data-phase") == "waiting"
    assert watch.get_attribute("#ceremony-live", "aria-live") == "polite"
    assert watch.locator("#c-entries").is_hidden() and watch.locator(".objection-form").is_hidden()
    watch.evaluate("window.__watching = 'since the start'")

    # staff start the opening
    staff = new_page()
    _watch_errors(staff, problems)
    sign_in(staff, base, "staff", target)
    staff.click("#start-button")
    staff.wait_for_selector(".flash.success")
    assert staff.get_attribute("#ceremony", "data-phase") == "open"
    watch.wait_for_selector("#ceremony[data-phase=open]")  # seen by polling
    watch.wait_for_selector(".objection-form:not([hidden])")

    # each keyholder releases their share in their own browser
    pages = {"staff": staff}
    for who in ("staff2", "supervisor"):
        pages[who] = new_page()
        _watch_errors(pages[who], problems)
        sign_in(pages[who], base, who, target)
    for who in ("staff", "staff2", "supervisor"):
        page = pages[who]
        page.fill("#passphrase", PASSPHRASES[who])
        # the browser opens the share, then posts the form: wait for that navigation to finish (the staff
        # page still shows the flash of the start, so a flash alone may be the old page's)
        with page.expect_navigation(timeout=60_000):
            page.click("#release-button")
        page.wait_for_load_state()
        page.wait_for_selector(".flash.success")
        assert PASSPHRASES[who] not in page.content()
    expect(watch.locator("#c-sides tr[data-side=execute] .released")).to_have_text("2")  # by polling
    expect(watch.locator("#c-sides tr[data-side=supervise] .released")).to_have_text("1")
    expect(watch.locator("#c-releases li")).to_have_count(3)

    # the bidder raises an objection (from a second tab, so the watching page stays as it is) ...
    objecting = watch.context.new_page()
    _watch_errors(objecting, problems)
    objecting.goto(base + target)
    objecting.fill("#objection-text", "第二家投标人的报价未当场宣读")
    objecting.click("#objection-button")
    objecting.wait_for_selector(".flash.success")
    watch.wait_for_selector("#c-objections li[data-id] >> text=第二家投标人的报价未当场宣读")
    # ... the staff see it arrive without reloading and answer it
    staff.wait_for_selector("#c-objections li[data-id] form.answer-form textarea")
    assert "第二家投标人的报价未当场宣读" in staff.inner_text("#c-objections")
    staff.fill("#c-objections form.answer-form textarea", "已当场补充宣读，开标继续。")
    staff.click("#c-objections form.answer-form button[type=submit]")
    staff.wait_for_selector(".flash.success")
    assert "已当场补充宣读" in staff.inner_text("#c-objections")
    watch.wait_for_selector("#c-objections .answer-text >> text=已当场补充宣读，开标继续。")

    # staff open all bids
    staff.click("#complete-button")
    staff.wait_for_selector(".flash.success")
    staff.wait_for_selector("#c-entries:not([hidden])")

    # the watching bidder's page shows the results by itself
    watch.wait_for_selector("#c-entries:not([hidden])", timeout=10_000)
    assert watch.evaluate("window.__watching") == "since the start"  # no reload happened
    results = watch.inner_text("#c-entries")
    for company in opening_trade["companies"]:
        assert company in results
    for price in SHOWN:
        assert price in results
    assert watch.locator("#c-entries tbody tr[data-status=opened]").count() == 3
    assert watch.get_attribute("#ceremony", "data-phase") == "finished"
    assert watch.get_attribute("#c-trade-state .badge", "class") == "badge state-opened"
    assert watch.locator(".objection-form").is_hidden()
    pdf = watch.get_attribute("#record-pdf", "href")
    assert watch.request.get(base + pdf).body().startswith(b"%PDF")
    shot(watch, "ceremony-bidder")

    # a supervisor signs the record (the form appeared by polling), with a dissent: without a key in this
    # browser the page says so and nothing is sent
    sup = pages["supervisor"]
    sup.wait_for_selector(".sign-form:not([hidden])")
    sup.fill("#dissent", "第二家报价宣读迟延，已记录在案。")
    sup.click("#sign-button")
    sup.wait_for_selector("#signer-message:not([hidden])")
    assert "我的签名密钥" in sup.inner_text("#signer-message")
    # they make their key in this browser (WebCrypto, P-256): only its public half reaches the server
    sup.goto(base + "/signing/keys")
    sup.click("#make-key")
    sup.wait_for_selector("#browser-fp")
    fingerprint = sup.inner_text("#browser-fp")
    assert sup.inner_text("#published-fp") == fingerprint
    assert sup.get_attribute("#backup-link", "href").startswith("blob:")
    sup.goto(base + target)
    sup.wait_for_selector(".sign-form:not([hidden])")
    sup.fill("#dissent", "第二家报价宣读迟延，已记录在案。")
    sup.click("#sign-button")
    sup.wait_for_selector(".flash.success")
    staff.wait_for_selector("#c-signatures >> text=周监督")
    assert "第二家报价宣读迟延" in staff.inner_text("#c-signatures")
    shot(staff, "ceremony-staff")

    with live_app.app_context():
        assert db.session.get(Trade, trade_id).state is TradeState.OPENED
        # the stored signature is the supervisor's own: it verifies with the key the browser made
        row = db.session.scalar(sa.select(RecordSignature))
        key = db.session.scalar(sa.select(SigningKey).where(SigningKey.fingerprint == fingerprint))
        assert row.key_fingerprint == fingerprint and key.user_id == row.user_id
        assert st.verify(bytes(key.public_key), row.statement.encode(), bytes(row.signature))
        assert json.loads(row.statement)["dissent"] == "第二家报价宣读迟延，已记录在案。"

    # usable on a phone: nothing wider than the screen
    watch.set_viewport_size({"width": 390, "height": 844})
    assert watch.evaluate("document.documentElement.scrollWidth") <= 390
    shot(watch, "ceremony-bidder-phone")
    assert not problems, problems  # no CSP violation, no script error
