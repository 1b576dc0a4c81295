"""The compliance and qualification review through the HTTP API: criteria as data citing their clauses, marks
by sitting members only (a fail needs its reason), the committee's conclusion by majority or unanimity with
the dissent kept, the closure, and `passed_bids` leaving out the bids the committee failed."""
from __future__ import annotations

import sqlalchemy as sa

from bidding.evaluation.services import passed_bids
from monitor.audit.models import AuditEntry
from tests.bidding.evaluation.conftest import MEMBERS, readable
from tests.conftest import api_headers
from trading.trades import services as trades

CODES = ["Q1", "Q2", "Q3", "Q4", "C1", "C2", "C3", "C4", "C5"]


def _url(trade, tail: str = "") -> str:
    return f"/api/v1/trades/{trade.id}/evaluation/review{tail}"


def _mark(client, trade, who, entry, marks, headers=None):
    return client.post(_url(trade, "/marks"), json={"entry_id": entry.id, "marks": marks},
                       headers=headers or api_headers(client, who))


def _all_pass(except_: dict | None = None) -> list[dict]:
    """Every default criterion passed, except {code: reason} failed."""
    except_ = except_ or {}
    return [{"criterion": c, "passed": c not in except_, "reason": except_.get(c)} for c in CODES]


def test_criteria_are_the_rule_sets_defaults_citing_their_clauses(db, client, room):
    trade = room["trade"]
    got = client.get(_url(trade), headers=api_headers(client, "expert"))
    assert got.status_code == 200, got.get_json()
    body = got.get_json()
    assert [c["code"] for c in body["criteria"]] == CODES
    by_code = {c["code"]: c for c in body["criteria"]}
    assert by_code["C3"]["source"] == "实施条例 第51条第（一）项" and by_code["C3"]["stage"] == "compliance"
    assert "第51条第（五）项" in by_code["C5"]["source"] and by_code["Q2"]["stage"] == "qualification"
    assert all(c["decision"] == "majority" for c in body["criteria"])
    assert body["members"] == 3 and len(body["bids"]) == 3 and body["closed_at"] is None
    en = client.get(_url(trade), headers={**api_headers(client, "expert"), "Accept-Language": "en"}).get_json()
    assert {c["code"]: c["source"] for c in en["criteria"]}["C3"] == "Regulation Art. 51 (1)"


def test_only_sitting_members_mark_and_a_fail_needs_its_reason(db, client, room):
    trade, entry = room["trade"], room["entries"]["bidder"]
    one = [{"criterion": "Q1", "passed": True}]
    assert client.post(_url(trade, "/marks"), json={"entry_id": entry.id, "marks": one}).status_code == 401
    for who in ("staff", "supervisor", "decider", "tenderer", "bidder", "bidder_b", "public"):
        assert _mark(client, trade, who, entry, one).status_code == 403, who
    no_reason = _mark(client, trade, "expert", entry, [{"criterion": "C3", "passed": False}])
    assert no_reason.status_code == 422 and "第51条" in no_reason.get_json()["errors"]["marks.0.reason"][0]
    blank = _mark(client, trade, "expert", entry, [{"criterion": "C3", "passed": False, "reason": "  "}])
    assert blank.status_code == 422 and "marks.0.reason" in blank.get_json()["errors"]
    unknown = _mark(client, trade, "expert", entry, [{"criterion": "Q1", "passed": True},
                                                    {"criterion": "Z9", "passed": True}])
    assert unknown.status_code == 422 and "marks.1.criterion" in unknown.get_json()["errors"]
    not_bool = _mark(client, trade, "expert", entry, [{"criterion": "Q1", "passed": "yes"}])
    assert not_bool.status_code == 422 and "passed" in str(not_bool.get_json()["errors"])
    foreign = client.post(_url(trade, "/marks"), json={"entry_id": 10**6, "marks": one},
                          headers=api_headers(client, "expert"))
    assert foreign.status_code == 422 and "entry_id" in foreign.get_json()["errors"]
    # the refused requests left nothing: the all-or-nothing request with Z9 did not keep its Q1
    mine = client.get(_url(trade), headers=api_headers(client, "expert")).get_json()["marks"]
    assert mine == []
    ok = _mark(client, trade, "expert", entry, [{"criterion": "C3", "passed": False, "reason": "未加盖单位公章"}])
    assert ok.status_code == 200 and ok.get_json()[0]["reason"] == "未加盖单位公章"
    # a mark given again replaces the earlier one
    again = _mark(client, trade, "expert", entry, [{"criterion": "C3", "passed": True, "reason": None}])
    assert again.status_code == 200
    mine = client.get(_url(trade), headers=api_headers(client, "expert")).get_json()["marks"]
    assert [(m["criterion"], m["passed"]) for m in mine] == [("C3", True)]
    # rows are captured by the audit log in the same transaction
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action.like("review_marks.%"), AuditEntry.trade_id == trade.id)) == 2


def test_not_before_the_evaluation_nor_after_it(db, client, room):
    trade, entry = room["trade"], room["entries"]["bidder"]
    trades.move(trade, "fail", room["users"]["staff"], reason="测试")
    db.session.commit()
    refused = _mark(client, trade, "expert", entry, [{"criterion": "Q1", "passed": True}])
    assert refused.status_code == 403  # no longer sitting: the committee sits during the evaluation only


def test_majority_fails_a_bid_naming_the_criterion_and_reason_and_keeps_the_dissent(db, client, room):
    trade, entries = room["trade"], room["entries"]
    heads = {m: api_headers(client, m) for m in MEMBERS}
    for m in MEMBERS:
        assert _mark(client, trade, m, entries["bidder"], _all_pass(), heads[m]).status_code == 200
        assert _mark(client, trade, m, entries["bidder_c"], _all_pass(), heads[m]).status_code == 200
    # bidder_b: two members fail it on the ceiling, one passes it with a reason
    for m in MEMBERS[:2]:
        fails = _all_pass({"C5": f"{m}：投标报价4999999.99元高于最高投标限价"})
        assert _mark(client, trade, m, entries["bidder_b"], fails, heads[m]).status_code == 200
    assert passed_bids(trade) == [entries["bidder"], entries["bidder_b"], entries["bidder_c"]]  # one mark missing
    early = client.post(_url(trade, "/close"), headers=heads["expert"])
    assert early.status_code == 409 and early.get_json()["code"] == "review_incomplete"
    assert "9" in early.get_json()["message"]  # the third member's nine cells of bidder_b
    assert _mark(client, trade, "expert3", entries["bidder_b"],
                 _all_pass()[:-1] + [{"criterion": "C5", "passed": True, "reason": "限价以含税价计，未超"}],
                 heads["expert3"]).status_code == 200
    db.session.expire_all()
    assert passed_bids(trade) == [entries["bidder"], entries["bidder_c"]]
    body = client.get(_url(trade), headers=api_headers(client, "supervisor")).get_json()
    failed = next(b for b in body["bids"] if b["entry_id"] == entries["bidder_b"].id)
    assert failed["failed"] is True
    c5 = next(c for c in failed["conclusions"] if c["criterion"] == "C5")
    assert (c5["result"], c5["passes"], c5["fails"]) == ("failed", 1, 2)
    assert all("最高投标限价" in r for r in c5["reasons"]) and len(c5["reasons"]) == 2
    assert c5["dissent"] == [{"member_id": room["users"]["expert3"].id, "passed": True, "reason": "限价以含税价计，未超"}]
    assert all(c["result"] == "passed" for c in failed["conclusions"] if c["criterion"] != "C5")
    # closing records the conclusions and fixes the marks
    closed = client.post(_url(trade, "/close"), headers=heads["expert2"])
    assert closed.status_code == 201, closed.get_json()
    assert closed.get_json()["failed"] == [entries["bidder_b"].id]
    late = _mark(client, trade, "expert3", entries["bidder_b"], [{"criterion": "C5", "passed": False, "reason": "x"}],
                 heads["expert3"])
    assert late.status_code == 409 and late.get_json()["code"] == "review_closed"
    again = client.post(_url(trade, "/close"), headers=heads["expert"])
    assert again.status_code == 409 and again.get_json()["code"] == "review_closed"
    db.session.expire_all()
    assert passed_bids(trade) == [entries["bidder"], entries["bidder_c"]]


def test_a_criterion_from_the_tender_documents_decided_by_unanimity(db, client, room):
    trade, entry = room["trade"], room["entries"]["bidder"]
    url = _url(trade, "/criteria")
    body = {"code": "d1", "stage": "qualification", "title": "安全生产许可证有效", "source": "招标文件 第二章 3.2",
            "decision": "unanimity"}
    for who in ("expert", "supervisor", "bidder"):
        assert client.post(url, json=body, headers=api_headers(client, who)).status_code == 403, who
    bad = client.post(url, json={**body, "code": "Q1"}, headers=api_headers(client, "staff"))
    assert bad.status_code == 422 and "code" in bad.get_json()["errors"]
    bad = client.post(url, json={**body, "stage": "price"}, headers=api_headers(client, "staff"))
    assert bad.status_code == 422 and "stage" in bad.get_json()["errors"]
    added = client.post(url, json=body, headers=api_headers(client, "staff"))
    assert added.status_code == 201 and added.get_json()["code"] == "D1" and added.get_json()["from_documents"]
    split = [{"criterion": "D1", "passed": True}]
    for m in MEMBERS[:2]:
        assert _mark(client, trade, m, entry, split).status_code == 200
    # once marking has begun the criteria are fixed
    late = client.post(url, json={**body, "code": "D2"}, headers=api_headers(client, "staff"))
    assert late.status_code == 409 and late.get_json()["code"] == "marking_begun"
    assert _mark(client, trade, "expert3", entry, [{"criterion": "D1", "passed": False,
                                                   "reason": "许可证已过期"}]).status_code == 200

    def d1():
        row = client.get(_url(trade), headers=api_headers(client, "staff")).get_json()
        bid = next(b for b in row["bids"] if b["entry_id"] == entry.id)
        return next(c for c in bid["conclusions"] if c["criterion"] == "D1")

    assert d1()["result"] == "open"  # two to one is no conclusion under unanimity
    assert entry in passed_bids(trade)
    for m in MEMBERS[:2]:  # the two reconsider after reading the licence again
        assert _mark(client, trade, m, entry, [{"criterion": "D1", "passed": False,
                                                "reason": "许可证有效期至去年"}]).status_code == 200
    assert d1()["result"] == "failed" and d1()["dissent"] == []
    db.session.expire_all()
    assert entry not in passed_bids(trade)


def test_each_member_reads_their_own_marks_staff_and_supervisors_all_and_bidders_none(db, client, room):
    trade, entry = room["trade"], room["entries"]["bidder"]
    assert _mark(client, trade, "expert", entry, [{"criterion": "Q1", "passed": True}]).status_code == 200
    assert _mark(client, trade, "expert2", entry, [{"criterion": "Q1", "passed": False,
                                                   "reason": "营业执照已吊销"}]).status_code == 200
    mine = client.get(_url(trade), headers=api_headers(client, "expert2")).get_json()
    assert [m["member_id"] for m in mine["marks"]] == [room["users"]["expert2"].id]
    assert "营业执照已吊销" not in readable(client.get(_url(trade), headers=api_headers(client, "expert")))
    assert "营业执照已吊销" in readable(client.get(_url(trade), headers=api_headers(client, "expert2")))
    for who in ("staff", "supervisor"):
        assert len(client.get(_url(trade), headers=api_headers(client, who)).get_json()["marks"]) == 2, who
    assert client.get(_url(trade)).status_code == 401
    for who in ("bidder", "bidder_b", "tenderer", "public", "decider", "staff_proc"):
        got = client.get(_url(trade), headers=api_headers(client, who))
        assert got.status_code == 403 and "营业执照" not in readable(got), who


def test_a_member_who_steps_aside_no_longer_counts(db, client, room):
    from bidding.evaluation import services as evaluation
    from bidding.evaluation.models import CommitteeSeat

    trade, entry = room["trade"], room["entries"]["bidder_c"]
    assert _mark(client, trade, "expert", entry, _all_pass({"C1": "未提交投标保证金"})).status_code == 200
    for m in MEMBERS[1:]:
        assert _mark(client, trade, m, entry, _all_pass()).status_code == 200
    assert entry in passed_bids(trade)
    seat = db.session.scalar(sa.select(CommitteeSeat).where(CommitteeSeat.user_id == room["users"]["expert2"].id))
    evaluation.unseat_member(room["users"]["staff"], seat, "回避")
    db.session.commit()
    # one pass, one fail: a tie is no conclusion, and the bid stays in
    body = client.get(_url(trade), headers=api_headers(client, "staff")).get_json()
    c1 = next(c for b in body["bids"] if b["entry_id"] == entry.id for c in b["conclusions"] if c["criterion"] == "C1")
    assert (c1["result"], c1["passes"], c1["fails"], body["members"]) == ("open", 1, 1, 2)
    assert entry in passed_bids(trade)
    assert _mark(client, trade, "expert2", entry, _all_pass()).status_code == 403  # stepped aside
