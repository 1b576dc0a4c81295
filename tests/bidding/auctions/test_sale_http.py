"""The sale over real HTTP: every route's callers (anonymous, wrong role or branch, another company, another
centre), then a registration and the listing through the API and the pages in zh and en: documents, the
deposit confirmed with the paying account, quotes at and below the minimum (409 with its code, told in the
caller's language), malformed amounts (422 naming the field), the increment changed mid-listing, and the
public board showing paddle numbers, never company names."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest

from bidding.auctions import services as auctions
from tests.bidding.auctions.conftest import INCREMENT, STARTING_PRICE
from tests.bidding.matrix_pages import SALE_COVERED, SALE_PUBLIC
from tests.conftest import api_headers, login
from trading.accounts.models import OrgKind
from trading.accounts.roles import Role


@pytest.fixture
def applied(db, listing, land, make_user, make_org):
    """buyer4's company has applied during the listing, with one document, and waits for the staff."""
    trade, regs = listing
    land["buyer4"] = make_user("buyer4", (Role.BIDDER, None), org=make_org(OrgKind.BIDDER, "Land Buyer 4 Co."))
    reg = auctions.register(land["buyer4"], trade)
    doc = auctions.add_document(land["buyer4"], reg, "licence.pdf", "application/pdf", io.BytesIO(b"%PDF-1.4 x"))
    db.session.commit()
    return trade, regs, reg, doc


def _call(client, who, method, path, body, cache, *, upload=False):
    page = not path.startswith("/api/")
    if page:
        client.post("/logout")
        if who != "anonymous":
            login(client, who)
        if upload:
            return client.open(path, method=method, data={"file": (io.BytesIO(b"%PDF-1.4 y"), "b.pdf")},
                               content_type="multipart/form-data")
        return client.open(path, method=method, data=body or {})
    headers = {} if who == "anonymous" else cache.setdefault(who, api_headers(client, who))
    if upload:
        return client.open(path, method=method, headers=headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(b"%PDF-1.4 y"), "b.pdf", "application/pdf")})
    return client.open(path, method=method, json=body, headers=headers)


def _routes(trade, reg, doc):
    api, page = f"/api/v1/trades/{trade.id}/sale", f"/bidding/trades/{trade.id}/listing"
    r, d = reg.id, doc.id
    # (right, wrong role or branch, another company, another centre's staff)
    staff = ("land_staff", "land_supervisor", "buyer1", "staff")
    own = ("buyer4", "land_supervisor", "buyer1", "staff")
    bidder = ("buyer1", "land_staff", None, None)
    return [
        ("bidding_api.sale_set_terms", "PUT", f"{api}/terms", {"increment": "1.00"}, staff),
        ("bidding_api.sale_amend", "POST", f"{api}/amendments", {"title": "变更"}, staff),
        ("bidding_api.sale_change_increment", "POST", f"{api}/increment", {"increment": "1.00", "reason": "x"}, staff),
        ("bidding_api.sale_register", "POST", f"{api}/registrations", None, ("buyer1", "land_staff", "tenderer", None)),
        ("bidding_api.sale_registration", "GET", f"{api}/registrations/{r}", None, own),
        ("bidding_api.sale_add_document", "POST", f"{api}/registrations/{r}/documents", "upload", own),
        ("bidding_api.sale_document", "GET", f"{api}/registrations/{r}/documents/{d}", None, own),
        ("bidding_api.sale_refuse", "POST", f"{api}/registrations/{r}/refuse", {"reason": ""}, staff),
        ("bidding_api.sale_qualify", "POST", f"{api}/registrations/{r}/qualify",
         {"payment_reference": "", "payer_account": ""}, staff),
        ("bidding_api.sale_quote", "POST", f"{api}/quotes", {"amount": "1"}, bidder),
        ("bidding.sale_register_page", "POST", f"{page}/register", None, ("buyer1", "land_staff", "tenderer", None)),
        ("bidding.sale_document_upload", "POST", f"{page}/documents", "upload", ("buyer4", "land_staff", None, None)),
        ("bidding.sale_quote_page", "POST", f"{page}/quote", {"amount": "1"}, bidder),
        ("bidding.sale_document_download", "GET", f"{page}/registrations/{r}/documents/{d}", None, own),
        ("bidding.sale_manage", "GET", f"{page}/manage", None, staff),
        ("bidding.sale_terms_page", "POST", f"{page}/terms", {"increment": "1"}, staff),
        ("bidding.sale_amend_page", "POST", f"{page}/amend", {"title": ""}, staff),
        ("bidding.sale_increment_page", "POST", f"{page}/increment", {"increment": ""}, staff),
        ("bidding.sale_qualify_page", "POST", f"{page}/registrations/{r}/qualify", {}, staff),
        ("bidding.sale_refuse_page", "POST", f"{page}/registrations/{r}/refuse", {}, staff),
        # last: withdrawing changes the registration the routes above read
        ("bidding_api.sale_withdraw", "POST", f"{api}/registrations/{r}/withdraw", None, own),
        ("bidding.sale_withdraw_page", "POST", f"{page}/withdraw", None, ("buyer4", "land_staff", None, None)),
    ]


#: routes open to every signed-in caller, each answering with what is the caller's own
OWN = {("bidding_api.sale_registrations", "GET"), ("bidding_api.sale_my_quotes", "GET")}


def test_sale_route_matrix(db, client, applied):
    trade, _regs, reg, doc = applied
    routes = _routes(trade, reg, doc)
    assert {(r[0], r[1]) for r in routes} | OWN == SALE_COVERED
    cache: dict = {}
    for endpoint, method, path, body, (right, wrong, other_org, other_centre) in routes:
        page = not path.startswith("/api/")
        upload = body == "upload"
        body = None if upload else body
        got = _call(client, "anonymous", method, path, body, cache, upload=upload)
        assert got.status_code == (302 if page else 401), endpoint
        for who in (wrong, other_org, other_centre):
            if who is not None:
                got = _call(client, who, method, path, body, cache, upload=upload)
                assert got.status_code == 403, (endpoint, who, got.get_data(as_text=True)[:200])
        got = _call(client, right, method, path, body, cache, upload=upload)
        assert got.status_code not in (401, 403, 404, 500), (endpoint, right, got.get_data(as_text=True)[:300])
    regs_url, mine_url = f"/api/v1/trades/{trade.id}/sale/registrations", f"/api/v1/trades/{trade.id}/sale/quotes/mine"
    assert _call(client, "anonymous", "GET", regs_url, None, cache).status_code == 401
    assert _call(client, "anonymous", "GET", mine_url, None, cache).status_code == 401
    assert len(_call(client, "land_staff", "GET", regs_url, None, cache).get_json()) == 4
    assert [x["organisation"] for x in _call(client, "buyer1", "GET", regs_url, None, cache).get_json()] == \
        ["Land Buyer 1 Co."]
    assert _call(client, "land_supervisor", "GET", regs_url, None, cache).get_json() == []
    assert _call(client, "public", "GET", mine_url, None, cache).get_json() == []
    for endpoint, method in SALE_PUBLIC:
        url = f"/api/v1/trades/{trade.id}/sale" if endpoint.startswith("bidding_api") else f"/bidding/trades/{trade.id}/listing"
        client.post("/logout")
        assert client.get(url).status_code == 200


def test_a_sale_before_its_notice_and_a_tender_are_not_found(db, client, make_trade, land, centres, published_trade):
    from tests.bidding.auctions.conftest import DEPOSIT, ISSUE, LISTING_CLOSE, LISTING_FROM

    draft = make_trade(land["staff"], centre_id=centres["LAND"].id, method="land_listing", title="Draft plot",
                       estimated_price=STARTING_PRICE, bid_security=DEPOSIT, issue_at=ISSUE, docs_until=None,
                       opening_at=None, listing_from=LISTING_FROM, bid_deadline=LISTING_CLOSE)
    auctions.set_terms(land["staff"], draft, INCREMENT)
    db.session.commit()
    for tid in (draft.id, published_trade.id):
        assert client.get(f"/api/v1/trades/{tid}/sale").status_code == 404
        assert client.get(f"/bidding/trades/{tid}/listing").status_code == 404
    headers = api_headers(client, "land_staff")
    assert client.get(f"/api/v1/trades/{draft.id}/sale", headers=headers).status_code == 200
    changed = client.put(f"/api/v1/trades/{draft.id}/sale/terms", headers=headers,
                         json={"increment": "50000.00", "appraised_value": None})
    assert changed.status_code == 200 and changed.get_json()["increment"] == "50000.00"


def test_registration_and_quotes_over_the_api(db, client, land_sale, land, clock):
    from tests.bidding.auctions.conftest import ISSUE, LISTING_FROM

    trade = land_sale
    clock.freeze(ISSUE)
    api = f"/api/v1/trades/{trade.id}/sale"
    buyer, staff = api_headers(client, "buyer1"), api_headers(client, "land_staff")
    made = client.post(f"{api}/registrations", headers=buyer)
    assert made.status_code == 201 and made.get_json()["status"] == "applied"
    rid = made.get_json()["id"]
    upload = client.post(f"{api}/registrations/{rid}/documents", headers=buyer, content_type="multipart/form-data",
                         data={"file": (io.BytesIO(b"%PDF-1.4 licence"), "营业执照.pdf", "application/pdf")})
    assert upload.status_code == 201, upload.get_json()
    content = client.get(f"{api}/registrations/{rid}/documents/{upload.get_json()['id']}", headers=staff)
    assert content.status_code == 200 and content.data == b"%PDF-1.4 licence"
    bad = client.post(f"{api}/registrations/{rid}/qualify", headers={**staff, "Accept-Language": "en"},
                      json={"payment_reference": "BOC-1", "payer_account": "x" * 65})
    assert bad.status_code == 422 and bad.get_json()["field"] == "payer_account"
    ok = client.post(f"{api}/registrations/{rid}/qualify", headers=staff,
                     json={"payment_reference": "BOC-20260303-7", "payer_account": "6222 0210 7777"})
    assert ok.status_code == 200, ok.get_json()
    body = ok.get_json()
    assert body["status"] == "qualified" and body["may_bid"] and body["payer_account"] == "6222 0210 7777"
    paddle = body["paddle"]

    clock.freeze(LISTING_FROM)
    from trading.trades import services as trades

    trades.advance_due()
    db.session.commit()
    buyer, staff = api_headers(client, "buyer1"), api_headers(client, "land_staff")  # tokens of the day
    en = {**buyer, "Accept-Language": "en"}
    low = client.post(f"{api}/quotes", headers=en, json={"amount": str(STARTING_PRICE - Decimal("0.01"))})
    assert low.status_code == 409
    refusal = low.get_json()
    assert (refusal["code"], refusal["field"], refusal["price"], refusal["minimum"]) == (
        "too_low", "amount", str(STARTING_PRICE), str(STARTING_PRICE))
    assert "below the lowest acceptable quote" in low.get_json()["message"]
    zh = client.post(f"{api}/quotes", headers={**buyer, "Accept-Language": "zh-CN"}, json={"amount": "1"})
    assert zh.status_code == 409 and "最低可接受报价" in zh.get_json()["message"]
    malformed = client.post(f"{api}/quotes", headers=en, json={"amount": "12,000"})
    assert malformed.status_code == 422 and malformed.get_json()["field"] == "amount"
    assert client.post(f"{api}/quotes", headers=en, json={"amount": 12000000.5}).status_code == 422
    first = client.post(f"{api}/quotes", headers=en, json={"amount": str(STARTING_PRICE)})
    assert first.status_code == 201
    accepted = first.get_json()
    assert (accepted["seq"], accepted["paddle"], accepted["minimum"]) == (1, paddle, str(STARTING_PRICE + INCREMENT))
    changed = client.post(f"{api}/increment", headers=staff, json={"increment": "200000.00", "reason": "调整"})
    assert changed.status_code == 201
    board = client.get(api).get_json()
    assert board["increment"] == "200000.00" and board["minimum"] == str(STARTING_PRICE + Decimal("200000.00"))
    assert board["quotes"] == [{"seq": 1, "paddle": paddle, "amount": str(STARTING_PRICE),
                                "at": board["quotes"][0]["at"]}]
    assert board["registrations"]["qualified"] == 1 and "Land Buyer" not in str(board)
    mine = client.get(f"{api}/quotes/mine", headers=en).get_json()
    assert [q["refusal"] for q in mine] == [None, "too_low", "too_low"]


@pytest.mark.parametrize("lang,expect", [("en", ("Current price", "Paddle", "Lowest acceptable quote")),
                                         ("zh", ("当前价格", "竞买号牌", "最低可接受报价"))])
def test_the_listing_pages_in_both_languages(db, client, listing, land, lang, expect):
    trade, regs = listing
    auctions.quote(land["buyer1"], trade, STARTING_PRICE)
    db.session.commit()
    page = f"/bidding/trades/{trade.id}/listing"
    client.get(f"/lang/{lang}")
    html = client.get(page).get_data(as_text=True)
    assert all(e in html for e in expect), html[:2000]
    assert "Land Buyer" not in html and f"<td>{regs['buyer1'].paddle}</td>" in html
    login(client, "buyer2")
    client.get(f"/lang/{lang}")
    refused = client.post(f"{page}/quote", data={"amount": str(STARTING_PRICE + INCREMENT - Decimal("0.01"))})
    assert refused.status_code == 409
    text = refused.get_data(as_text=True)
    assert 'data-code="too_low"' in text and ("最低可接受报价" if lang == "zh" else "lowest acceptable quote") in text
    malformed = client.post(f"{page}/quote", data={"amount": "十万"})
    assert malformed.status_code == 422
    accepted = client.post(f"{page}/quote", data={"amount": str(STARTING_PRICE + INCREMENT)})
    assert accepted.status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert 'class="mine"' in html and "Land Buyer 2" not in html


def test_staff_manage_registrations_on_their_page(db, client, land_sale, land, clock):
    from tests.bidding.auctions.conftest import ISSUE

    clock.freeze(ISSUE)
    reg = auctions.register(land["buyer1"], land_sale)
    db.session.commit()
    login(client, "land_staff")
    client.get("/lang/en")
    page = f"/bidding/trades/{land_sale.id}/listing"
    html = client.get(f"{page}/manage").get_data(as_text=True)
    assert "Land Buyer 1 Co." in html and "Amend the disclosed terms" in html
    missing = client.post(f"{page}/registrations/{reg.id}/qualify", data={"payment_reference": "R1"})
    assert missing.status_code == 422 and "give the account the deposit was paid from" in missing.get_data(as_text=True)
    done = client.post(f"{page}/registrations/{reg.id}/qualify",
                       data={"payment_reference": "R1", "payer_account": "6222 1"})
    assert done.status_code == 302
    db.session.refresh(reg)
    assert reg.may_bid and reg.deposit.payer_account == "6222 1"
    amended = client.post(f"{page}/amend", data={"title": "变更公告", "body": "", "increment": "150000.00"})
    assert amended.status_code == 302
    db.session.refresh(land_sale)
    assert auctions.terms_of(land_sale).amendments == 1


def test_a_draft_sale_gets_its_terms_on_the_staff_page_and_is_linked(db, client, make_trade, land, centres, clock):
    from tests.bidding.auctions.conftest import DEPOSIT, ISSUE, LISTING_CLOSE, LISTING_FROM

    draft = make_trade(land["staff"], centre_id=centres["LAND"].id, method="land_listing", title="Plot D-01",
                       estimated_price=STARTING_PRICE, bid_security=DEPOSIT, issue_at=ISSUE, docs_until=None,
                       opening_at=None, listing_from=LISTING_FROM, bid_deadline=LISTING_CLOSE)
    login(client, "land_staff")
    client.get("/lang/en")
    assert 'id="sale-manage-link"' in client.get(f"/workspace/trades/{draft.id}").get_data(as_text=True)
    page = f"/bidding/trades/{draft.id}/listing"
    form = client.get(f"{page}/manage").get_data(as_text=True)
    assert 'id="terms-form"' in form and 'id="amend-form"' not in form
    bad = client.post(f"{page}/terms", data={"increment": "0"})
    assert bad.status_code == 422 and "must be more than zero" in bad.get_data(as_text=True)
    assert client.post(f"{page}/terms", data={"increment": "80000.00"}).status_code == 302
    assert auctions.terms_of(draft).increment == Decimal("80000.00")


def test_the_listing_page_leads_to_the_live_round_once_it_starts(db, client, listing, land, clock):
    from bidding.auctions.live.services import start_round

    trade, _regs = listing
    auctions.quote(land["buyer1"], trade, STARTING_PRICE)
    page = f"/bidding/trades/{trade.id}/listing"
    assert 'id="live-round-link"' not in client.get(page).get_data(as_text=True)
    clock.freeze(trade.bid_deadline)
    start_round(land["staff"], trade)
    db.session.commit()
    html = client.get(page).get_data(as_text=True)
    assert 'id="live-round-link"' in html and f"/trades/{trade.id}/auction" in html
    quoted = auctions.quote(land["buyer2"], trade, STARTING_PRICE + INCREMENT)
    assert quoted.refusal == "not_listing"  # the listing's quotes end where the live round begins
