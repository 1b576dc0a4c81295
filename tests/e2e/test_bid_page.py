"""The bid page in real headless Chromium: a bidder seals a price and a ~2 MiB file in the page, only the
envelope is uploaded, and the keyholders' shares open it to exactly what was typed and attached."""
from __future__ import annotations

import base64
import hashlib
import io
import json
import random

import pytest
import sqlalchemy as sa

from bidding.crypto import envelope, receipt
from bidding.keyholders import client as holder_side, keys, services
from bidding.keyholders.models import Keyholder, OpeningKey, PersonalKey, SealedShare, Side
from bidding.submission.models import Bid, BidState
from bidding.crypto.records import decode_bid
from tests.conftest import PASSWORD, START, BodyRecorder, tender_timeline
from tests.e2e.conftest import shot
from trading.accounts.models import OrgKind
from trading.accounts.roles import Role
from trading.accounts.services import create_organisation, create_user
from trading.accounts.uscc import make_uscc
from trading.blobs import blob_store
from trading.centres.models import Centre
from trading.extensions import db
from trading.trades import services as trades
from trading.trades.flows import TradeState
from trading.trades.models import Trade

pytestmark = pytest.mark.e2e

PASSPHRASES = {"staff": "staff passphrase one", "staff2": "staff2 passphrase two", "supervisor": "supervisor pass three"}
PRICE, DAYS, NOTE = "4815000.00", "360", "含税价；工期自开工令起算"
FILE_SIZE = 2 * 1024 * 1024 + 333  # ~2 MiB, not a multiple of the chunk size


@pytest.fixture
def bidding_trade(live_app):
    """Keyholders enrolled and appointed, the trade approved (opening key made), published, open for bids."""
    with live_app.app_context():
        works = db.session.scalar(sa.select(Centre).where(Centre.code == "WORKS"))
        tenderer = create_organisation("城市建设投资集团", OrgKind.TENDERER, make_uscc("91330100MA2B00001"))
        company = create_organisation("滨江建工有限公司", OrgKind.BIDDER, make_uscc("91330100MA2B00002"))
        people = {
            "staff": create_user("staff", PASSWORD, "李执行", None, [(Role.CENTRE_STAFF, works.id)]),
            "staff2": create_user("staff2", PASSWORD, "赵执行", None, [(Role.CENTRE_STAFF, works.id)]),
            "supervisor": create_user("supervisor", PASSWORD, "周监督", None, [(Role.ADMIN_SUPERVISOR, works.id)]),
        }
        create_user("supervisor2", PASSWORD, "吴监督", None, [(Role.SOCIAL_SUPERVISOR, works.id)])
        decider = create_user("decider", PASSWORD, "王决策", None, [(Role.DECISION_MAKER, works.id)])
        create_user("bidder", PASSWORD, "孙投标", company, [(Role.BIDDER, None)])
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
        assert trade.state is TradeState.BIDDING and services.opening_key(trade) is not None
        return {"id": trade.id, "ref": trade.ref, "bidder_code": company.credit_code}


def sign_in(page, base: str, username: str, target: str) -> None:
    page.goto(f"{base}/login?next={target}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}{target}")


def rebuild_opening_key(trade_id: int):
    """What the keyholders' machines and the opening do: each opens their share with their passphrase."""
    trade = db.session.get(Trade, trade_id)
    key = db.session.scalar(sa.select(OpeningKey).where(OpeningKey.trade_id == trade_id))
    opened = {Side.EXECUTE: [], Side.SUPERVISE: []}
    for share in db.session.scalars(sa.select(SealedShare).where(SealedShare.opening_key_id == key.id)):
        holder = db.session.get(Keyholder, share.keyholder_id)
        personal = db.session.get(PersonalKey, share.personal_key_id)
        unlocked = holder_side.unwrap(personal.protected_key, PASSPHRASES[holder.user.username])
        opened[share.side].append(holder_side.open_share(share.sealed, unlocked, services.share_context(trade, holder)))
    return keys.rebuild_opening_key(opened[Side.EXECUTE], opened[Side.SUPERVISE], key.public_key)


def test_bidder_seals_in_the_page_and_only_the_envelope_is_uploaded(live_app, bidding_trade, new_page, tmp_path):
    base, trade_id = live_app.base_url, bidding_trade["id"]
    target = f"/bidding/trades/{trade_id}/bid"
    content = random.Random(20260302).randbytes(FILE_SIZE)
    attachment = tmp_path / "技术标.bin"
    attachment.write_bytes(content)

    page = new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text)
            if m.type == "error" and "favicon" not in (m.location or {}).get("url", "") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    urls: list[tuple[str, str]] = []
    page.on("request", lambda r: urls.append((r.method, r.url)))
    digests: list[str | None] = []
    page.on("request", lambda r: digests.append(r.headers.get("content-digest")) if r.method == "POST" else None)

    sign_in(page, base, "bidder", target)
    recorder = live_app.wsgi_app = BodyRecorder(live_app.wsgi_app)
    urls.clear()
    digests.clear()
    page.reload()
    with live_app.app_context():
        fingerprint = services.opening_key(db.session.get(Trade, trade_id)).fingerprint
    assert page.inner_text("#fingerprint") == fingerprint
    assert page.get_attribute("#bid-form", "data-version") == "1"
    page.wait_for_selector("#bid-form[data-ready=true]")  # the key matched its fingerprint; WebCrypto works
    assert page.inner_text("#countdown")  # the countdown runs from the data attribute

    page.fill("#price", PRICE)
    page.fill("#duration_days", DAYS)
    page.fill("#note", NOTE)
    page.set_input_files("#files", str(attachment))
    page.click("#seal-submit")
    page.wait_for_selector("#progress-row:not([hidden])")
    page.wait_for_selector("#receipt:not([hidden])", timeout=60_000)
    progress = page.locator("#seal-progress")
    assert progress.get_attribute("value") == "100" and progress.get_attribute("aria-valuenow") == "100"
    assert page.input_value("#price") == "" and page.get_attribute("#bid-form", "data-version") == "2"
    shown = {f: page.inner_text(f"#r-{f}") for f in ("trade", "version", "sha256", "size", "received")}
    assert shown["trade"] == bidding_trade["ref"] and shown["version"] == "1"
    assert page.get_attribute("#receipt", "data-local-sha256") == shown["sha256"]  # the page's own hash agrees
    assert page.locator("#own-bids tr[data-state=submitted]").count() == 1
    shot(page, "bid-page")
    assert not problems, problems  # no CSP violation, no script error

    with live_app.app_context():
        bid = db.session.scalar(sa.select(Bid).where(Bid.trade_id == trade_id))
        assert bid.state is BidState.SUBMITTED and bid.sha256 == shown["sha256"] and str(bid.size) == shown["size"]
        with blob_store().open(bid.sha256) as fh:
            stored = fh.read()
        private = rebuild_opening_key(trade_id)
        plain = io.BytesIO()
        header = envelope.open_envelope(io.BytesIO(stored), private, plain)
        assert (header.trade_ref, header.bidder_id, header.version) == (bidding_trade["ref"],
                                                                         bidding_trade["bidder_code"], 1)
        assert header.format_version == 2 and header.body_length == len(stored) - len(header.header_bytes)
        form, files = decode_bid(io.BytesIO(plain.getvalue()))
    assert form == {"price": PRICE, "duration_days": DAYS, "note": NOTE}
    assert files == [(attachment.name, content)]

    # the receipt the page offers verifies with the platform's published receipt key
    platform = page.request.get(f"{base}/api/v1/receipt-key").json()
    saved = page.request.get(base + page.get_attribute("#r-save", "href"))
    assert saved.ok
    signed = json.loads(saved.body())
    assert receipt.verify_receipt(saved.body(), receipt.load_platform_key(platform["public_key"]))
    assert signed["sha256"] == hashlib.sha256(stored).hexdigest() and signed["size"] == len(stored)
    assert signed["bidder"] == bidding_trade["bidder_code"] and signed["version"] == 1

    # the page never sent the plaintext: one upload, byte for byte the stored envelope, and nothing
    # anywhere (URL or body) carrying the price, the note or a piece of the file
    posts = [(path, body) for method, path, _q, body in recorder.seen if method == "POST"]
    assert [path for path, _b in posts] == [f"/bidding/trades/{trade_id}/bids"]
    assert posts[0][1] == stored
    # sent with the RFC 9530 digest of exactly those bytes (the platform refuses an upload without it)
    assert digests == ["sha-256=:" + base64.b64encode(hashlib.sha256(stored).digest()).decode() + ":"]
    assert [u for m, u in urls if m == "POST"] == [f"{base}/bidding/trades/{trade_id}/bids"]
    needles = [PRICE.encode(), NOTE.encode(), content[:64], content[FILE_SIZE // 2:FILE_SIZE // 2 + 64],
               content[-64:]]
    for method, path, query, body in recorder.seen:
        assert PRICE not in path + query
        for needle in needles:
            assert needle not in body, (method, path)
    for method, url in urls:
        assert PRICE not in url and "price" not in url

    # usable on a phone: nothing wider than the screen
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "bid-page-phone")


def test_keyholder_enrols_a_personal_key(live_app, bidding_trade, new_page):
    """The key pair is made and wrapped in the page; the form posts the public and wrapped keys only."""
    base = live_app.base_url
    recorder = live_app.wsgi_app = BodyRecorder(live_app.wsgi_app)
    page = new_page()
    sign_in(page, base, "supervisor2", "/bidding/personal-key")
    page.fill("#passphrase", "a long new passphrase")
    page.fill("#passphrase_confirm", "a long new passphrase, typo")
    page.click("#enrol-button")
    page.wait_for_selector("#enrol-error:not(:empty)")
    page.fill("#passphrase", "a long new passphrase")
    page.fill("#passphrase_confirm", "a long new passphrase")
    page.click("#enrol-button")
    page.wait_for_selector(".flash.success")
    fingerprint = page.inner_text("#key-fingerprint")
    shot(page, "personal-key")
    posted = [body for method, path, _q, body in recorder.seen if method == "POST" and path == "/bidding/personal-key"]
    assert len(posted) == 1 and b"passphrase" not in posted[0] and b"a+long+new" not in posted[0]
    with live_app.app_context():
        from trading.accounts.models import User

        user = db.session.scalar(sa.select(User).where(User.username == "supervisor2"))
        row = services.active_personal_key(user.id)
        assert keys.personal_fingerprint(row.public_key) == fingerprint
        assert holder_side.unwrap(row.protected_key, "a long new passphrase")  # opens on the holder's side
