"""The deal over real HTTP: every route's callers (anonymous, wrong branch, other organisation, other centre),
and the journey from the close to a confirmation signed by both parties and the platform, its PDF in zh and en
with the CJK font, and the deposits refunded by the staff."""
from __future__ import annotations

import base64
import hashlib
import json
import subprocess

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bidding.auctions.deal import services as deal
from tests.bidding.auctions.conftest import INCREMENT, STARTING_PRICE
from tests.bidding.auctions.deal.conftest import set_reserve
from tests.bidding.auctions.deal.matrix_deal import COVERED
from tests.conftest import api_headers, login
from tests.signing_helpers import signed
from trading.canonical import canonical_json
from trading.signing import statements as st
from trading.signing.services import key_in_force

USER = {"staff": "land_staff", "decider": "land_decider", "supervisor": "land_supervisor", "social": "land_social",
        "seller": "tenderer", "buyer1": "buyer1", "buyer2": "buyer2", "buyer3": "buyer3",
        "works_staff": "staff", "works_supervisor": "supervisor", "other_tenderer": "other_tenderer"}


def _call(client, who, method, path, body, cache):
    username = USER.get(who, who)
    if not path.startswith("/api/"):
        client.post("/logout")
        if who != "anonymous":
            login(client, username)
        return client.open(path, method=method, data=body or {})
    headers = {} if who == "anonymous" else cache.setdefault(who, api_headers(client, username))
    return client.open(path, method=method, json=body, headers=headers)


def _routes(trade, deposit_id):
    api, page = f"/api/v1/trades/{trade.id}/deal", f"/bidding/trades/{trade.id}/deal"
    sign = {"statement": "x", "signature": "y"}
    return [  # endpoint, method, path, body, (right, wrong branch, other organisation, other centre)
        ("bidding_api.get_deal", "GET", api, None, ("buyer1", "decider", "buyer2", "works_staff")),
        ("bidding_api.conclude_deal", "POST", api, None, ("staff", "supervisor", "seller", "works_staff")),
        ("bidding_api.get_deal_confirmation", "GET", f"{api}/confirmation", None,
         ("seller", "decider", "buyer2", "works_supervisor")),
        ("bidding_api.get_deal_confirmation_pdf", "GET", f"{api}/confirmation.pdf", None,
         ("social", "decider", "other_tenderer", "works_staff")),
        ("bidding_api.sign_deal_confirmation", "POST", f"{api}/confirmation/sign", sign,
         ("buyer1", "staff", "buyer2", None)),
        ("bidding_api.list_deal_deposits", "GET", f"{api}/deposits", None,
         ("staff", "supervisor", "buyer1", "works_staff")),
        ("bidding_api.refund_deal_deposit", "POST", f"{api}/deposits/{deposit_id}/refund", {},
         ("staff", "decider", "seller", "works_staff")),
        ("bidding.deal_page", "GET", page, None, ("buyer1", "decider", "buyer3", "works_supervisor")),
        ("bidding.deal_page", "POST", page, {"action": "sign"}, ("seller", "decider", "buyer2", "works_staff")),
        ("bidding.deal_confirmation_pdf", "GET", f"{page}/confirmation.pdf", None,
         ("buyer1", "decider", "buyer2", "works_staff")),
        ("bidding.deal_deposits_page", "GET", f"{page}/deposits", None, ("staff", "social", "buyer1", "works_staff")),
        ("bidding.deal_deposits_page", "POST", f"{page}/deposits", {"deposit_id": str(deposit_id)},
         ("staff", "supervisor", "seller", "works_staff")),
    ]


@pytest.fixture
def concluded(db, quoted, land):
    trade, regs = quoted(("buyer1", STARTING_PRICE), ("buyer2", STARTING_PRICE + INCREMENT),
                         ("buyer1", STARTING_PRICE + 2 * INCREMENT))
    deal.conclude(land["staff"], trade)
    db.session.commit()
    return trade, regs


def test_deal_route_matrix(db, client, concluded, land, users):
    trade, _regs = concluded
    loser = next(line for line in deal.deposit_lines(trade) if not line.winner)
    routes = _routes(trade, loser.deposit.id)
    assert {(r[0], r[1]) for r in routes} == COVERED
    cache: dict = {}
    for endpoint, method, path, body, (right, wrong, other_org, other_centre) in routes:
        page = not path.startswith("/api/")
        assert _call(client, "anonymous", method, path, body, cache).status_code == (302 if page else 401), endpoint
        for who in (wrong, other_org, other_centre):
            if who is not None:
                got = _call(client, who, method, path, body, cache)
                assert got.status_code == 403, (endpoint, who, got.get_data(as_text=True)[:200])
        got = _call(client, right, method, path, body, cache)
        assert got.status_code not in (401, 403), (endpoint, right, got.get_data(as_text=True)[:200])


def test_nothing_before_the_end_and_no_deal_for_a_tender(db, client, listing, make_trade):
    trade, _regs = listing
    headers = api_headers(client, "land_staff")
    assert client.get(f"/api/v1/trades/{trade.id}/deal", headers=headers).status_code == 404
    assert client.get(f"/api/v1/trades/{trade.id}/deal/confirmation.pdf", headers=headers).status_code == 404
    # a works tender ends with an award, not a deal
    works = client.post(f"/api/v1/trades/{make_trade().id}/deal", headers=api_headers(client, "staff"))
    assert works.status_code == 409 and works.get_json()["code"] == "not_a_sale"


def _pdf_text(data: bytes, tmp_path, name: str) -> tuple[str, str]:
    path = tmp_path / name
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout
    return text, fonts


def test_journey_close_conclude_sign_verify_refund(db, client, quoted, land, clock, tmp_path):
    top = STARTING_PRICE + INCREMENT
    trade, regs = quoted(("buyer2", STARTING_PRICE), ("buyer3", top))
    set_reserve(trade, top)
    cache: dict = {}
    api = f"/api/v1/trades/{trade.id}/deal"
    made = _call(client, "staff", "POST", api, None, cache)
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert (body["outcome"], body["price"], body["paddle"], body["premium_percent"]) == (
        "concluded", "10100000.00", regs["buyer3"].paddle, "1.00")
    assert body["winner"] == "Land Buyer 3 Co." and body["confirmation"]["waiting_for"] == ["buyer", "seller"]
    # the platform's signature verifies over the record's canonical bytes with the published receipt key
    conf = _call(client, "supervisor", "GET", f"{api}/confirmation", None, cache).get_json()
    assert conf["record"]["price"] == "10100000.00" and conf["record"]["balance_due"] == "8100000.00"
    raw = bytes.fromhex(client.get("/api/v1/receipt-key").get_json()["public_key"])
    Ed25519PublicKey.from_public_bytes(raw).verify(bytes.fromhex(conf["platform_signature"]),
                                                   canonical_json(conf["record"]))
    assert hashlib.sha256(canonical_json(conf["record"])).hexdigest() == conf["sha256"]
    # a loser may not sign; each party signs once with their own key, over this hash
    assert _call(client, "buyer2", "POST", f"{api}/confirmation/sign", {"statement": "x", "signature": "y"},
                 cache).status_code == 403
    for who in ("buyer3", "seller"):
        user = land[who]
        request = signed(user, "deal-confirmation", trade_id=trade.id)
        db.session.commit()
        got = _call(client, who, "POST", f"{api}/confirmation/sign", request, cache)
        assert got.status_code == 201, got.get_json()
        again = _call(client, who, "POST", f"{api}/confirmation/sign", request, cache)
        assert again.status_code == 409 and again.get_json()["code"] == "already_signed"
    conf = _call(client, "staff", "GET", f"{api}/confirmation", None, cache).get_json()
    assert conf["waiting_for"] == [] and conf["completed_at"] is not None
    for s in conf["signatures"]:
        statement = json.loads(s["statement"])
        assert statement["subject"]["confirmation_sha256"] == conf["sha256"] and statement["subject"]["party"] == s["party"]
        user = land["buyer3"] if s["party"] == "buyer" else land["seller"]
        key = key_in_force(user.id)
        assert s["key_fingerprint"] == key.fingerprint
        assert st.verify(bytes(key.public_key), s["statement"].encode(), base64.b64decode(s["signature"]))
        assert not st.verify(bytes(key.public_key), s["statement"].replace(conf["sha256"], "0" * 64).encode(),
                             base64.b64decode(s["signature"]))
    # the PDF in both languages, in the CJK font, naming the parties and the price
    zh = _call(client, "buyer3", "GET", f"{api}/confirmation.pdf", None, cache)
    assert zh.status_code == 200 and zh.mimetype == "application/pdf"
    text, fonts = _pdf_text(zh.data, tmp_path, "zh.pdf")
    assert "成交确认书" in text and "Land Buyer 3 Co." in text and "¥10,100,000.00" in text and "CJK" in fonts
    assert conf["sha256"][:32] in text.replace("\n", "").replace(" ", "")
    en = client.get(f"{api}/confirmation.pdf?lang=en", headers=cache["buyer3"])
    text, fonts = _pdf_text(en.data, tmp_path, "en.pdf")
    assert "Transaction confirmation" in text and "成交确认书" not in text and "CJK" in fonts
    # the page: a party sees the PDF link and no sign form once signed; the staff refund the others
    login(client, "buyer3")
    page = client.get(f"/bidding/trades/{trade.id}/deal?lang=en").get_data(as_text=True)
    assert "confirmation-pdf" in page and 'id="sign-form"' not in page and "Land Buyer 3 Co." in page
    client.post("/logout")
    login(client, "land_staff")
    listed = client.get(f"/bidding/trades/{trade.id}/deal/deposits").get_data(as_text=True)
    assert listed.count('data-state="due"') == 2 and listed.count('data-state="applied"') == 1
    assert client.post(f"/bidding/trades/{trade.id}/deal/deposits", data={"action": "refund_others"}).status_code == 302
    lines = _call(client, "staff", "GET", f"{api}/deposits", None, cache).get_json()
    assert sorted(x["state"] for x in lines) == ["applied", "refunded", "refunded"]
    winner = next(x for x in lines if x["winner"])
    refused = _call(client, "staff", "POST", f"{api}/deposits/{winner['id']}/refund", {}, cache)
    assert refused.status_code == 409 and refused.get_json()["code"] == "winner_deposit"


def test_the_staff_end_the_sale_on_the_page(db, client, quoted, land):
    trade, _regs = quoted(("buyer1", STARTING_PRICE))
    login(client, "land_staff")
    page = client.get(f"/bidding/trades/{trade.id}/deal?lang=en").get_data(as_text=True)
    assert 'id="conclude-form"' in page
    assert client.post(f"/bidding/trades/{trade.id}/deal", data={"action": "conclude"}).status_code == 302
    page = client.get(f"/bidding/trades/{trade.id}/deal").get_data(as_text=True)
    assert "成交" in page and "¥10,000,000.00" in page and 'id="conclude-form"' not in page
