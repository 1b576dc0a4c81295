"""Sign-offs gate stages: start_evaluation needs the opening record signed, publicize the evaluation
report, contract the award - by every social supervisor drawn for the trade and not stepped aside,
signing or recording a dissent. Each sign-off is an audit entry. Service level and over HTTP."""
from __future__ import annotations

import base64
from decimal import Decimal

import pytest
import sqlalchemy as sa

from monitor.supervisors import draws as supervisor_draws
from monitor.supervisors import signoffs
from monitor.supervisors.models import SignOffStage
from tests.bidding.conftest import keyholding  # noqa: F401  (fixture)
from tests.bidding.ceremony.test_ceremony import PRICES, _bid_all, _open
from tests.conftest import START, api_headers, login, tender_timeline
from tests.monitor.supervisors.supervisor_helpers import entries, pdftotext, publish, registry, run_draw, walk  # noqa: F401
from trading.accounts.models import OrgKind
from trading.accounts.roles import Role
from trading.errors import IllegalMove, InvalidInput, NotAllowed
from trading.trades import services as trades
from trading.trades.flows import TradeState as S
from tests.signing_helpers import api_signed, page_signed, sign_off
from trading.signing import statements as st

GATES = [(S.OPENED, "start_evaluation", SignOffStage.OPENING_RECORD),
         (S.EVALUATING, "publicize", SignOffStage.EVALUATION_REPORT),
         (S.AWARDED, "contract", SignOffStage.AWARD)]


def drawn_users(trade, users) -> list:
    ids = {d.user_id for d in supervisor_draws.serving(trade)}
    return sorted((u for u in users.values() if u.id in ids), key=lambda u: u.username)


def refused(db, trade, move, users) -> IllegalMove:
    state = trade.state
    with pytest.raises(IllegalMove) as exc:
        trades.move(trade, move, users["staff"])
    db.session.rollback()
    assert trade.state is state
    return exc.value


@pytest.mark.parametrize("state, move, stage", GATES)
def test_each_gated_move_waits_for_every_drawn_supervisor(db, users, make_trade, registry, clock,  # noqa: F811
                                                          state, move, stage):
    trade = publish(db, make_trade, users, "9000000.00")
    walk(db, trade, users, clock, state)
    first, second = drawn_users(trade, users)
    error = refused(db, trade, move, users)
    assert error.code == "signoff_missing"
    assert first.display_name in error.message and second.display_name in error.message
    sign_off(first, trade, stage, "signed")
    db.session.commit()
    error = refused(db, trade, move, users)
    assert second.display_name in error.message and first.display_name not in error.message
    sign_off(second, trade, stage, "dissent", "评标报告未说明第二名扣分理由")
    db.session.commit()
    trades.move(trade, move, users["staff"])
    db.session.commit()
    assert trade.state is not state
    rows = signoffs.signoffs(trade, stage)
    assert [(r.user_id, r.decision.value, r.reason) for r in rows] == [
        (first.id, "signed", None), (second.id, "dissent", "评标报告未说明第二名扣分理由")]


def test_whole_flow_and_signoffs_are_audit_entries(db, users, make_trade, registry, clock):  # noqa: F811
    trade = publish(db, make_trade, users, "3000000.00")
    (who,) = drawn_users(trade, users)
    for state, move, stage in GATES:
        walk(db, trade, users, clock, state)
        row = sign_off(who, trade, stage, "signed")
        db.session.commit()
        (entry,) = entries(db, f"signoff.{stage.value}", trade)
        assert entry["_seq"] == row.entry_seq
        assert entry["actor"]["id"] == who.id and entry["role"] == Role.SOCIAL_SUPERVISOR.value
        assert entry["after"]["decision"] == "signed" and entry["after"]["stage"] == stage.value
        subject = entry["after"]["subject"]
        assert (subject["kind"], subject["sha256"], subject["index"]) == (
            "audit_entry", row.subject_hash, row.subject_index)
        # the subject is the trade's latest entry before the sign-off: its leaf hash is in the log
        from monitor.audit.models import AuditEntry

        leaf = db.session.scalar(sa.select(AuditEntry.leaf_hash).where(AuditEntry.seq == row.subject_index))
        assert bytes(leaf).hex() == row.subject_hash and row.subject_index < row.entry_seq
    walk(db, trade, users, clock, S.CONTRACTED)


def test_refusals(db, users, make_trade, registry, clock):  # noqa: F811
    trade = publish(db, make_trade, users, "3000000.00")
    (who,) = drawn_users(trade, users)
    other = next(users[n] for n in ("social", "social2", "social3", "social4") if users[n].id != who.id)
    with pytest.raises(IllegalMove) as exc:  # not at that stage yet
        sign_off(who, trade, "award", "signed")
    assert exc.value.code == "wrong_stage"
    db.session.rollback()
    walk(db, trade, users, clock, S.OPENED)
    for outsider in (other, users["supervisor"]):  # not drawn: no sign-off counts from them
        with pytest.raises(NotAllowed):
            sign_off(outsider, trade, "opening_record", "signed")
        db.session.rollback()
    with pytest.raises(InvalidInput) as exc:
        sign_off(who, trade, "opening_record", "dissent", "  ")
    assert exc.value.field == "reason"
    db.session.rollback()
    with pytest.raises(InvalidInput) as exc:
        sign_off(who, trade, "report", "signed")
    assert exc.value.field == "stage"
    db.session.rollback()
    sign_off(who, trade, "opening_record", "signed")
    db.session.commit()
    with pytest.raises(IllegalMove) as exc:
        sign_off(who, trade, "opening_record", "dissent", "changed my mind")
    assert exc.value.code == "already_signed"
    db.session.rollback()
    assert len(signoffs.signoffs(trade)) == 1


def test_no_supervisor_drawn_nothing_required(db, users, published_trade, clock):
    walk(db, published_trade, users, clock, S.CONTRACTED)  # every gate passes: nobody was drawn


def test_a_recused_supervisor_is_no_longer_required_but_the_replacement_is(db, users, make_trade,
                                                                           registry, clock):  # noqa: F811
    trade = publish(db, make_trade, users, "3000000.00")
    walk(db, trade, users, clock, S.OPENED)
    (first,) = drawn_users(trade, users)
    supervisor_draws.declare_conflict(first, trade, "招标人负责人是我的亲属")
    db.session.commit()
    (second,) = drawn_users(trade, users)
    error = refused(db, trade, "start_evaluation", users)
    assert second.display_name in error.message and first.display_name not in error.message
    with pytest.raises(NotAllowed):
        sign_off(first, trade, "opening_record", "signed")
    db.session.rollback()
    sign_off(second, trade, "opening_record", "signed")
    db.session.commit()
    trades.move(trade, "start_evaluation", users["staff"])
    db.session.commit()


def test_suspended_trade_signs_the_stage_it_was_suspended_from(db, users, make_trade, registry, clock):  # noqa: F811
    trade = publish(db, make_trade, users, "3000000.00")
    walk(db, trade, users, clock, S.EVALUATING)
    (who,) = drawn_users(trade, users)
    trades.move(trade, "suspend", users["supervisor"], reason="complaint")
    db.session.commit()
    sign_off(who, trade, "evaluation_report", "signed")
    trades.move(trade, "resume", users["supervisor"], reason="complaint answered")
    trades.move(trade, "publicize", users["staff"])
    db.session.commit()
    assert trade.state is S.PUBLICITY


# ---- over HTTP ------------------------------------------------------------------------------------

def test_gates_over_http_pages_and_api(db, client, users, make_trade, registry, clock):  # noqa: F811
    trade = publish(db, make_trade, users, "9000000.00")
    walk(db, trade, users, clock, S.OPENED)
    first, second = drawn_users(trade, users)
    # the API refuses the move, naming who has not signed, in the caller's language
    response = client.post(f"/api/v1/trades/{trade.id}/transitions", json={"move": "start_evaluation"},
                           headers={**api_headers(client, "staff"), "Accept-Language": "en"})
    body = response.get_json()
    assert response.status_code == 409 and body["code"] == "signoff_missing"
    assert first.display_name in body["message"] and "has not been signed off yet" in body["message"]
    # the workspace page refuses it too
    login(client, "staff")
    page = client.post(f"/workspace/trades/{trade.id}/move", data={"move": "start_evaluation"})
    assert page.status_code == 409 and second.display_name in page.get_data(as_text=True)
    client.post("/logout")
    # the first signs on the supervision page
    login(client, first.username)
    page = client.get(f"/monitor/trades/{trade.id}/supervision?lang=en").get_data(as_text=True)
    assert 'class="signoff-form"' in page and "audit log as it stands now" in page
    response = client.post(f"/monitor/trades/{trade.id}/supervision/signoffs",
                           data={"stage": "opening_record", "decision": "signed", "reason": "", **page_signed(
                               client, "sign-off", trade_id=trade.id, stage="opening_record", decision="signed")})
    assert response.status_code == 302
    page = client.get(f"/monitor/trades/{trade.id}/supervision").get_data(as_text=True)
    assert "Your sign-off is recorded." in page or "签署" in page
    client.post("/logout")
    # the second dissents over the API; a dissent without a reason is refused first
    headers = api_headers(client, second.username)
    bad = client.post(f"/api/v1/trades/{trade.id}/supervision/signoffs",
                      json={"stage": "opening_record", "decision": "dissent"}, headers=headers)
    assert bad.status_code == 422 and bad.get_json()["field"] == "reason"
    # signed with a key that is not theirs (here: a fresh one, never published): refused, nothing stored
    good = api_signed(client, headers, "sign-off", trade_id=trade.id, stage="opening_record", decision="dissent",
                      dissent="唱标顺序有误")
    forged = dict(good, signature=base64.b64encode(st.sign(st.generate(), good["statement"].encode())).decode())
    refused = client.post(f"/api/v1/trades/{trade.id}/supervision/signoffs", headers=headers,
                          json={"stage": "opening_record", "decision": "dissent", "reason": "唱标顺序有误", **forged})
    assert refused.status_code == 422 and refused.get_json()["field"] == "signature"
    assert [s.user_id for s in signoffs.signoffs(trade)] == [first.id]
    response = client.post(f"/api/v1/trades/{trade.id}/supervision/signoffs",
                           json={"stage": "opening_record", "decision": "dissent", "reason": "唱标顺序有误",
                                 **api_signed(client, headers, "sign-off", trade_id=trade.id, stage="opening_record",
                                              decision="dissent", dissent="唱标顺序有误")},
                           headers=headers)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["decision"] == "dissent" and response.get_json()["entry_seq"] >= 0
    again = client.post(f"/api/v1/trades/{trade.id}/supervision/signoffs",
                        json={"stage": "opening_record", "decision": "signed"}, headers=headers)
    assert again.status_code == 409 and again.get_json()["code"] == "already_signed"
    # an administrative supervisor may watch but not sign
    other = client.post(f"/api/v1/trades/{trade.id}/supervision/signoffs",
                        json={"stage": "opening_record", "decision": "signed"},
                        headers=api_headers(client, "supervisor"))
    assert other.status_code == 403
    response = client.post(f"/api/v1/trades/{trade.id}/transitions", json={"move": "start_evaluation"},
                           headers=api_headers(client, "staff"))
    assert response.status_code == 201, response.get_json()
    state = client.get(f"/api/v1/trades/{trade.id}/supervision", headers=api_headers(client, "supervisor")).get_json()
    stages = {s["stage"]: s for s in state["stages"]}
    assert stages["opening_record"]["missing"] == [] and stages["evaluation_report"]["open"] is True
    assert set(stages["evaluation_report"]["missing"]) == {first.id, second.id}


@pytest.mark.parametrize("state, move, stage", GATES)
def test_each_gate_over_the_api(db, client, users, make_trade, registry, clock, state, move, stage):  # noqa: F811
    trade = publish(db, make_trade, users, "9000000.00")
    walk(db, trade, users, clock, state)
    url = f"/api/v1/trades/{trade.id}/transitions"
    staff = api_headers(client, "staff")
    for who in drawn_users(trade, users):
        response = client.post(url, json={"move": move}, headers=staff)
        assert response.status_code == 409 and response.get_json()["code"] == "signoff_missing"
        assert who.display_name in response.get_json()["message"]  # in Chinese by default: the name is there
        headers = api_headers(client, who.username)
        response = client.post(f"/api/v1/trades/{trade.id}/supervision/signoffs", headers=headers,
                               json={"stage": stage.value, "decision": "signed", **api_signed(
                                   client, headers, "sign-off", trade_id=trade.id, stage=stage.value,
                                   decision="signed")})
        assert response.status_code == 201, response.get_json()
    response = client.post(url, json={"move": move}, headers=staff)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["from_state"] == state.value


# ---- the opening record through the ceremony -------------------------------------------------------

@pytest.fixture
def ceremony_trade(db, client, registry, keyholding, make_trade, make_user, make_org, clock):  # noqa: F811
    """A sealed tender above 5M (two social supervisors drawn at publication), three bids, opened."""
    users = keyholding
    for name in ("bidder_b", "bidder_c"):
        users[name] = make_user(name, (Role.BIDDER, None), org=make_org(OrgKind.BIDDER, f"{name} 建设有限公司"))
    trade = make_trade(paper_bids=False, estimated_price=Decimal("9000000.00"), **tender_timeline(START))
    response = client.post(f"/api/v1/trades/{trade.id}/keyholders", headers=api_headers(client, "decider"),
                           json={"execute": [users["staff"].id, users["staff2"].id],
                                 "supervise": [users["supervisor"].id]})
    assert response.status_code == 201, response.get_json()
    for name, who in (("submit", "staff"), ("approve", "decider"), ("publish", "staff")):
        trades.move(trade, name, users[who])
    db.session.commit()
    run_draw(db, trade)
    _bid_all(client, trade, users, PRICES)
    _open(client, trade, clock)
    db.session.expire_all()
    assert trade.state is S.OPENED
    return trade


def test_opening_record_signed_on_the_ceremony_page_or_the_supervision_page(db, client, users, ceremony_trade,
                                                                           tmp_path):
    from bidding.ceremony.services import ceremony_of

    trade = ceremony_trade
    first, second = drawn_users(trade, users)
    sha = ceremony_of(trade).record_sha256
    # the first signs on the ceremony page (bidding's sign_record): it is their sign-off
    login(client, first.username)
    assert client.post(f"/bidding/trades/{trade.id}/ceremony/signatures", data={"dissent": "", **page_signed(
        client, "opening-record", trade_id=trade.id)}).status_code == 302
    client.post("/logout")
    (row,) = signoffs.signoffs(trade, SignOffStage.OPENING_RECORD)
    assert (row.user_id, row.subject_kind, row.subject_hash) == (first.id, "opening_record", sha)
    assert refused(db, trade, "start_evaluation", users).message.count(second.display_name) == 1
    # an administrative supervisor's signature on the record is welcome but not a required sign-off
    login(client, "supervisor")
    assert client.post(f"/bidding/trades/{trade.id}/ceremony/signatures", data={"dissent": "", **page_signed(
        client, "opening-record", trade_id=trade.id)}).status_code == 302
    client.post("/logout")
    assert len(signoffs.signoffs(trade)) == 1
    # the second signs with a dissent on the supervision page: the same signature on the record
    login(client, second.username)
    page = client.get(f"/monitor/trades/{trade.id}/supervision").get_data(as_text=True)
    assert sha in page
    response = client.post(f"/monitor/trades/{trade.id}/supervision/signoffs",
                           data={"stage": "opening_record", "decision": "dissent", "reason": "开标时间晚了两分钟",
                                 **page_signed(client, "opening-record", trade_id=trade.id, stage="opening_record",
                                               decision="dissent", dissent="开标时间晚了两分钟")})
    assert response.status_code == 302
    db.session.expire_all()
    signatures = {s.user_id: s for s in ceremony_of(trade).signatures}
    assert signatures[second.id].dissent == "开标时间晚了两分钟" and signatures[second.id].record_sha256 == sha
    rows = signoffs.signoffs(trade, SignOffStage.OPENING_RECORD)
    assert [(r.user_id, r.decision.value) for r in rows] == [(first.id, "signed"), (second.id, "dissent")]
    assert [e["after"]["subject"]["sha256"] for e in entries(db, "signoff.opening_record", trade)] == [sha, sha]
    trades.move(trade, "start_evaluation", users["staff"])
    db.session.commit()
    assert trade.state is S.EVALUATING
    # the opening record PDF carries both signatures; the supervision record lists both sign-offs
    login(client, "decider")
    text = pdftotext(client.get(f"/monitor/trades/{trade.id}/supervision/record.pdf").data, tmp_path)
    assert "开标记录" in text and "开标时间晚了两分钟" in text and first.display_name in text
