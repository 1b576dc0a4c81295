"""The property page (staff, deciders, supervisors; zh and en) and the API (bearer tokens, OpenAPI)."""
from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.bidding.auctions.conftest import APPRAISED, PROP_CLOSE
from tests.bidding.auctions.property.test_closing import qualify
from tests.bidding.auctions.property.test_reserve import REDISCLOSED_UNTIL
from tests.conftest import api_headers, csrf_token, login
from trading.trades import services as trades


def _url(trade, rest: str = "") -> str:
    return f"/bidding/trades/{trade.id}/property{rest}"


@pytest.mark.parametrize("lang, words", [("zh_CN", ("国有产权转让", "转让底价", "评估值")),
                                         ("en", ("State property transfer", "Transfer reserve", "Appraised value"))])
def test_the_staff_page_in_both_languages(db, client, property_sale, prop, lang, words):
    login(client, "prop_staff")
    client.get(f"/lang/{lang}")
    got = client.get(_url(property_sale))
    assert got.status_code == 200
    html = got.get_data(as_text=True)
    for word in words:
        assert word in html
    assert "¥10,000,000.00" in html and 'id="property-consent-form"' not in html


@pytest.mark.parametrize("who, status", [(None, 302), ("buyer1", 403), ("prop_supervisor", 200),
                                         ("prop_decider", 200), ("land_staff", 403)])
def test_who_may_see_the_page(db, client, property_sale, prop, who, status):
    if who:
        login(client, who)
    assert client.get(_url(property_sale)).status_code == status


def test_a_decider_records_the_consent_and_staff_cut_the_reserve_on_the_page(db, client, property_sale, prop,
                                                                              clock):
    clock.freeze(PROP_CLOSE)
    trades.advance_due()
    db.session.commit()
    login(client, "prop_decider")
    page = client.get(_url(property_sale)).get_data(as_text=True)
    assert 'id="property-consent-form"' in page and 'id="property-reserve-form"' not in page
    got = client.post(_url(property_sale, "/consents"), data={
        "csrf_token": csrf_token(page), "lowest_price": "8000000.00", "reason": "board decision 12",
        "document": (io.BytesIO(b"%PDF-1.4 consent"), "consent.pdf", "application/pdf")},
        content_type="multipart/form-data")
    assert got.status_code == 302, got.get_data(as_text=True)[-2000:]
    client.get("/logout")
    login(client, "prop_staff")
    page = client.get(_url(property_sale)).get_data(as_text=True)
    assert "board decision 12" in page
    data = {"csrf_token": csrf_token(page), "price": "7999999.99", "reason": "deeper",
            "bid_deadline": REDISCLOSED_UNTIL.strftime("%Y-%m-%dT%H:%M")}
    refused = client.post(_url(property_sale, "/reserve"), data=data)
    assert refused.status_code == 422 and 'aria-invalid="true"' in refused.get_data(as_text=True)
    done = client.post(_url(property_sale, "/reserve"), data={**data, "price": "8000000.00"})
    assert done.status_code == 302
    assert "¥8,000,000.00" in client.get(_url(property_sale)).get_data(as_text=True)


def test_the_api_state_and_a_refused_negotiated_price(db, client, property_sale, prop, clock):
    qualify(prop, property_sale, "buyer1")
    headers = api_headers(client, "prop_staff")
    assert client.get(f"/api/v1/trades/{property_sale.id}/property").status_code == 401
    state = client.get(f"/api/v1/trades/{property_sale.id}/property", headers=headers).get_json()
    assert (state["path"], state["reserve"], state["appraised_value"]) == ("running", "10000000.00", "10000000.00")
    assert state["transferees"] is None and state["consent_floor"] == "9000000.00"
    clock.freeze(PROP_CLOSE + timedelta(minutes=1))
    headers = api_headers(client, "prop_staff")  # a token of the day (they expire)
    url = f"/api/v1/trades/{property_sale.id}/property/negotiated"
    low = client.post(url, headers=headers, json={"price": str(APPRAISED - Decimal("0.01"))})
    assert low.status_code == 422 and low.get_json()["field"] == "price"
    ok = client.post(url, headers=headers, json={"price": str(APPRAISED)})
    assert ok.status_code == 201 and ok.get_json()["price"] == "10000000.00"
    state = client.get(f"/api/v1/trades/{property_sale.id}/property", headers=headers).get_json()
    assert state["path"] == "negotiated" and state["transferees"] == 1 and state["negotiated"]["price"] == "10000000.00"


def test_the_api_consent_needs_the_decision_branch_and_a_document(db, client, property_sale, prop, clock):
    url = f"/api/v1/trades/{property_sale.id}/property/consents"
    form = {"lowest_price": "8000000.00", "reason": "board"}
    staff = client.post(url, headers=api_headers(client, "prop_staff"), data=form)
    assert staff.status_code == 403
    decider = api_headers(client, "prop_decider")
    missing = client.post(url, headers=decider, data=form)
    assert missing.status_code == 422 and missing.get_json()["field"] == "document"
    got = client.post(url, headers=decider, data={**form, "document": (io.BytesIO(b"signed"), "c.pdf",
                                                                       "application/pdf")})
    assert got.status_code == 201 and len(got.get_json()["sha256"]) == 64


def test_the_api_refuses_a_land_sale_and_documents_every_route(db, client, listing, prop):
    trade, _ = listing
    got = client.get(f"/api/v1/trades/{trade.id}/property", headers=api_headers(client, "land_staff"))
    assert got.status_code in (403, 404)
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/trades/{trade_id}/property", "/api/v1/trades/{trade_id}/property/reserve",
                 "/api/v1/trades/{trade_id}/property/consents", "/api/v1/trades/{trade_id}/property/negotiated"):
        assert path in spec["paths"], path
