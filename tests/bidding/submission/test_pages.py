"""The sealed-bid pages: the bid page and its envelope upload, receipts, personal keys, keyholders."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from bidding.keyholders import client as holder_side, keys
from bidding.keyholders.models import Keyholder, PersonalKey
from bidding.submission.models import Bid, BidState
from bidding.crypto.envelope_check import content_digest
from tests.bidding.experts.matrix_experts import COVERED as EXPERTS_COVERED
from tests.bidding.collusion.matrix_collusion import COVERED as COLLUSION_COVERED
from tests.bidding.matrix_custody import COVERED as CUSTODY_COVERED
from tests.bidding.award.matrix_award import COVERED as AWARD_COVERED, PUBLIC as AWARD_PUBLIC
from tests.bidding.auctions.deal.matrix_deal import COVERED as DEAL_COVERED
from tests.bidding.auctions.live.matrix_live_round import COVERED as LIVE_COVERED
from tests.bidding.auctions.property.matrix_property import COVERED as PROPERTY_COVERED
from tests.bidding.auctions.reserve.matrix_reserve import COVERED as RESERVE_COVERED
from tests.bidding.evaluation.matrix_review import COVERED as REVIEW_COVERED
from tests.bidding.matrix_pages import CEREMONY_PAGES, COVERED, SALE_COVERED, SALE_PUBLIC
from tests.bidding.matrix_scoring import COVERED as SCORING_COVERED
from tests.bidding.submission.test_bids_api import PASSPHRASES, _envelope, sealed_trade  # noqa: F401 (fixtures)
from tests.conftest import START, csrf_token, login, tender_timeline
from trading.accounts.models import User
from trading.accounts.roles import Role
from trading.trades.flows import TradeState


def _code(users, who: str = "bidder") -> str:
    return users[who].organisation.credit_code


def login_en(client, username: str) -> None:
    """Sign in and read the pages in English (pages speak Chinese unless the session chose otherwise)."""
    login(client, username)
    client.get("/lang/en")


def _post_envelope(client, trade, data: bytes, headers: dict | None = None):
    return client.post(f"/bidding/trades/{trade.id}/bids", data=data, content_type="application/octet-stream",
                       headers={"Accept": "application/json", "Content-Digest": content_digest(data), **(headers or {})})


# ---- the caller matrix -----------------------------------------------------------------------------

def _request(client, route: str, trade, users):
    """Issue the request for one (endpoint, method) as the currently signed-in user."""
    if route == "bidding.bid_page GET":
        return client.get(f"/bidding/trades/{trade.id}/bid")
    if route == "bidding.submit_bid POST":
        return _post_envelope(client, trade, _envelope(client, trade, _code(users)))
    if route == "bidding.withdraw_bid POST":
        return client.post(f"/bidding/trades/{trade.id}/bids/withdraw")
    if route == "bidding.bid_receipt GET":
        return client.get(f"/bidding/trades/{trade.id}/bids/1/receipt.json")
    if route == "bidding.personal_key GET":
        return client.get("/bidding/personal-key")
    if route == "bidding.personal_key POST":
        made = holder_side.enrol("a brand new passphrase", 1_000)
        return client.post("/bidding/personal-key", data={"public_key": made.public_key.hex(),
                                                         "wrapped_key": made.wrapped_key.hex()})
    if route == "bidding.keyholders GET":
        return client.get(f"/bidding/trades/{trade.id}/keyholders")
    if route == "bidding.keyholders POST":
        return client.post(f"/bidding/trades/{trade.id}/keyholders", data={
            "execute": [str(users["staff"].id), str(users["staff2"].id)], "supervise": [str(users["supervisor"].id)]})
    raise AssertionError(route)


#: route -> (the trade it needs, a user with the right role, a user of a wrong role or branch)
MATRIX = {
    "bidding.bid_page GET": ("bidding", "bidder", "staff"),
    "bidding.submit_bid POST": ("bidding", "bidder", "staff"),
    "bidding.withdraw_bid POST": ("bidding", "bidder", "tenderer"),
    "bidding.bid_receipt GET": ("bidding", "bidder", "supervisor"),
    "bidding.personal_key GET": (None, "staff", "bidder"),
    "bidding.personal_key POST": (None, "supervisor", "decider"),
    "bidding.keyholders GET": ("draft", "decider", "staff"),
    "bidding.keyholders POST": ("draft", "decider", "supervisor"),
}


def test_matrix_names_every_page_route(app):
    rules = {(r.endpoint, m) for r in app.url_map.iter_rules() if r.endpoint.startswith("bidding.")
             for m in r.methods - {"HEAD", "OPTIONS"}}
    # the custody and expert pages have their own matrices (tests/bidding/custody, tests/bidding/experts)
    custody_pages = {r for r in CUSTODY_COVERED | EXPERTS_COVERED | REVIEW_COVERED | COLLUSION_COVERED
                     | SCORING_COVERED | AWARD_COVERED | AWARD_PUBLIC | SALE_COVERED | SALE_PUBLIC
                     | DEAL_COVERED | RESERVE_COVERED | PROPERTY_COVERED | LIVE_COVERED
                     if r[0].startswith("bidding.")}
    assert rules == COVERED | custody_pages
    assert {tuple(k.split(" ")) for k in MATRIX} == COVERED - CEREMONY_PAGES


@pytest.fixture
def trade_for(request, make_trade):
    def make(kind):
        if kind == "bidding":
            return request.getfixturevalue("sealed_trade")
        if kind == "draft":
            return make_trade(paper_bids=False)
        return None
    return make


@pytest.mark.parametrize("kind", ["anonymous", "wrong", "right"])
@pytest.mark.parametrize("route", sorted(MATRIX))
def test_page_matrix(route, kind, db, client, keyholding, trade_for):
    users = keyholding
    needs, right, wrong = MATRIX[route]
    trade = trade_for(needs)
    if route in ("bidding.bid_receipt GET", "bidding.withdraw_bid POST") and kind == "right":
        login(client, "bidder")
        assert _request(client, "bidding.submit_bid POST", trade, users).status_code == 201
    if kind != "anonymous":
        login(client, right if kind == "right" else wrong)
    else:
        client.post("/logout")
    response = _request(client, route, trade, users)
    if kind == "anonymous":
        assert response.status_code == 302
        assert response.headers["Location"].split("?")[0].endswith("/login")
    elif kind == "wrong":
        assert response.status_code == 403, response.get_data(as_text=True)[:300]
    else:
        assert 200 <= response.status_code < 400, response.get_data(as_text=True)[:500]
        if response.status_code == 302:
            assert "/login" not in response.headers["Location"]


# ---- the bid page --------------------------------------------------------------------------------

def test_bid_page_shows_key_version_and_own_bids(db, client, sealed_trade, users):
    login_en(client, "bidder")
    page = client.get(f"/bidding/trades/{sealed_trade.id}/bid")
    html = page.get_data(as_text=True)
    key = client.get(f"/api/v1/trades/{sealed_trade.id}/opening-key").get_json()
    assert page.status_code == 200
    assert key["fingerprint"] in html and f'data-public-key="{key["public_key"]}"' in html
    assert 'data-version="1"' in html and f'data-bidder-id="{_code(users)}"' in html
    assert f'data-deadline="{sealed_trade.bid_deadline.isoformat()}"' in html
    assert "<script type=\"module\"" in html and "/static/js/bid-page.js" in html
    assert "<script>" not in html and "onclick" not in html  # the CSP allows no inline script
    # the plaintext fields have no name: a form submitted without the script would send none of them
    for field in ("price", "duration_days", "note", "files"):
        assert f'id="{field}"' in html and f'name="{field}"' not in html
    assert f'<label for="{field}"' in html

    assert _post_envelope(client, sealed_trade, _envelope(client, sealed_trade, _code(users))).status_code == 201
    html = client.get(f"/bidding/trades/{sealed_trade.id}/bid").get_data(as_text=True)
    bid = db.session.scalar(sa.select(Bid))
    assert 'data-version="2"' in html and bid.sha256 in html
    assert f"/bidding/trades/{sealed_trade.id}/bids/1/receipt.json" in html
    assert f"/bidding/trades/{sealed_trade.id}/bids/withdraw" in html


def test_upload_answers_a_receipt_in_json(db, client, sealed_trade, users):
    login(client, "bidder")
    data = _envelope(client, sealed_trade, _code(users))
    response = _post_envelope(client, sealed_trade, data)
    assert response.status_code == 201
    body = response.get_json()
    assert body["trade"] == sealed_trade.ref and body["version"] == 1 and body["size"] == len(data)
    assert body["next_version"] == 2 and body["receipt"]["sha256"] == body["sha256"]
    saved = client.get(body["receipt_url"])
    assert saved.status_code == 200 and saved.mimetype == "application/json"
    assert "attachment" in saved.headers["Content-Disposition"]
    assert json.loads(saved.get_data()) == body["receipt"]


@pytest.mark.parametrize("case,status,code", [
    ("plain", 422, "invalid"), ("wrong_version", 422, "invalid"), ("late", 409, "deadline_passed"),
])
def test_upload_errors_are_json_a_person_can_read(db, client, sealed_trade, users, clock, case, status, code):
    login_en(client, "bidder")
    data = {"plain": b"price list: 4815000.00", "late": _envelope(client, sealed_trade, _code(users)),
            "wrong_version": _envelope(client, sealed_trade, _code(users), version=3)}[case]
    if case == "late":
        clock.freeze(sealed_trade.bid_deadline)
    response = _post_envelope(client, sealed_trade, data)
    assert response.status_code == status and response.is_json
    body = response.get_json()
    assert body["code"] == code and body["message"]
    if case == "plain":
        assert "encrypted" in body["message"]
    if case == "wrong_version":
        assert "expected 1" in body["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Bid)) == 0


def test_a_bidder_gets_only_their_own_receipts(db, client, sealed_trade, users, make_user, make_org):
    from trading.accounts.models import OrgKind

    make_user("bidder_b", (Role.BIDDER, None), org=make_org(OrgKind.BIDDER, "Second Bidder Co."))
    login(client, "bidder")
    assert _post_envelope(client, sealed_trade, _envelope(client, sealed_trade, _code(users))).status_code == 201
    login(client, "bidder_b")
    assert client.get(f"/bidding/trades/{sealed_trade.id}/bids/1/receipt.json").status_code == 404
    assert client.get(f"/bidding/trades/{sealed_trade.id}/bids/7/receipt.json").status_code == 404


def test_withdraw_from_the_page(db, client, sealed_trade, users):
    login_en(client, "bidder")
    nothing = client.post(f"/bidding/trades/{sealed_trade.id}/bids/withdraw", follow_redirects=True)
    assert "There is no bid to withdraw." in nothing.get_data(as_text=True)
    assert _post_envelope(client, sealed_trade, _envelope(client, sealed_trade, _code(users))).status_code == 201
    done = client.post(f"/bidding/trades/{sealed_trade.id}/bids/withdraw", follow_redirects=True)
    assert "withdrawn" in done.get_data(as_text=True)
    assert db.session.scalar(sa.select(Bid)).state is BidState.WITHDRAWN


def test_upload_needs_the_csrf_token(make_app, clock):
    """With CSRF on (as in production) the page's token must come in the X-CSRFToken header."""
    from trading.accounts.models import OrgKind
    from trading.accounts.services import create_organisation, create_user
    from trading.accounts.uscc import make_uscc
    from trading.centres.models import Centre
    from trading.extensions import db
    from trading.trades import services as trades

    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        works = db.session.scalar(sa.select(Centre).where(Centre.code == "WORKS"))
        works.keyholders_execute = 1
        tenderer = create_organisation("Tenderer Co.", OrgKind.TENDERER, make_uscc("91330100MA0000001"))
        company = create_organisation("Bidder Co.", OrgKind.BIDDER, make_uscc("91330100MA0000002"))
        staff = create_user("staff", "test-pass-123", "Staff", None, [(Role.CENTRE_STAFF, works.id)])
        sup = create_user("supervisor", "test-pass-123", "Sup", None, [(Role.ADMIN_SUPERVISOR, works.id)])
        decider = create_user("decider", "test-pass-123", "Decider", None, [(Role.DECISION_MAKER, works.id)])
        create_user("bidder", "test-pass-123", "Bidder", company, [(Role.BIDDER, None)])
        from bidding.keyholders import services

        for person in (staff, sup):
            made = holder_side.enrol(PASSPHRASES["staff"], 1_000)
            services.enrol_personal_key(person, made.public_key, made.wrapped_key)
        trade = trades.create_trade(staff, {"centre_id": works.id, "method": "works_open_tender",
                                            "tenderer_id": tenderer.id, "title": "CSRF trade", "description": "",
                                            "estimated_price": 1000000, **tender_timeline(START)})
        services.appoint_keyholders(decider, trade, [staff.id], [sup.id])
        trades.move(trade, "submit", staff)
        trades.move(trade, "approve", decider)
        trades.move(trade, "publish", staff)
        db.session.commit()
        trade_id, code = trade.id, company.credit_code
        trade = db.session.get(type(trade), trade_id)
        client = app.test_client()
        page = client.get("/login")
        client.post("/login", data={"username": "bidder", "password": "test-pass-123",
                                    "csrf_token": csrf_token(page.get_data(as_text=True))})
        html = client.get(f"/bidding/trades/{trade_id}/bid").get_data(as_text=True)
        token = html.split('data-csrf="', 1)[1].split('"', 1)[0]
        data = _envelope(client, trade, code)
        refused = _post_envelope(client, trade, data)
        assert refused.status_code == 400
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Bid)) == 0
        accepted = _post_envelope(client, trade, data, headers={"X-CSRFToken": token})
        assert accepted.status_code == 201, accepted.get_data(as_text=True)[:300]


# ---- personal keys ---------------------------------------------------------------------------------

def test_personal_key_enrolment(db, client, users):
    """The page's form posts the public and wrapped keys the page script made in the browser; the
    passphrase fields have no name, and a post that still carries a passphrase is turned away unread."""
    login_en(client, "supervisor")
    page = client.get("/bidding/personal-key").get_data(as_text=True)
    assert "cannot recover" in page and f'minlength="{keys.MIN_PASSPHRASE}"' in page
    assert '<label for="passphrase">' in page and '<label for="passphrase_confirm">' in page
    assert 'name="passphrase' not in page and "/static/js/personal-key-page.js" in page
    assert 'data-iterations="1000"' in page  # the browser wraps with the configured PBKDF2 cost
    old_form = client.post("/bidding/personal-key", data={"passphrase": "one long passphrase",
                                                          "passphrase_confirm": "one long passphrase"})
    assert old_form.status_code == 410 and "no longer accepts passphrases" in old_form.get_data(as_text=True)
    assert "one long passphrase" not in old_form.get_data(as_text=True)
    made, other = holder_side.enrol("one long passphrase", 1_000), holder_side.enrol("one long passphrase", 1_000)
    for bad, field, rule in (
            ({"public_key": "04" + "00" * 64}, "public_key", "65-byte uncompressed P-256 point"),
            ({"public_key": made.public_key.hex(), "wrapped_key": other.wrapped_key.hex()}, "wrapped_key",
             "version 2 personal key blob of the same public key"),
            ({"public_key": made.public_key.hex(), "wrapped_key": "xyz"}, "wrapped_key", "hexadecimal"),
            ({}, "public_key", "is required")):
        refused = client.post("/bidding/personal-key", data=bad)
        assert refused.status_code == 422 and rule in refused.get_data(as_text=True), (field, bad)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PersonalKey)) == 0
    ok = client.post("/bidding/personal-key", data={"public_key": made.public_key.hex(),
                                                    "wrapped_key": made.wrapped_key.hex()})
    assert ok.status_code == 302
    row = db.session.scalar(sa.select(PersonalKey).where(PersonalKey.user_id == users["supervisor"].id))
    assert row.public_key == made.public_key and row.protected_key == made.wrapped_key
    assert holder_side.unwrap(row.protected_key, "one long passphrase")  # opens on the holder's side only
    after = client.get("/bidding/personal-key").get_data(as_text=True)
    assert made.fingerprint in after and "one long passphrase" not in after


# ---- keyholders ----------------------------------------------------------------------------------

def test_keyholder_page_appoints_and_shows_enrolment(db, client, keyholding, make_trade, make_user):
    users = keyholding
    make_user("lazy_staff", (Role.CENTRE_STAFF, "WORKS"))  # not enrolled
    trade = make_trade(paper_bids=False)
    login_en(client, "decider")
    page = client.get(f"/bidding/trades/{trade.id}/keyholders")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    lazy = db.session.scalar(sa.select(User).where(User.username == "lazy_staff"))
    for name, user in (("execute", users["staff"]), ("execute", users["staff2"]), ("execute", lazy),
                       ("supervise", users["supervisor"]), ("supervise", users["social"])):
        assert f'name="{name}" value="{user.id}"' in html, user.username
    assert "no personal key yet" in html and "key enrolled" in html
    assert users["staff_proc"].username not in html  # another centre's clerk is no candidate
    url = f"/bidding/trades/{trade.id}/keyholders"
    too_few = client.post(url, data={"execute": [str(users["staff"].id)], "supervise": [str(users["supervisor"].id)]})
    assert too_few.status_code == 422 and "at least 2" in too_few.get_data(as_text=True)
    ok = client.post(url, data={"execute": [str(users["staff"].id), str(users["staff2"].id)],
                                "supervise": [str(users["supervisor"].id)]})
    assert ok.status_code == 302
    held = db.session.scalars(sa.select(Keyholder).where(Keyholder.trade_id == trade.id)).all()
    assert sorted(k.user_id for k in held) == sorted([users["staff"].id, users["staff2"].id, users["supervisor"].id])


def test_keyholders_are_fixed_after_approval(db, client, sealed_trade, keyholding):
    login_en(client, "decider")
    html = client.get(f"/bidding/trades/{sealed_trade.id}/keyholders").get_data(as_text=True)
    assert "Appoint these keyholders" not in html and "disabled" in html
    late = client.post(f"/bidding/trades/{sealed_trade.id}/keyholders",
                       data={"execute": [str(keyholding["staff"].id), str(keyholding["staff2"].id)],
                             "supervise": [str(keyholding["supervisor"].id)]})
    assert late.status_code == 409 and "before the trade is approved" in late.get_data(as_text=True)
    assert sealed_trade.state is TradeState.BIDDING
