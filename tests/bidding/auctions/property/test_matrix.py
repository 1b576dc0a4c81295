"""Every property transfer route × anonymous, the wrong branch, the other centre and the right role."""
from __future__ import annotations

from tests.bidding.auctions.property.matrix_property import COVERED
from tests.conftest import api_headers, login
from trading.accounts.roles import Role


def _call(client, who, method, path, body, cache, form=False):
    if not path.startswith("/api/"):
        client.post("/logout")
        if who != "anonymous":
            login(client, who)
        return client.open(path, method=method, data=body or {})
    headers = {} if who == "anonymous" else cache.setdefault(who, api_headers(client, who))
    if form:
        return client.open(path, method=method, data=body, headers=headers, content_type="multipart/form-data")
    return client.open(path, method=method, json=body, headers=headers)


def test_property_route_matrix(db, client, property_sale, prop, make_user):
    make_user("land_decider_x", (Role.DECISION_MAKER, "LAND"))
    api, page = f"/api/v1/trades/{property_sale.id}/property", f"/bidding/trades/{property_sale.id}/property"
    staff = ("prop_staff", "prop_supervisor", "land_staff")
    routes = [
        ("property_api.property_state", "GET", api, None, ("prop_supervisor", "buyer1", "land_supervisor")),
        ("property_api.property_pre_disclose", "POST", f"{api}/pre-disclosure", None, staff),
        ("property_api.property_change_reserve", "POST", f"{api}/reserve", {"price": "1", "reason": "x"},
         ("prop_staff", "prop_decider", "land_staff")),
        ("property_api.property_consent", "POST", f"{api}/consents", {"lowest_price": "1", "reason": "x"},
         ("prop_decider", "prop_staff", "land_decider_x")),
        ("property_api.property_competition", "POST", f"{api}/competition", None, staff),
        ("property_api.property_negotiated", "POST", f"{api}/negotiated", {"price": "1"}, staff),
        ("property_api.property_extension", "POST", f"{api}/extension",
         {"bid_deadline": "2026-05-01T09:00:00+08:00", "reason": "x"}, staff),
        ("property_api.property_no_deal", "POST", f"{api}/no-deal", None, staff),
        ("property.property_page", "GET", page, None, ("prop_decider", "buyer1", "land_staff")),
        ("property.pre_disclosure_page", "POST", f"{page}/pre-disclosure", None, staff),
        ("property.reserve_page", "POST", f"{page}/reserve", {"price": "1"}, staff),
        ("property.consent_page", "POST", f"{page}/consents", {}, ("prop_decider", "prop_staff", "land_decider_x")),
        ("property.competition_page", "POST", f"{page}/competition", None, staff),
        ("property.negotiated_page", "POST", f"{page}/negotiated", {"price": "1"}, staff),
        ("property.extension_page", "POST", f"{page}/extension", {}, staff),
        ("property.no_deal_page", "POST", f"{page}/no-deal", {}, staff),
    ]
    assert {(r[0], r[1]) for r in routes} == COVERED
    cache: dict = {}
    for endpoint, method, path, body, (right, wrong, other_centre) in routes:
        form = endpoint == "property_api.property_consent"
        anonymous = _call(client, "anonymous", method, path, body, cache, form)
        assert anonymous.status_code == (401 if path.startswith("/api/") else 302), endpoint
        for who in (wrong, other_centre):
            got = _call(client, who, method, path, body, cache, form)
            assert got.status_code == 403, (endpoint, who, got.status_code)
        got = _call(client, right, method, path, body, cache, form)
        assert got.status_code not in (401, 403, 404, 500), (endpoint, right, got.status_code)
