"""The panel check, the rounds with each supplier separately, requirement changes sent to all, the call."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from bidding.evaluation.models import SeatKind
from monitor.audit.models import AuditEntry
from procurement.negotiation import services
from tests.conftest import api_headers
from tests.procurement.negotiation.conftest import org, seat_panel
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput, NotAllowed

URL = "/api/v1/trades/{}/negotiation"


# ---- the panel: at least 3, odd, experts at least two thirds (O74 Art. 7; C214 Art. 14) -----------------

def test_no_panel_no_rounds(db, cast, sitting):
    with pytest.raises(IllegalMove) as exc:
        services.start(cast["staff_proc"], sitting)
    assert exc.value.code == "panel_unlawful"
    assert "0" in exc.value.message and "3" in exc.value.message


def test_two_members_are_too_few(db, cast, sitting):
    seat_panel(db, cast, sitting, ("e1", "e2"))
    with pytest.raises(IllegalMove) as exc:
        services.start(cast["staff_proc"], sitting)
    assert "至少应为 3 名" in exc.value.message and "财政部令第74号 第7条" in exc.value.message


def test_four_members_are_not_odd(db, cast, sitting):
    seat_panel(db, cast, sitting, ("e1", "e2", "e3", "e4"))
    with pytest.raises(IllegalMove) as exc:
        services.start(cast["staff_proc"], sitting)
    assert "单数" in exc.value.message and "至少" not in exc.value.message


def test_two_experts_of_three_is_two_thirds_exactly(db, cast, sitting, users):
    seat_panel(db, cast, sitting, ("e1", "e2"))
    seat_panel(db, cast, sitting, ("tenderer",), kind=SeatKind.TENDERER_REP)
    assert services.panel_breaches(sitting) == {}
    assert services.start(cast["staff_proc"], sitting).round_no == 1


def test_one_expert_of_three_is_too_few_experts(db, cast, sitting, make_user, users):
    from trading.accounts.roles import Role

    rep2 = make_user("tenderer2", (Role.TENDERER, None), org=users["tenderer"].organisation)
    cast["tenderer2"] = rep2
    seat_panel(db, cast, sitting, ("e1",))
    seat_panel(db, cast, sitting, ("tenderer", "tenderer2"), kind=SeatKind.TENDERER_REP)
    with pytest.raises(IllegalMove) as exc:
        services.start(cast["staff_proc"], sitting)
    assert "1" in exc.value.message and "2/3" in exc.value.message


def test_consultation_panel_cites_c214(db, cast, client, make_trade, clock):
    from tests.procurement.negotiation.conftest import _sealed

    trade = _sealed(db, client, cast, make_trade, clock, "gp_competitive_consultation", 12)
    seat_panel(db, cast, trade, ("e1", "e2"))
    with pytest.raises(IllegalMove) as exc:
        services.start(cast["staff_proc"], trade)
    assert "财库〔2014〕214号" in exc.value.message


def test_only_the_clerk_starts(db, cast, negotiating):
    with pytest.raises(NotAllowed):
        services.start(cast["e1"], negotiating)
    with pytest.raises(NotAllowed):
        services.start(cast["sup_a"], negotiating)


def test_other_methods_have_no_rounds(db, cast, make_trade, centres):
    trade = make_trade(actor=cast["staff_proc"], centre_id=centres["PROC"].id, method="gp_inquiry",
                       bid_security=None)
    with pytest.raises(NotAllowed):
        services.start(cast["staff_proc"], trade)


# ---- threads: the panel with each supplier separately ------------------------------------------------------

@pytest.fixture
def started(db, cast, negotiating):
    services.start(cast["staff_proc"], negotiating)
    db.session.commit()
    return negotiating


def test_threads_are_private_to_their_supplier(db, client, cast, started):
    t = started
    a, b = org(cast, "sup_a"), org(cast, "sup_b")
    r = client.post(f"{URL.format(t.id)}/threads/{a}/messages", json={"body": "请说明交货期能否缩短至20天"},
                    headers=api_headers(client, "e1"))
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["round_no"] == 1 and r.get_json()["from_panel"] is True
    r = client.post(f"{URL.format(t.id)}/threads/{a}/messages", json={"body": "可以，交货期20天，单价不变"},
                    headers=api_headers(client, "sup_a"))
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["from_panel"] is False
    # supplier B reads its own thread: empty; A's thread: refused; its part shows nothing of A's
    hb = api_headers(client, "sup_b")
    assert client.get(f"{URL.format(t.id)}/threads/{b}", headers=hb).get_json() == []
    r = client.get(f"{URL.format(t.id)}/threads/{a}", headers=hb)
    assert r.status_code == 403 and "交货期" not in r.get_data(as_text=True)
    mine = client.get(f"{URL.format(t.id)}/mine", headers=hb)
    assert mine.status_code == 200
    assert mine.get_json()["thread"] == [] and "交货期" not in mine.get_data(as_text=True)
    # B may not write into A's thread
    r = client.post(f"{URL.format(t.id)}/threads/{a}/messages", json={"body": "x"}, headers=hb)
    assert r.status_code == 403
    assert len(services.thread(t, a)) == 2
    # A reads both messages; the panel reads A's thread
    mine_a = client.get(f"{URL.format(t.id)}/mine", headers=api_headers(client, "sup_a")).get_json()
    assert [m["from_panel"] for m in mine_a["thread"]] == [True, False]
    assert len(client.get(f"{URL.format(t.id)}/threads/{a}", headers=api_headers(client, "e2")).get_json()) == 2
    # the whole negotiation is never a supplier's to read
    assert client.get(URL.format(t.id), headers=hb).status_code == 403


def test_rounds_are_numbered_and_a_stale_click_is_refused(db, client, cast, started):
    t, a = started, org(cast, "sup_a")
    r = client.post(f"{URL.format(t.id)}/rounds", json={"expected": 1}, headers=api_headers(client, "e1"))
    assert r.status_code == 200 and r.get_json()["round_no"] == 2
    r = client.post(f"{URL.format(t.id)}/rounds", json={"expected": 1}, headers=api_headers(client, "e2"))
    assert r.status_code == 409 and r.get_json()["code"] == "round_moved"
    services.send_message(cast["e1"], t, "第二轮：请给出分项报价", a)
    assert services.thread(t, a)[-1].round_no == 2


def test_a_supplier_not_responding_reads_nothing(db, client, cast, started):
    r = client.get(f"{URL.format(started.id)}/mine", headers=api_headers(client, "sup_x"))
    assert r.status_code == 403


def test_empty_message_is_a_clear_422(db, client, cast, started):
    r = client.post(f"{URL.format(started.id)}/threads/{org(cast, 'sup_a')}/messages", json={"body": "  "},
                    headers=api_headers(client, "e1"))
    assert r.status_code == 422 and "body" in r.get_json()["errors"]


# ---- requirement changes: to all remaining suppliers at once, recorded and audited ----------------------------

def test_a_change_goes_to_every_supplier_still_in(db, client, cast, started):
    t = started
    services.set_aside(cast["e1"], t, org(cast, "sup_c"), "技术参数不满足★号条款")
    db.session.commit()
    r = client.post(f"{URL.format(t.id)}/changes", json={"kind": "technical", "body": "屏幕尺寸改为86英寸"},
                    headers=api_headers(client, "e2"))
    assert r.status_code == 201, r.get_json()
    assert sorted(r.get_json()["sent_to"]) == sorted([org(cast, "sup_a"), org(cast, "sup_b")])
    for who in ("sup_a", "sup_b"):
        got = client.get(f"{URL.format(t.id)}/mine", headers=api_headers(client, who)).get_json()["changes"]
        assert [c["body"] for c in got] == ["屏幕尺寸改为86英寸"]
        assert "sent_to" not in got[0]  # who else is still in stays with the panel and the centre
        listed = client.get(f"{URL.format(t.id)}/changes", headers=api_headers(client, who)).get_json()
        assert [c["body"] for c in listed] == ["屏幕尺寸改为86英寸"] and "sent_to" not in listed[0]
    # set aside before the change: not sent to it, and it may no longer write
    got = client.get(f"{URL.format(t.id)}/mine", headers=api_headers(client, "sup_c")).get_json()
    assert got["changes"] == [] and got["still_in"] is False
    # the purchaser reads the changes
    assert len(client.get(f"{URL.format(t.id)}/changes", headers=api_headers(client, "tenderer")).get_json()) == 1
    logged = [e for e in db.session.scalars(sa.select(AuditEntry).where(AuditEntry.trade_id == t.id))
              if "gp_requirement_changes" in e.action or "gp_requirement_changes" in e.body]
    assert len(logged) == 1 and "屏幕尺寸改为86英寸" in logged[0].body, [e.action for e in logged]


def test_a_change_of_unknown_kind_is_422(db, client, cast, started):
    r = client.post(f"{URL.format(started.id)}/changes", json={"kind": "price", "body": "x"},
                    headers=api_headers(client, "e1"))
    assert r.status_code == 422 and "kind" in r.get_json()["errors"]
    assert services.changes(started) == []


# ---- the call for final quotes ---------------------------------------------------------------------------------

def test_the_call_ends_the_rounds(db, client, cast, started):
    t = started
    deadline = now() + timedelta(hours=2)
    r = client.post(f"{URL.format(t.id)}/final-call", json={"deadline": deadline.isoformat()},
                    headers=api_headers(client, "e1"))
    assert r.status_code == 201, r.get_json()
    assert len(r.get_json()["invited"]) == 3
    # a supplier reads its deadline and the changes, never who else is still in (nor how many)
    mine = client.get(f"{URL.format(t.id)}/mine", headers=api_headers(client, "sup_a")).get_json()
    assert mine["call"]["deadline"] and "invited" not in mine["call"]
    with pytest.raises(IllegalMove) as exc:
        services.send_message(cast["e1"], t, "再谈一轮", org(cast, "sup_a"))
    assert exc.value.code == "rounds_over"
    with pytest.raises(IllegalMove):
        services.change_requirements(cast["e1"], t, "contract", "付款方式改为验收后一次付清")


def test_the_deadline_must_be_later_than_now(db, client, cast, started):
    r = client.post(f"{URL.format(started.id)}/final-call", json={"deadline": now().isoformat()},
                    headers=api_headers(client, "e1"))
    assert r.status_code == 422 and "deadline" in r.get_json()["errors"]
    assert services.call_of(started) is None


def test_too_few_suppliers_left_for_final_quotes(db, cast, started):
    services.set_aside(cast["e1"], started, org(cast, "sup_c"), "不满足采购需求")
    with pytest.raises(IllegalMove) as exc:
        services.call_final_quotes(cast["e1"], started, now() + timedelta(hours=2))
    assert exc.value.code == "too_few" and "2" in exc.value.message


# ---- the pages ---------------------------------------------------------------------------------------------------

def test_pages_walk_a_round(db, client, cast, negotiating):
    from tests.conftest import csrf_token, login

    t = negotiating
    page = f"/procurement/trades/{t.id}/negotiation"
    login(client, "staff_proc")
    html = client.get(page).get_data(as_text=True)
    assert "panel-lawful" in html
    r = client.post(page, data={"csrf_token": csrf_token(html), "action": "start"})
    assert r.status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client.get(page).get_data(as_text=True))})
    login(client, "e1")
    html = client.get(page).get_data(as_text=True)
    assert 'data-round="1"' in html
    a = org(cast, "sup_a")
    client.post(page, data={"csrf_token": csrf_token(html), "action": "message", "organisation_id": a,
                            "body": "请确认质保期"})
    client.post(page, data={"csrf_token": csrf_token(html), "action": "change", "kind": "service",
                            "body": "质保期延长至五年"})
    html = client.get(page).get_data(as_text=True)
    assert "请确认质保期" in html and "质保期延长至五年" in html
    client.post("/logout", data={"csrf_token": csrf_token(html)})
    login(client, "sup_b")
    mine = client.get(f"{page}/mine").get_data(as_text=True)
    assert "质保期延长至五年" in mine and "请确认质保期" not in mine
    r = client.post(f"{page}/mine", data={"csrf_token": csrf_token(mine), "body": "收到，同意"})
    assert r.status_code == 302
    assert services.thread(t, org(cast, "sup_b"))[0].body == "收到，同意"
    assert client.get(page).status_code == 403


def test_the_workspace_lists_the_negotiation(db, client, cast, started):
    from tests.conftest import login

    login(client, "e1")
    assert f"/procurement/trades/{started.id}/negotiation\"" in client.get("/workspace/").get_data(as_text=True)
    client.get("/logout")
    login(client, "sup_a")
    page = client.get("/workspace/").get_data(as_text=True)
    assert f"/procurement/trades/{started.id}/negotiation/mine" in page
    client.get("/logout")
    login(client, "sup_x")
    assert f"/procurement/trades/{started.id}/negotiation" not in client.get("/workspace/").get_data(as_text=True)
