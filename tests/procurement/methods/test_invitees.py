"""An invitation tender's invitees (GPL 34; O87 14): the purchaser's list of at least three, or a draw fixed before its
seed exists and replayable offline; only invitees may bid (the bidder check, and the bid page says so before
sealing); the invitees and the draw are public with the trade."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale

from monitor.ticks import run_ticks
from monitor.verify import draw as offline
from procurement.methods import services
from procurement.methods.models import PURPOSE
from tests.conftest import api_headers, csrf_token, login
from tests.monitor.supervisors.supervisor_helpers import entries
from trading.draws import services as draws
from trading.errors import IllegalMove, InvalidInput
from trading.trades import services as trades
from trading.trades.flows import TradeState


def _orgs(suppliers, *names) -> list[int]:
    return [suppliers[n].organisation_id for n in names]


def _url(trade, tail: str = "") -> str:
    return f"/api/v1/trades/{trade.id}/invitees{tail}"


def to_bidding(db, trade, users, clock) -> None:
    """Submit, approve, publish; then the clock reaches the issue time and the trade opens for bids."""
    for name, who in (("submit", "staff_proc"), ("approve", "decider"), ("publish", "staff_proc")):
        trades.move(trade, name, users[who])
    clock.freeze(trade.issue_at)
    trades.advance_trade(trade)
    db.session.commit()
    assert trade.state is TradeState.BIDDING


def test_two_invitees_are_refused_three_are_published(client, db, invited, suppliers, users):
    headers = {**api_headers(client, "tenderer"), "Accept-Language": "en"}
    two = client.post(_url(invited), json={"organisation_ids": _orgs(suppliers, "bidder", "supplier_b"),
                                           "reason": "our written recommendation"}, headers=headers)
    assert two.status_code == 422 and two.get_json()["field"] == "organisation_ids"
    assert "at least 3 suppliers" in two.get_json()["message"] and "Art. 34" in two.get_json()["message"]
    assert services.invitees(invited) == []  # nothing left behind
    # the same supplier twice counts once
    dup = client.post(_url(invited), json={"organisation_ids": _orgs(suppliers, "bidder", "bidder", "supplier_b"),
                                           "reason": "x"}, headers=headers)
    assert dup.status_code == 422
    no_reason = client.post(_url(invited), json={"organisation_ids": _orgs(suppliers, "bidder", "supplier_b",
                                                                           "supplier_c"), "reason": "  "},
                            headers=headers)
    assert no_reason.status_code == 422 and no_reason.get_json()["field"] == "reason"
    three = client.post(_url(invited), json={"organisation_ids": _orgs(suppliers, "bidder", "supplier_b", "supplier_c"),
                                             "reason": "our written recommendation"}, headers=headers)
    assert three.status_code == 201, three.get_json()
    body = three.get_json()
    assert [i["organisation_id"] for i in body["invitees"]] == _orgs(suppliers, "bidder", "supplier_b", "supplier_c")
    assert body["minimum"] == 3 and {i["source"] for i in body["invitees"]} == {"list"}
    again = client.post(_url(invited, "/draws"), json={"count": 3}, headers=headers)
    assert again.status_code == 409 and again.get_json()["code"] == "already_chosen"


def test_not_a_supplier_and_not_an_invitation_tender(client, db, invited, gp_trade, suppliers, users):
    headers = api_headers(client, "staff_proc")
    tenderer_org = users["tenderer"].organisation_id
    bad = client.post(_url(invited), json={"organisation_ids": [*_orgs(suppliers, "bidder", "supplier_b"),
                                                                tenderer_org], "reason": "x"}, headers=headers)
    assert bad.status_code == 422 and str(tenderer_org) in bad.get_json()["message"]
    open_tender = gp_trade("gp_open_tender", "100000.00")
    with pytest.raises(InvalidInput) as refused:
        services.publish_list(users["staff_proc"], open_tender, _orgs(suppliers, "bidder", "supplier_b", "supplier_c"),
                              "x")
    assert "method" in refused.value.errors


def test_only_invitees_may_bid_and_the_bid_page_says_so_before_sealing(app, client, db, invited, suppliers, users,
                                                                      clock):
    outsider = suppliers["supplier_d"].organisation
    with force_locale("en"):
        assert "have not been chosen yet" in services.refusal(invited, outsider)
    services.publish_list(users["tenderer"], invited, _orgs(suppliers, "bidder", "supplier_b", "supplier_c"),
                          "written recommendation")
    db.session.commit()
    assert services.refusal(invited, suppliers["supplier_b"].organisation) is None
    assert outsider.name in services.refusal(invited, outsider)
    to_bidding(db, invited, users, clock)
    # the intake refuses an outsider's upload before reading it (409 not_eligible, naming why)
    upload = client.post(f"/api/v1/trades/{invited.id}/bids", data=b"x" * 64, content_type="application/octet-stream",
                         headers={**api_headers(client, "supplier_d"), "Accept-Language": "en"})
    assert upload.status_code == 409 and upload.get_json()["code"] == "not_eligible"
    assert outsider.name in upload.get_json()["message"] and "invitation tender" in upload.get_json()["message"]
    with pytest.raises(IllegalMove):
        services.publish_list(users["tenderer"], invited, _orgs(suppliers, "supplier_d", "supplier_e", "bidder"), "x")
    login(client, "supplier_d")
    page = client.get(f"/bidding/trades/{invited.id}/bid?lang=en").get_data(as_text=True)
    assert 'id="bid-refusal"' in page and outsider.name in page
    invitee = app.test_client()
    login(invitee, "supplier_b")
    page = invitee.get(f"/bidding/trades/{invited.id}/bid?lang=en").get_data(as_text=True)
    assert 'id="bid-refusal"' not in page


def test_the_draw_is_fixed_before_its_seed_and_replays_offline(client, db, invited, suppliers, users, clock):
    headers = {**api_headers(client, "staff_proc"), "Accept-Language": "en"}
    two = client.post(_url(invited, "/draws"), json={"count": 2}, headers=headers)
    assert two.status_code == 422 and two.get_json()["field"] == "count"
    pool = sorted(services.qualified_suppliers(), key=lambda o: o.id)
    too_many = client.post(_url(invited, "/draws"), json={"count": len(pool) + 1}, headers=headers)
    assert too_many.status_code == 422 and "qualified suppliers" in too_many.get_json()["message"]
    fixed = client.post(_url(invited, "/draws"), json={"count": 3}, headers=headers)
    assert fixed.status_code == 201, fixed.get_json()
    assert fixed.get_json()["candidates"] == [o.id for o in pool] and fixed.get_json()["status"] == "fixed"
    assert services.invitees(invited) == []
    row = draws.pending(PURPOSE, invited)
    clock.freeze(row.commit_until - timedelta(seconds=1))
    run_ticks()
    db.session.expire_all()
    assert services.invitees(invited) == []  # too early: nothing drawn
    clock.freeze(row.commit_until + timedelta(seconds=1))
    run_ticks()
    db.session.expire_all()
    (drawn,) = entries(db, "invitees.draw", invited)
    (sealed,) = entries(db, "invitees.draw_sealed", invited)
    (fixing,) = entries(db, "invitees.draw_fixed", invited)
    assert fixing["_seq"] < sealed["after"]["beacon"]["size"] <= sealed["_seq"] < drawn["_seq"]
    # the log names the candidates by the trade's pseudonyms until the opening (test_invitee_privacy.py): the
    # replay says so, and with the candidates the trade publishes it recomputes seed, order and selection
    assert offline.replay(drawn)["matches"] is None
    replay = offline.replay(drawn, [o.id for o in pool], services.rounds(invited)[0].salt)
    assert replay["matches"] and len(replay["selected"]) == 3
    chosen = services.invitees(invited)
    assert [i.organisation_id for i in chosen] == replay["selected"]
    assert {i.source.value for i in chosen} == {"draw"}
    listed = client.get(_url(invited), headers=headers).get_json()
    assert listed["rounds"][0]["seed"] == drawn["after"]["seed"] and listed["rounds"][0]["order"] == replay["order"]
    # the invitees are the potential bidders: not public while bids are taken (Tendering Law Art 22), only
    # the purchaser and the centre read them (tests/procurement/methods/test_end_to_end.py: public after the opening)
    assert client.get(_url(invited)).status_code == 401
    to_bidding(db, invited, users, clock)
    assert client.get(_url(invited)).status_code == 401
    mine = client.get(_url(invited), headers=api_headers(client, "tenderer"))  # a fresh token: days have passed
    assert mine.status_code == 200 and mine.get_json()["rounds"][0]["selected"] == replay["selected"]


def test_a_supervisor_contribution_enters_the_seed(client, db, invited, suppliers, users, make_user, clock):
    import hashlib

    from trading.accounts.roles import Role

    make_user("proc_supervisor", (Role.ADMIN_SUPERVISOR, "PROC"))
    db.session.commit()
    row = services.fix_draw(users["tenderer"], invited, 3)
    db.session.commit()
    secret = bytes(range(32))
    url = _url(invited, f"/draws/{row.round}")
    staff = client.post(f"{url}/commitments", json={"commitment": "00" * 32}, headers=api_headers(client, "staff_proc"))
    assert staff.status_code == 403  # whoever chooses adds no randomness
    sup = api_headers(client, "proc_supervisor")
    made = client.post(f"{url}/commitments", json={"commitment": hashlib.sha256(secret).hexdigest()}, headers=sup)
    assert made.status_code == 201, made.get_json()
    clock.freeze(row.commit_until)
    run_ticks()
    db.session.expire_all()
    assert services.invitees(invited) == []
    assert client.post(f"{url}/reveals", json={"reveal": secret.hex()}, headers=sup).status_code == 200
    db.session.expire_all()
    (drawn,) = entries(db, "invitees.draw", invited)
    pool, salt = [o.id for o in services.qualified_suppliers()], services.rounds(invited)[0].salt
    assert offline.replay(drawn, pool, salt)["matches"]
    assert offline.replay({**drawn["after"], "contributions": []}, pool, salt)["seed"] != drawn["after"]["seed"]
    assert len(services.invitees(invited)) == 3


def test_the_invitee_page_publishes_a_list(client, db, invited, suppliers, users):
    login(client, "tenderer")
    url = f"/procurement/trades/{invited.id}/invitees"
    assert url in client.get(f"/workspace/trades/{invited.id}").get_data(as_text=True)  # linked from the trade
    html = client.get(url, query_string={"lang": "en"}).get_data(as_text=True)
    assert "Draw the invitees at random" in html and suppliers["supplier_b"].organisation.name in html
    form = {"csrf_token": csrf_token(html), "action": "list", "reason": "recommended in writing",
            "organisation_ids": [str(i) for i in _orgs(suppliers, "bidder", "supplier_b")]}
    short = client.post(url, data=form, query_string={"lang": "en"})
    assert short.status_code == 422 and "at least 3 suppliers" in short.get_data(as_text=True)
    form["organisation_ids"].append(str(suppliers["supplier_c"].organisation_id))
    assert client.post(url, data=form).status_code == 302
    zh = client.get(url, query_string={"lang": "zh_CN"}).get_data(as_text=True)
    assert "采购人" in zh and suppliers["supplier_c"].organisation.name in zh and "随机抽取" not in zh.split("<h1")[0]
