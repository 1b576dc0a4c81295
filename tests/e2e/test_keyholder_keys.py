"""Keyholders' keys in real headless Chromium: each keyholder enrols a personal key in the browser
(made and wrapped there, at the production PBKDF2 cost), the notice publishes its fingerprint, and
at the opening each browser opens its own share and sends only that share; the ceremony opens the
real bids. Every request body that reached the server is recorded: no passphrase is in any of them."""
from __future__ import annotations

import io
import os
import shutil
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, quote, quote_plus

import pytest
import sqlalchemy as sa

from bidding.keyholders import keys, services
from bidding.keyholders.models import PersonalKey
from bidding.submission import services as submission
from bidding.crypto.envelope_check import content_digest
from tests.conftest import PASSWORD, START, tender_timeline
from tests.e2e.conftest import shot
from tests.conftest import BodyRecorder
from tests.e2e.test_bid_page import sign_in
from tests.e2e.test_ceremony_page import BIDDERS, _seal, _watch_errors
from trading.accounts.models import Organisation, OrgKind, User
from trading.accounts.roles import Role
from trading.accounts.services import create_organisation, create_user
from trading.accounts.uscc import make_uscc
from trading.centres.models import Centre
from trading.extensions import db
from trading.notices.models import Notice
from trading.trades import services as trades
from trading.trades.flows import TradeState
from trading.trades.models import Trade

pytestmark = pytest.mark.e2e

PASSPHRASES = {"staff": "钥匙 staff passphrase one", "staff2": "staff2 passphrase two",
               "supervisor": "supervisor pass three"}
DOC_IMAGE = Path(__file__).resolve().parents[2] / "docs" / "img" / "keyholder-release.png"


def _people(live_app) -> None:
    with live_app.app_context():
        works = db.session.scalar(sa.select(Centre).where(Centre.code == "WORKS"))
        create_user("staff", PASSWORD, "李执行", None, [(Role.CENTRE_STAFF, works.id)])
        create_user("staff2", PASSWORD, "赵执行", None, [(Role.CENTRE_STAFF, works.id)])
        create_user("supervisor", PASSWORD, "周监督", None, [(Role.ADMIN_SUPERVISOR, works.id)])
        create_user("decider", PASSWORD, "王决策", None, [(Role.DECISION_MAKER, works.id)])
        create_organisation("城市建设投资集团", OrgKind.TENDERER, make_uscc("91330100MA2C00001"))
        for n, (username, (company, _price)) in enumerate(BIDDERS.items(), start=2):
            org = create_organisation(company, OrgKind.BIDDER, make_uscc(f"91330100MA2C0000{n}"))
            create_user(username, PASSWORD, f"{company}投标员", org, [(Role.BIDDER, None)])
        db.session.commit()


def _publish_and_bid(live_app, clock) -> dict:
    """The decision branch appoints the enrolled keyholders, approval makes the opening key, the
    notice is published, three companies bid (sealed as the bid page does), the opening time comes."""
    with live_app.app_context():
        user = {u.username: u for u in db.session.scalars(sa.select(User))}
        works = db.session.scalar(sa.select(Centre).where(Centre.code == "WORKS"))
        tenderer = db.session.scalar(sa.select(Organisation).where(Organisation.name == "城市建设投资集团"))
        trade = trades.create_trade(user["staff"], {
            "centre_id": works.id, "method": "works_open_tender", "tenderer_id": tenderer.id,
            "title": "滨江大道综合管廊工程施工招标", "description": "管廊全长3.2公里。",
            "estimated_price": 86000000, **tender_timeline(START)})
        services.publish_sealed_tender(trade, clerk=user["staff"], decider=user["decider"],
                                       executing=[user["staff"], user["staff2"]], supervising=[user["supervisor"]])
        db.session.commit()
        for username, (_company, price) in BIDDERS.items():
            bidder = user[username]
            data = _seal(trade, bidder.organisation.credit_code, price)
            submission.submit_bid(bidder, trade, io.BytesIO(data), content_digest(data))
        db.session.commit()
        assert trade.state is TradeState.BIDDING
        notice = db.session.scalar(sa.select(Notice).where(Notice.trade_id == trade.id))
        clock.freeze(trade.opening_at + timedelta(minutes=1))
        return {"id": trade.id, "ref": trade.ref, "notice": notice.body}


def test_keyholders_enrol_and_release_from_the_browser(live_app, new_page, clock):
    from playwright.sync_api import expect

    live_app.config["PERSONAL_KEY_ITERATIONS"] = keys.MIN_PBKDF2_ITERATIONS  # the production cost
    recorder = live_app.wsgi_app = BodyRecorder(live_app.wsgi_app)
    _people(live_app)
    base, problems, pages, fingerprints = live_app.base_url, [], {}, {}

    # each keyholder enrols in their own browser: the key pair is made and wrapped there
    for who, phrase in PASSPHRASES.items():
        page = pages[who] = new_page()
        _watch_errors(page, problems)
        sign_in(page, base, who, "/bidding/personal-key")
        page.fill("#passphrase", phrase)
        page.fill("#passphrase_confirm", phrase)
        page.click("#enrol-button")
        page.wait_for_selector(".flash.success", timeout=30_000)
        fingerprints[who] = page.inner_text("#key-fingerprint")
    with live_app.app_context():
        for who, fp in fingerprints.items():
            row = db.session.scalar(sa.select(PersonalKey).join(User, User.id == PersonalKey.user_id)
                                    .where(User.username == who))
            assert keys.personal_fingerprint(row.public_key) == fp
            assert keys.parse_key_blob(row.protected_key).params == (keys.MIN_PBKDF2_ITERATIONS,)

    trade = _publish_and_bid(live_app, clock)
    for fp in fingerprints.values():  # every keyholder can find their key on the public notice
        assert fp in trade["notice"]
    target = f"/bidding/trades/{trade['id']}/ceremony"

    staff = pages["staff"]
    staff.goto(base + target)
    staff.click("#start-button")
    staff.wait_for_selector(".flash.success")
    for who in ("staff2", "supervisor"):
        pages[who].goto(base + target)

    # a wrong passphrase is found in the browser: an error, nothing posted, nothing released
    sup = pages["supervisor"]
    posts_before = sum(1 for m, *_ in recorder.seen if m == "POST")
    sup.fill("#passphrase", "not the supervisor's passphrase")
    sup.click("#release-button")
    expect(sup.locator("#release-error")).not_to_be_empty(timeout=30_000)
    assert sup.input_value("#passphrase") == "not the supervisor's passphrase"  # kept to be corrected
    # only the browser knows a guess was wrong, so it is the browser that slows guessing: from the
    # third wrong try the button rests (5 s, then longer)
    for _ in range(2):
        expect(sup.locator("#release-button")).to_be_enabled()
        sup.click("#release-button")
    expect(sup.locator("#release-button")).to_be_disabled(timeout=30_000)
    expect(sup.locator("#release-status")).to_contain_text("5")
    assert sum(1 for m, *_ in recorder.seen if m == "POST") == posts_before
    expect(sup.locator("#release-button")).to_be_enabled(timeout=30_000)

    # each keyholder's browser opens its own share and posts only the share
    assert fingerprints["supervisor"] == sup.inner_text("#holder-fingerprint")
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
    expect(staff.locator("#c-sides tr[data-side=execute] .released")).to_have_text("2")
    expect(staff.locator("#c-sides tr[data-side=supervise] .released")).to_have_text("1")
    sup.wait_for_selector("#c-releases li >> text=周监督")
    shot(sup, "keyholder-release")

    staff.click("#complete-button")
    staff.wait_for_selector(".flash.success")
    staff.wait_for_selector("#c-entries:not([hidden])")
    assert staff.locator("#c-entries tbody tr[data-status=opened]").count() == 3
    for _company, price in BIDDERS.values():
        assert f"{int(price.split('.')[0]):,}" in staff.inner_text("#c-entries")
    with live_app.app_context():
        assert db.session.get(Trade, trade["id"]).state is TradeState.OPENED

    # what reached the server: public keys, wrapped keys and shares; never a passphrase
    releases = [body for m, path, _q, body in recorder.seen if m == "POST" and path.endswith("/ceremony/shares")]
    enrolments = [body for m, path, _q, body in recorder.seen if m == "POST" and path == "/bidding/personal-key"]
    assert len(releases) == 3 and len(enrolments) == 3
    for body in releases:
        assert set(parse_qs(body.decode())) == {"csrf_token", "share"}
        assert len(bytes.fromhex(parse_qs(body.decode())["share"][0])) == 72
    for body in enrolments:
        assert set(parse_qs(body.decode())) == {"csrf_token", "public_key", "wrapped_key"}
    for _m, _path, query, body in recorder.seen:
        for phrase in [*PASSPHRASES.values(), "not the supervisor's passphrase"]:
            for form in (phrase, quote_plus(phrase), quote(phrase), phrase[4:]):
                assert form.encode() not in body and form not in query
        assert b"passphrase" not in body
    assert not problems, problems
    if os.environ.get("DOC_IMAGES"):  # DOC_IMAGES=1 refreshes the README tour's picture of this step
        shutil.copyfile(Path(__file__).resolve().parents[2] / "test-artifacts" / "keyholder-release.png", DOC_IMAGE)
