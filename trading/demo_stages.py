"""The demo's sealed-bid stages: keyholders' personal keys, sealed bids, an opening already done, and a
sandbox tender whose opening falls a few minutes after `make run` with its bids already in.

Composition-level code like the app factory (pyproject.toml lets it use bidding). Everything the people
of the demo do here goes through the code their own machines run: personal keys are made and shares
opened by the keyholder's side (bidding.keyholders.client, what the browser and the offline tool do),
bids are sealed as the bid page seals them, signatures are made with the supervisor's own key. The
platform receives only what it receives from real people.
"""
from __future__ import annotations

import base64
import io
from datetime import timedelta
from decimal import Decimal

from flask import current_app

from trading.clock import clock, now
from trading.extensions import db
from trading.trades import services as trades

#: the demo keyholders' personal-key passphrase (real keyholders choose their own and tell nobody)
DEMO_PASSPHRASE = "keyholder-demo-2026"
#: a sandbox trade's legal periods run this many times faster: 20 days of bidding take 10 minutes
SANDBOX_ACCELERATOR = 2880
#: the sandbox opening falls this long after the demo is loaded (`make run`)
SANDBOX_OPENING_AFTER = timedelta(minutes=5)
#: the executing keyholders of each centre's sealed-bid trades (its two clerks: every centre's rule is
#: 2 executing + 1 supervising keyholder); the administrative supervisor holds the supervising half
CENTRE_KEYHOLDERS = {"WORKS": ("staff.works", "staff.works2"), "PROC": ("staff.proc", "staff.proc2"),
                     "LAND": ("staff.land", "staff.land2"), "HR": ("staff.hr", "staff.hr2")}
SUPERVISING_KEYHOLDER = "supervisor"
#: the companies that bid in the sandbox tender, and their prices (yuan)
SANDBOX_BIDS = (("bidder", "4150000.00"), ("bidder2", "4088000.00"), ("bidder3", "4199500.00"))
OPENED_BIDS = (("bidder", "7260000.00"), ("bidder2", "7415000.00"), ("bidder3", "7188800.00"),
               ("bidder4", "7302500.00"))
LIVE_BIDS = (("bidder", "46800000.00"), ("bidder4", "47150000.00"))


def keyholder_names() -> list[str]:
    return [name for pair in CENTRE_KEYHOLDERS.values() for name in pair] + [SUPERVISING_KEYHOLDER]


def enrol_keyholders(users) -> None:
    """Each keyholder's personal key, made on their side under the demo passphrase; the platform gets the
    public key and the wrapped key only."""
    from bidding.keyholders import client, services as keyholding

    for name in keyholder_names():
        if keyholding.active_personal_key(users[name].id) is None:
            made = client.enrol(DEMO_PASSPHRASE, current_app.config["PERSONAL_KEY_ITERATIONS"])
            keyholding.enrol_personal_key(users[name], made.public_key, made.wrapped_key)


def publish_sealed(trade, users, centre_code: str):
    """Keyholders appointed (the centre's two clerks and the supervisor), submitted, approved (the opening
    key is made and split), published."""
    from bidding.keyholders import services as keyholding

    first, second = CENTRE_KEYHOLDERS[centre_code]
    return keyholding.publish_sealed_tender(trade, clerk=users[first], decider=users["decider"],
                                            executing=[users[first], users[second]],
                                            supervising=[users[SUPERVISING_KEYHOLDER]])


def submit_sealed_bid(trade, user, price: str, note: str = "") -> None:
    """What the bid page does in the bidder's browser: seal the form and a file to the trade's opening
    key, then upload only the envelope with its Content-Digest (a signed receipt comes back)."""
    from bidding.crypto import envelope
    from bidding.crypto.envelope_check import content_digest
    from bidding.crypto.records import encode_bid
    from bidding.keyholders.services import opening_key
    from bidding.submission import services as submission

    company = user.organisation
    plaintext = encode_bid({"price": price, "duration_days": "360", "note": note},
                           [("技术标.txt", f"{company.name} 技术标（演示）\n".encode())])
    out = io.BytesIO()
    envelope.seal(plaintext, public_key=envelope.load_public_key(opening_key(trade).public_key.hex()),
                  trade_ref=trade.ref, bidder_id=company.credit_code, version=1, out=out)
    data = out.getvalue()
    submission.submit_bid(user, trade, io.BytesIO(data), content_digest(data))


def open_with_keyholders(trade, users, signing_keys: dict) -> None:
    """The ceremony as its people run it: the clerk starts, each keyholder's side opens their share with
    the passphrase and releases only the share, the clerk opens the bids, the supervisor signs the record
    with their own key."""
    from bidding.ceremony import services as ceremony
    from trading.signing import services as signing, statements as st

    open_with_keyholders_unsigned(trade, users)
    clock.advance(timedelta(minutes=3))
    supervisor = users[SUPERVISING_KEYHOLDER]
    statement = signing.issue(supervisor, "opening-record", {"trade_id": trade.id})
    ceremony.sign_record(supervisor, trade, None, statement.decode("utf-8"),
                         base64.b64encode(st.sign(signing_keys[SUPERVISING_KEYHOLDER], statement)).decode())


def open_with_keyholders_unsigned(trade, users) -> None:
    """The ceremony without the supervisor's signature on its record (a demo stage that signs later, or never):
    the clerk starts, each keyholder's side opens and releases their share, the clerk opens the bids."""
    from bidding.ceremony import services as ceremony
    from bidding.ceremony.opening import complete_ceremony
    from bidding.ceremony.shares import release_share, sealed_share_for
    from bidding.keyholders import client

    clerk = users[CENTRE_KEYHOLDERS[trade.centre.code][0]]
    ceremony.start_ceremony(clerk, trade)
    for name in (*CENTRE_KEYHOLDERS[trade.centre.code], SUPERVISING_KEYHOLDER):
        clock.advance(timedelta(seconds=40))
        got = sealed_share_for(users[name], trade)
        share = client.release(bytes.fromhex(got["wrapped_key"]), DEMO_PASSPHRASE,
                               bytes.fromhex(got["sealed_share"]), got["context"].encode())
        release_share(users[name], trade, share)
    clock.advance(timedelta(minutes=1))
    complete_ceremony(clerk, trade)


def opened_trade(centres, orgs, users, signing_keys: dict) -> None:
    """A works tender opened a fortnight ago with four bids, its record signed: the stage after the opening.
    Called with the clock at the start of the demo's history (40 days ago)."""
    from trading.notices import services as notices

    start = now()
    issue = start + timedelta(hours=2)
    deadline = (issue + timedelta(days=25)).replace(hour=1, minute=30, second=0, microsecond=0)  # 09:30 CST
    trade = trades.create_trade(users["staff.works"], {
        "centre_id": centres["WORKS"].id, "method": "works_open_tender", "tenderer_id": orgs["tenderer"].id,
        "title": "城西污水处理厂提标改造工程施工招标", "estimated_price": Decimal("7600000.00"),
        "bid_security": Decimal("120000.00"), "description": "日处理规模5万吨，出水提标至准IV类。工期240日历天。",
        "issue_at": issue, "docs_until": issue + timedelta(days=10), "bid_deadline": deadline,
        "opening_at": deadline})
    notices.upload_document(users["staff.works"], trade, "招标文件.txt", "text/plain",
                            io.BytesIO("城西污水处理厂提标改造工程 招标文件（示例）\n".encode()))
    publish_sealed(trade, users, "WORKS")
    clock.freeze(issue + timedelta(days=3))
    trades.advance_due()
    for n, (name, price) in enumerate(OPENED_BIDS):
        clock.advance(timedelta(hours=5 + n))
        submit_sealed_bid(trade, users[name], price)
    clock.freeze(deadline + timedelta(seconds=1))
    trades.advance_due()  # closed at the deadline
    clock.freeze(deadline + timedelta(minutes=2))
    open_with_keyholders(trade, users, signing_keys)


def sandbox_opening_soon(centres, orgs, users, loaded_at) -> None:
    """A sandbox works tender whose bids close and open SANDBOX_OPENING_AFTER after `loaded_at`, three
    sealed bids already in. Its 20 legal days ran, accelerated, in the half hour before the demo loaded."""
    from trading.notices import services as notices

    opening = (loaded_at + SANDBOX_OPENING_AFTER).replace(microsecond=0)
    created = opening - timedelta(minutes=30)
    clock.freeze(created)
    trade = trades.create_trade(users["staff.works"], {
        "centre_id": centres["WORKS"].id, "method": "works_open_tender", "tenderer_id": orgs["tenderer"].id,
        "title": "【沙箱】培训用模拟招标：社区服务中心装修工程", "estimated_price": Decimal("4200000.00"),
        "description": f"演示与培训用，不是真实交易。法定期限按{SANDBOX_ACCELERATOR}倍加速：20日约10分钟。",
        "sandbox": True, "accelerator": SANDBOX_ACCELERATOR,
        "issue_at": created + timedelta(minutes=1), "docs_until": created + timedelta(minutes=12),
        "bid_deadline": opening, "opening_at": opening})
    notices.upload_document(users["staff.works"], trade, "招标文件（沙箱）.txt", "text/plain",
                            io.BytesIO("社区服务中心装修工程 招标文件（沙箱示例）\n".encode()))
    publish_sealed(trade, users, "WORKS")
    clock.freeze(created + timedelta(minutes=2))
    trades.advance_due()  # open for bids
    for name, price in SANDBOX_BIDS:
        clock.advance(timedelta(minutes=3))
        submit_sealed_bid(trade, users[name], price)


def live_bids(trade, users) -> None:
    """Bids in the tender that is open for bids (so bidders have receipts to look at)."""
    for name, price in LIVE_BIDS:
        clock.advance(timedelta(hours=3))
        submit_sealed_bid(trade, users[name], price)
