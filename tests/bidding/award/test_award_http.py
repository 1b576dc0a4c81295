"""The award over real HTTP: every route's callers (anonymous, wrong branch, other organisation, other
centre), and one journey through the API and the pages from the candidates to the refunds, in zh and en,
with the committee's names public only with the result."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest

from bidding.award import services as award
from tests.bidding.award.helpers import (PUBLICITY_ENDS, PUBLICIZED, bidders, evaluating, publicity,  # noqa: F401
                                         sealed_trade)
from tests.bidding.award.matrix_award import COVERED, PUBLIC
from tests.conftest import api_headers, login
from trading.accounts.roles import Role
from trading.trades.flows import TradeState


@pytest.fixture
def people(bidders, make_user):
    bidders["proc_supervisor"] = make_user("proc_supervisor", (Role.ADMIN_SUPERVISOR, "PROC"))
    return bidders


def _call(client, who, method, path, body, cache, *, form=False):
    page = not path.startswith("/api/")
    if page:
        client.post("/logout")
        if who != "anonymous":
            login(client, who)
        return client.open(path, method=method, data=body or {})
    headers = {} if who == "anonymous" else cache.setdefault(who, api_headers(client, who))
    if form:
        return client.open(path, method=method, data=body, headers=headers, content_type="multipart/form-data")
    return client.open(path, method=method, json=body, headers=headers)


def _routes(trade, ids):
    api, page = f"/api/v1/trades/{trade.id}/award", f"/bidding/trades/{trade.id}"
    o, c, letter = ids["objection"], ids["complaint"], ids["letter"]
    staff = ("staff", "supervisor", "tenderer", "staff_proc")
    tender = ("tenderer", "supervisor", "other_tenderer", "staff_proc")
    supervise = ("supervisor", "staff", "bidder", "proc_supervisor")
    outsider = ("bidder_d", "staff", "tenderer", None)
    return [
        ("bidding_api.award_state", "GET", api, None, ("tenderer", "bidder", "other_tenderer", "staff_proc")),
        ("bidding_api.award_publicize", "POST", f"{api}/publicize", None, staff),
        ("bidding_api.award_object", "POST", f"{api}/objections", {"text": "异议"}, outsider),
        ("bidding_api.award_answer", "POST", f"{api}/objections/{o}/answer", {"answer": "答复", "upheld": False},
         tender),
        ("bidding_api.award_complain", "POST", f"{api}/complaints",
         {"text": "投诉", "knew_at": PUBLICIZED.isoformat()}, outsider),
        ("bidding_api.award_decide_complaint", "POST", f"{api}/complaints/{c}/decision", {"accept": True}, supervise),
        ("bidding_api.award_rule_complaint", "POST", f"{api}/complaints/{c}/ruling",
         {"upheld": False, "ruling": "驳回"}, supervise),
        ("bidding_api.award_decide", "POST", f"{api}/decision", {}, staff),
        ("bidding_api.award_report", "POST", f"{api}/report", {"text": "报告"}, tender),
        ("bidding_api.award_letter_pdf", "GET", f"{api}/letters/{letter}.pdf", None,
         ("bidder", "supervisor", "bidder_b", "staff_proc")),
        ("bidding_api.award_contract", "POST", f"{api}/contract", {"amount": "1"}, staff),
        ("bidding_api.award_refunds", "POST", f"{api}/refunds", None, staff),
        ("bidding.award_page", "GET", f"{page}/award", None, ("supervisor", "bidder", "other_tenderer", "staff_proc")),
        ("bidding.award_publicize_page", "POST", f"{page}/award/publicize", None, staff),
        ("bidding.award_object_page", "POST", f"{page}/candidates/objections", {"text": "异议"}, outsider),
        ("bidding.award_complain_page", "POST", f"{page}/candidates/complaints", {"text": "投诉"}, outsider),
        ("bidding.award_letter_page", "GET", f"{page}/award/letters/{letter}.pdf", None,
         ("tenderer", "social", "bidder_c", "staff_proc")),
        ("bidding.award_answer_page", "POST", f"{page}/award/objections/{o}/answer", {"answer": "x"}, tender),
        ("bidding.award_decide_page", "POST", f"{page}/award/decision", {}, staff),
        ("bidding.award_report_page", "POST", f"{page}/award/report", {"text": "x"}, tender),
        ("bidding.award_contract_page", "POST", f"{page}/award/contract", {}, staff),
        ("bidding.award_refunds_page", "POST", f"{page}/award/refunds", None, staff),
        ("bidding.award_decide_complaint_page", "POST", f"{page}/award/complaints/{c}/decision", {"accept": "1"},
         supervise),
        ("bidding.award_rule_complaint_page", "POST", f"{page}/award/complaints/{c}/ruling", {"ruling": "x"},
         supervise),
    ]


#: routes open to every signed-in caller, each answering with what is the caller's own
OWN = {("bidding_api.award_my_objections", "GET"), ("bidding_api.award_complaints", "GET"),
       ("bidding_api.award_letters", "GET")}


def test_award_route_matrix(db, client, publicity, people, clock):
    clock.freeze(PUBLICIZED + timedelta(hours=1))
    objection = award.raise_objection(people["bidder_c"], publicity, "异议")
    complaint = award.file_complaint(people["bidder_c"], publicity, "投诉", PUBLICIZED)
    award.answer_objection(people["tenderer"], objection, "答复", False)
    clock.freeze(PUBLICITY_ENDS)
    award.award(people["staff"], publicity)
    db.session.commit()
    letter = next(x for x in award.letters(publicity) if x.organisation_id == people["bidder"].organisation_id)
    routes = _routes(publicity, {"objection": objection.id, "complaint": complaint.id, "letter": letter.id})
    assert {(r[0], r[1]) for r in routes} | OWN == COVERED
    cache: dict = {}
    for endpoint, method, path, body, (right, wrong, other_org, other_centre) in routes:
        page = not path.startswith("/api/")
        assert _call(client, "anonymous", method, path, body, cache).status_code == (302 if page else 401), endpoint
        for who in (wrong, other_org, other_centre):
            if who is not None:
                got = _call(client, who, method, path, body, cache)
                assert got.status_code == 403, (endpoint, who, got.get_data(as_text=True)[:200])
        got = _call(client, right, method, path, body, cache)
        assert got.status_code not in (401, 403), (endpoint, right)
    for endpoint, method in OWN:
        path = {"bidding_api.award_my_objections": "objections/mine", "bidding_api.award_complaints": "complaints",
                "bidding_api.award_letters": "letters"}[endpoint]
        url = f"/api/v1/trades/{publicity.id}/award/{path}"
        assert _call(client, "anonymous", method, url, None, cache).status_code == 401
        assert _call(client, "bidder_c", method, url, None, cache).get_json() != []
        assert _call(client, "public", method, url, None, cache).get_json() == []
    # the public routes: anyone, once public; nothing to anyone about a trade before its notice
    for endpoint, method in PUBLIC:
        url = (f"/api/v1/trades/{publicity.id}/award/candidates" if endpoint.startswith("bidding_api")
               else f"/bidding/trades/{publicity.id}/candidates")
        client.post("/logout")
        assert client.get(url).status_code == 200


def test_public_routes_say_nothing_before_the_notice(db, client, make_trade):
    trade = make_trade()
    assert client.get(f"/api/v1/trades/{trade.id}/award/candidates").status_code == 404
    assert client.get(f"/bidding/trades/{trade.id}/candidates").status_code == 404


def test_journey_from_the_candidates_to_the_refunds(db, client, evaluating, people, clock):
    trade = evaluating
    member = people["expert"]  # seated on the committee, which scored (tests/bidding/award/helpers.py)
    cache: dict = {}
    api = f"/api/v1/trades/{trade.id}/award"
    clock.freeze(PUBLICIZED)
    assert _call(client, "staff", "POST", f"{api}/publicize", None, cache).status_code == 201
    # the public sees names and prices; never the committee before the result
    public = client.get(f"{api}/candidates").get_json()
    assert [c["rank"] for c in public["candidates"]] == [1, 2, 3]
    assert set(public["candidates"][0]) == {"id", "rank", "bidder", "price"}
    client.post("/logout")
    page = client.get(f"/bidding/trades/{trade.id}/candidates")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert public["candidates"][0]["bidder"] in text and member.display_name not in text
    assert 'id="award-link"' in client.get(f"/trades/{trade.ref}").get_data(as_text=True)
    # a bidder objects on the page: the tender is suspended, as the page says in both languages
    login(client, "bidder_d")
    clock.freeze(PUBLICIZED + timedelta(hours=3))
    done = client.post(f"/bidding/trades/{trade.id}/candidates/objections", data={"text": "第一名业绩不实"})
    assert done.status_code == 302
    zh = client.get(f"/bidding/trades/{trade.id}/candidates").get_data(as_text=True)
    assert 'id="award-suspended"' in zh and "暂停" in zh and "第一名业绩不实" in zh
    client.get("/lang/en")
    en = client.get(f"/bidding/trades/{trade.id}/candidates").get_data(as_text=True)
    assert "suspended" in en
    db.session.expire_all()
    assert trade.state is TradeState.SUSPENDED
    objection = _call(client, "tenderer", "GET", api, None, cache).get_json()["objections"][0]
    bad = _call(client, "tenderer", "POST", f"{api}/objections/{objection['id']}/answer", {"answer": "x"}, cache)
    assert bad.status_code == 422 and "upheld" in bad.get_json()["errors"]
    ok = _call(client, "tenderer", "POST", f"{api}/objections/{objection['id']}/answer",
               {"answer": "经核查业绩属实", "upheld": False}, cache)
    assert ok.status_code == 200 and ok.get_json()["answered_at"]
    db.session.expire_all()
    assert trade.state is TradeState.PUBLICITY
    # the award after the publicity: rank 1 gave up, rank 2 wins
    clock.freeze(PUBLICITY_ENDS)
    cache.clear()  # tokens expire: sign in again days later
    first, second = public["candidates"][0], public["candidates"][1]
    early = _call(client, "staff", "POST", f"{api}/decision", {"winner_id": second["id"]}, cache)
    assert early.status_code == 422 and "winner_id" in early.get_json()["errors"]
    awarded = _call(client, "staff", "POST", f"{api}/decision", {"disqualified": [
        {"candidate_id": first["id"], "reason": "gave_up", "note": "书面放弃"}]}, cache)
    assert awarded.status_code == 201 and awarded.get_json()["winner"] == second["bidder"]
    client.post("/logout")
    result = client.get(f"/bidding/trades/{trade.id}/candidates").get_data(as_text=True)
    assert member.display_name in result  # the committee is public with the result
    # each bidder reads its own letter, not another's
    letters = _call(client, "bidder_d", "GET", f"{api}/letters", None, cache).get_json()
    assert len(letters) == 1 and letters[0]["kind"] == "result"
    pdf = _call(client, "bidder_d", "GET", f"{api}/letters/{letters[0]['id']}.pdf", None, cache)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    everyone = _call(client, "staff", "GET", f"{api}/letters", None, cache).get_json()
    assert sorted(x["kind"] for x in everyone) == ["award", "result", "result", "result"]
    other = next(x for x in everyone if x["id"] != letters[0]["id"])
    assert _call(client, "bidder_d", "GET", f"{api}/letters/{other['id']}.pdf", None, cache).status_code == 403
    assert _call(client, "tenderer", "POST", f"{api}/report", {"text": "书面报告"}, cache).status_code == 201
    # the contract: the bond over 10% is refused by name, then recorded and published
    price = awarded.get_json()["price"]
    signed = (PUBLICITY_ENDS + timedelta(days=3)).isoformat()
    clock.freeze(PUBLICITY_ENDS + timedelta(days=4))
    cache.clear()
    form = {"amount": price, "performance_bond": "999999.99", "signed_on": signed,
            "document": (io.BytesIO(b"%PDF-1.4 contract"), "contract.pdf", "application/pdf")}
    refused = _call(client, "staff", "POST", f"{api}/contract", form, cache, form=True)
    assert refused.status_code == 422 and "performance_bond" in refused.get_json()["errors"]
    form = {"amount": price, "performance_bond": "100000.00", "signed_on": signed,
            "document": (io.BytesIO(b"%PDF-1.4 contract"), "contract.pdf", "application/pdf")}
    recorded = _call(client, "staff", "POST", f"{api}/contract", form, cache, form=True)
    assert recorded.status_code == 201, recorded.get_json()
    refunds = _call(client, "staff", "POST", f"{api}/refunds", None, cache)
    assert refunds.status_code == 200 and len(refunds.get_json()) == 4
    db.session.expire_all()
    assert trade.state is TradeState.CONTRACTED
    state = _call(client, "tenderer", "GET", api, None, cache).get_json()
    assert state["contract"]["sha256"] == recorded.get_json()["sha256"]
    login(client, "staff")
    workspace = client.get(f"/bidding/trades/{trade.id}/award").get_data(as_text=True)
    assert 'id="award-contract"' in workspace and recorded.get_json()["sha256"] in workspace


def test_pages_show_field_errors(db, client, publicity, people, clock):
    clock.freeze(PUBLICITY_ENDS)
    login(client, "staff")
    page = client.get(f"/bidding/trades/{publicity.id}/award")
    assert page.status_code == 200 and 'id="award-form"' in page.get_data(as_text=True)
    assert 'id="award-elsewhere"' not in page.get_data(as_text=True)  # a works tender's staff award (not procurement)
    first = award.current_list(publicity).candidates[0]
    bad = client.post(f"/bidding/trades/{publicity.id}/award/decision",
                      data={f"pass_reason_{first.id}": "gave_up", f"pass_note_{first.id}": ""})
    assert bad.status_code == 422 and "field-error" in bad.get_data(as_text=True)
    ok = client.post(f"/bidding/trades/{publicity.id}/award/decision", data={})
    assert ok.status_code == 302
    page = client.get(f"/bidding/trades/{publicity.id}/award").get_data(as_text=True)
    assert 'id="contract-form"' in page
    bad = client.post(f"/bidding/trades/{publicity.id}/award/contract", data={
        "amount": "1.00", "performance_bond": "0", "signed_on": "2026-03-31T08:00",
        "document": (io.BytesIO(b"%PDF-1.4 x"), "c.pdf", "application/pdf")}, content_type="multipart/form-data")
    assert bad.status_code == 422 and 'id="amount-error"' in bad.get_data(as_text=True)


def test_public_page_forms_show_their_own_errors(db, client, publicity, people, clock):
    clock.freeze(PUBLICIZED + timedelta(hours=1))
    login(client, "bidder_d")
    late = client.post(f"/bidding/trades/{publicity.id}/candidates/complaints",
                       data={"text": "投诉", "knew_at": "2026-03-01T09:00", "about": "procedure"})
    html = late.get_data(as_text=True)
    assert late.status_code == 422 and 'id="knew_at-error"' in html and html.count('id="text-error"') == 0
    empty = client.post(f"/bidding/trades/{publicity.id}/candidates/objections", data={"text": " "})
    html = empty.get_data(as_text=True)
    assert empty.status_code == 422 and html.count('id="text-error"') == 1
    assert publicity.state is TradeState.PUBLICITY
