"""The social supervisor registry and the draw per trade: registration and certificates, renewal,
suspension and revocation with reasons, expiry, who is drawn and who never is, conflicts, recusals
and redraws in logged rounds, the pages and their PDFs."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from monitor.verify import draw as drawing
from monitor.supervisors import draws as supervisor_draws
from monitor.supervisors import registry as supervisors
from monitor.supervisors.models import DrawnSupervisor, SocialSupervisor, SupervisorStatus, SupervisorStatusChange
from tests.conftest import api_headers, login
from tests.monitor.supervisors.supervisor_helpers import (entries, pdftotext, publish, register, registry,  # noqa: F401
                                                          run_draw)
from trading.accounts.models import DeclaredRelation
from trading.accounts.roles import Role
from trading.errors import IllegalMove, InvalidInput, NotAllowed, PolicyViolation
from trading.trades.models import TradeParticipant


def serving_users(trade) -> set[str]:
    return {d.user.username for d in supervisor_draws.serving(trade)}


# ---- the registry -----------------------------------------------------------------------------------

def test_register_issues_a_stable_certificate_number_and_logs_it(db, users, centres, registry):  # noqa: F811
    works = [registry[n] for n in ("social", "social2", "social3", "social4")]
    assert [s.certificate_no for s in works] == [f"SS-GC-2026-{i:04d}" for i in range(1, 5)]
    assert registry["social_proc"].certificate_no == "SS-ZC-2026-0001"
    sup = registry["social"]
    assert (sup.term_start, sup.term_end) == (date(2026, 3, 2), date(2028, 3, 1))  # two years, inclusive
    assert sup.status is SupervisorStatus.ACTIVE and sup.entry_seq is not None
    logged = entries(db, "supervisors.register")
    assert len(logged) == 5 and logged[0]["after"]["certificate_no"] == "SS-GC-2026-0001"
    assert logged[0]["_seq"] == sup.entry_seq
    assert [h.action for h in sup.history] == ["register"]


def test_register_refuses_without_the_role_or_twice(db, users, centres, make_user, registry):  # noqa: F811
    with pytest.raises(InvalidInput) as exc:
        register(db, users["decider"], users["supervisor"], centres["WORKS"])  # an administrative supervisor
    assert exc.value.field == "user_id"
    db.session.rollback()
    with pytest.raises(InvalidInput) as exc:
        register(db, users["decider"], users["social"], centres["WORKS"])
    assert exc.value.field == "user_id" and "SS-GC-2026-0001" in exc.value.message
    db.session.rollback()
    with pytest.raises(InvalidInput) as exc:
        fresh = make_user("social5", (Role.SOCIAL_SUPERVISOR, "PROC"))
        register(db, users["decider"], fresh, centres["PROC"], agreement_date=date(2026, 4, 1))
    assert exc.value.field == "agreement_date"
    db.session.rollback()
    with pytest.raises(NotAllowed):  # staff are not the decision branch
        register(db, users["staff"], users["social"], centres["WORKS"])


def test_renew_extends_two_years_from_the_end(db, users, registry, clock):  # noqa: F811
    sup = registry["social"]
    supervisors.renew(users["decider"], sup, "second term")
    db.session.commit()
    assert sup.term_end == date(2030, 3, 1) and sup.renewals == 1
    # an expired term renewed becomes active again
    clock.freeze(clock.now() + timedelta(days=365 * 4 + 2))
    assert supervisors.expire_terms() >= 1
    assert sup.status is SupervisorStatus.EXPIRED and "2030-03-01" in sup.status_reason
    supervisors.renew(users["decider"], sup)
    db.session.commit()
    assert sup.status is SupervisorStatus.ACTIVE and sup.term_end == date(2032, 3, 1)
    assert [h.action for h in sup.history] == ["register", "renew", "expire", "renew"]
    assert len(entries(db, "supervisors.renew")) == 2 and len(entries(db, "supervisors.expire")) >= 1


def test_status_changes_need_a_reason_and_follow_their_order(db, users, registry):  # noqa: F811
    sup = registry["social2"]
    with pytest.raises(InvalidInput) as exc:
        supervisors.change_status(users["decider"], sup, "suspend", "  ")
    assert exc.value.field == "reason"
    db.session.rollback()
    with pytest.raises(IllegalMove):
        supervisors.change_status(users["decider"], sup, "reinstate", "not suspended")
    db.session.rollback()
    supervisors.change_status(users["decider"], sup, "suspend", "under review")
    supervisors.change_status(users["decider"], sup, "reinstate", "review closed")
    supervisors.change_status(users["decider"], sup, "revoke", "moved away")
    db.session.commit()
    assert sup.status is SupervisorStatus.REVOKED and sup.status_reason == "moved away"
    rows = db.session.scalars(sa.select(SupervisorStatusChange).where(SupervisorStatusChange.supervisor_id == sup.id)
                              .order_by(SupervisorStatusChange.id)).all()
    assert [(r.action, r.reason) for r in rows][1:] == [("suspend", "under review"), ("reinstate", "review closed"),
                                                        ("revoke", "moved away")]
    with pytest.raises(IllegalMove):
        supervisors.renew(users["decider"], sup)
    db.session.rollback()
    # a revoked person may be registered again, with a new certificate
    again = register(db, users["decider"], users["social2"], sup.centre)
    assert again.certificate_no == "SS-GC-2026-0005"


# ---- who is drawn ---------------------------------------------------------------------------------

def test_publication_draws_by_rule_and_drawn_become_participants(db, users, make_trade, registry):  # noqa: F811
    trade = publish(db, make_trade, users, "3000000.00")
    (row,) = supervisor_draws.draws(trade)
    assert (row.round, row.trigger, row.count) == (1, "publish", 1)
    (d,) = supervisor_draws.serving(trade)
    assert d.supervisor_id == row.selected[0]
    participant = db.session.scalar(sa.select(TradeParticipant).where(TradeParticipant.trade_id == trade.id,
                                                                      TradeParticipant.user_id == d.user_id))
    assert participant.duty == "supervisor"
    # the policy now applies to them: a drawn supervisor cannot act as anything else on the trade
    with pytest.raises(PolicyViolation):
        from trading.accounts import policy

        policy.check_participation(d.user, trade, "executor")
    # they are told
    from trading.notices.models import Notification

    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == d.user_id,
                                                           Notification.kind == "supervisor_drawn"))
    assert note is not None and trade.ref in note.subject


def test_no_registry_no_draw(db, users, published_trade):
    assert supervisor_draws.draws(published_trade) == []
    assert entries(db, "supervisors.draw") == []


@pytest.mark.parametrize("status", ["suspended", "revoked", "expired"])
def test_suspended_revoked_and_expired_are_never_drawn(db, users, make_trade, registry, status):  # noqa: F811
    keep = registry["social4"]
    for name in ("social", "social2", "social3"):
        sup = registry[name]
        if status == "expired":
            sup.term_end = date(2026, 3, 1)  # ended yesterday
        else:
            supervisors.change_status(users["decider"], sup, "suspend" if status == "suspended" else "revoke",
                                      "not available")
    db.session.commit()
    if status == "expired":
        assert supervisors.expire_terms() == 3
    for i in range(4):
        trade = publish(db, make_trade, users, "9000000.00", title=f"Lot {i}")
        (row,) = supervisor_draws.draws(trade)
        assert row.candidates == [keep.id]
        assert row.selected == [keep.id]  # two asked, one available: a shortfall, logged
        (entry,) = entries(db, "supervisors.draw", trade)
        assert entry["after"]["shortfall"] == 1


def test_expired_by_date_even_before_the_tick(db, users, make_trade, registry):  # noqa: F811
    for name in ("social", "social2", "social3"):
        registry[name].term_end = date(2026, 3, 1)
    db.session.commit()
    trade = publish(db, make_trade, users)
    assert supervisor_draws.draws(trade)[0].candidates == [registry["social4"].id]


def test_ties_exclude_candidates(db, users, make_trade, registry):  # noqa: F811
    """social: a declared relation to the tenderer; social2: a member of the tenderer organisation;
    social3: a declared relation to a bidding organisation. Only social4 may be drawn."""
    from trading.accounts import policy

    db.session.add(DeclaredRelation(user_id=users["social"].id, organisation_id=users["tenderer"].organisation_id,
                                    nature="spouse works there"))
    users["social2"].organisation_id = users["tenderer"].organisation_id
    bidder_org = users["bidder"].organisation_id
    db.session.add(DeclaredRelation(user_id=users["social3"].id, organisation_id=bidder_org, nature="brother"))
    db.session.commit()
    source = lambda trade: {bidder_org}  # noqa: E731  (the bidder is preparing a bid on every trade)
    policy.bidder_sources.append(source)
    try:
        trade = publish(db, make_trade, users, "9000000.00")
    finally:
        policy.bidder_sources.remove(source)
    (row,) = supervisor_draws.draws(trade)
    assert row.candidates == [registry["social4"].id]
    assert serving_users(trade) == {"social4"}


def test_a_person_acting_in_another_capacity_on_the_trade_is_not_drawn(db, users, make_trade, registry):  # noqa: F811
    from tests.conftest import START, tender_timeline
    from trading.accounts.roles import Branch
    from trading.trades import services as trades

    trade = make_trade(**tender_timeline(START))
    for name in ("social", "social2", "social3"):  # e.g. sitting on the evaluation committee of this trade
        db.session.add(TradeParticipant(trade_id=trade.id, user_id=users[name].id, duty="expert",
                                        branch=Branch.OUTSIDE))
    db.session.commit()
    for move, who in (("submit", "staff"), ("approve", "decider"), ("publish", "staff")):
        trades.move(trade, move, users[who])
    db.session.commit()
    run_draw(db, trade)
    assert supervisor_draws.draws(trade)[0].candidates == [registry["social4"].id]
    assert serving_users(trade) == {"social4"}


def test_a_manual_draw_fills_a_registry_made_after_publication(db, users, make_trade, make_user, centres):
    trade = publish(db, make_trade, users, "9000000.00")
    assert supervisor_draws.draws(trade) == []
    register(db, users["decider"], users["social"], centres["WORKS"])
    users["social2"] = make_user("social2", (Role.SOCIAL_SUPERVISOR, "WORKS"))
    register(db, users["decider"], users["social2"], centres["WORKS"])
    with pytest.raises(NotAllowed):
        supervisor_draws.draw_for_trade(trade, users["staff"])
    db.session.rollback()
    row = supervisor_draws.draw_for_trade(trade, users["decider"])
    db.session.commit()
    # fixed, not drawn: the candidates and the count are logged before any randomness exists
    assert (row.round, row.trigger, row.status, row.selected, row.count) == (1, "manual", "fixed", [], 2)
    (fixed,) = entries(db, "supervisors.draw_fixed", trade)
    assert fixed["after"]["candidates"] == sorted(row.candidates) and fixed["_seq"] == row.fixed_entry_seq
    with pytest.raises(IllegalMove) as exc:  # one pending round at a time
        supervisor_draws.draw_for_trade(trade, users["decider"])
    assert exc.value.code == "pending"
    db.session.rollback()
    run_draw(db, trade)
    db.session.refresh(row)
    assert (row.status, sorted(row.selected)) == ("drawn", sorted(row.candidates))
    with pytest.raises(IllegalMove) as exc:
        supervisor_draws.draw_for_trade(trade, users["decider"])
    assert exc.value.code == "complete"
    db.session.rollback()


# ---- conflicts, recusals, redraws -----------------------------------------------------------------

def test_conflict_declared_then_the_next_of_the_order_replaces(db, users, make_trade, registry):  # noqa: F811
    trade = publish(db, make_trade, users, "9000000.00")
    (first,) = supervisor_draws.draws(trade)
    names = serving_users(trade)
    assert len(names) == 2 and first.selected == first.order[:2] and sorted(first.order) == first.candidates
    leaving = sorted(names)[0]
    with pytest.raises(InvalidInput):
        supervisor_draws.declare_conflict(users[leaving], trade, "")
    db.session.rollback()
    supervisor_draws.declare_conflict(users[leaving], trade, "我曾在投标单位任职")
    db.session.commit()
    # no new round and no new randomness: the third of the order, fixed when the round was drawn
    assert [r.round for r in supervisor_draws.draws(trade)] == [1]
    after = serving_users(trade)
    assert leaving not in after and len(after) == 2
    newcomer = next(d for d in supervisor_draws.serving(trade) if d.supervisor_id not in first.selected)
    assert (newcomer.supervisor_id, newcomer.position) == (first.order[2], 2)
    gone = db.session.scalar(sa.select(DrawnSupervisor).where(DrawnSupervisor.trade_id == trade.id,
                                                              DrawnSupervisor.recused_at.is_not(None)))
    assert (gone.recusal_kind, gone.recusal_reason) == ("declared", "我曾在投标单位任职")
    (recusal,) = entries(db, "supervisors.recusal", trade)
    assert recusal["after"]["kind"] == "declared" and recusal["_seq"] == gone.recusal_entry_seq
    (replacement,) = entries(db, "supervisors.replacement", trade)
    assert replacement["after"]["position"] == 2 and replacement["after"]["supervisor"] == first.order[2]
    assert replacement["after"]["recusal"] == recusal["_seq"] < replacement["_seq"] == newcomer.entry_seq
    (logged,) = entries(db, "supervisors.draw", trade)
    assert drawing.replay(logged)["matches"]
    # a recused supervisor cannot declare again nor sign
    with pytest.raises(NotAllowed):
        supervisor_draws.declare_conflict(users[leaving], trade, "again")
    db.session.rollback()


def test_decider_recuses_and_registry_suspension_steps_aside(db, users, make_trade, registry):  # noqa: F811
    trade = publish(db, make_trade, users, "3000000.00")
    (rnd,) = supervisor_draws.draws(trade)
    (d,) = supervisor_draws.serving(trade)
    with pytest.raises(NotAllowed):
        supervisor_draws.recuse(users["staff"], trade, d.id, "staff may not")
    db.session.rollback()
    supervisor_draws.recuse(users["decider"], trade, d.id, "举报核实存在利害关系")
    db.session.commit()
    (d2,) = supervisor_draws.serving(trade)
    assert d2.supervisor_id == rnd.order[1] and d.recusal_kind == "decided"
    # suspending the replacement in the registry steps them aside too; the third of the order comes
    supervisors.change_status(users["decider"], d2.supervisor, "suspend", "under review")
    db.session.commit()
    (d3,) = supervisor_draws.serving(trade)
    assert d3.supervisor_id == rnd.order[2]
    db.session.refresh(d2)
    assert d2.recusal_kind == "registry"
    assert [r.round for r in supervisor_draws.draws(trade)] == [1]
    assert [e["after"]["kind"] for e in entries(db, "supervisors.recusal", trade)] == ["decided", "registry"]
    assert [e["after"]["position"] for e in entries(db, "supervisors.replacement", trade)] == [1, 2]


def test_redraw_with_nobody_left_logs_an_empty_round(db, users, make_trade, make_user, centres):
    register(db, users["decider"], users["social"], centres["WORKS"])
    trade = publish(db, make_trade, users)
    supervisor_draws.declare_conflict(users["social"], trade, "relative of the tenderer's manager")
    db.session.commit()
    run_draw(db, trade)  # the order is exhausted: a new round is fixed, and drawn by the tick
    rounds = supervisor_draws.draws(trade)
    assert [(r.round, r.candidates, r.selected) for r in rounds[1:]] == [(2, [], [])]
    assert supervisor_draws.serving(trade) == []


# ---- over HTTP ------------------------------------------------------------------------------------

def test_registry_api_round_trip(db, client, users, centres, make_user):
    users["social2"] = make_user("social2", (Role.SOCIAL_SUPERVISOR, "WORKS"))
    headers = api_headers(client, "decider")
    body = {"user_id": users["social2"].id, "centre_id": centres["WORKS"].id, "recommended_by": "区妇联",
            "agreement_ref": "PY-2026-07", "agreement_date": "2026-03-01", "rights_duties": "如实记录，对签署负责"}
    response = client.post("/api/v1/supervisors", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    sup = response.get_json()
    assert re.fullmatch(r"SS-GC-2026-\d{4}", sup["certificate_no"]) and sup["status"] == "active"
    assert sup["term_end"] == "2028-03-01"
    response = client.post("/api/v1/supervisors", json={**body, "agreement_date": "not a date"}, headers=headers)
    assert response.status_code == 422 and response.get_json()["field"] == "agreement_date"
    response = client.post(f"/api/v1/supervisors/{sup['id']}/renewals", json={}, headers=headers)
    assert response.status_code == 201 and response.get_json()["term_end"] == "2030-03-01"
    response = client.post(f"/api/v1/supervisors/{sup['id']}/status", json={"action": "suspend"}, headers=headers)
    assert response.status_code == 422 and response.get_json()["field"] == "reason"
    response = client.post(f"/api/v1/supervisors/{sup['id']}/status",
                           json={"action": "suspend", "reason": "请假"}, headers=headers)
    assert response.status_code == 201 and response.get_json()["status"] == "suspended"
    listed = client.get("/api/v1/supervisors?status=suspended", headers=headers).get_json()
    assert [s["id"] for s in listed] == [sup["id"]]
    own = client.get(f"/api/v1/supervisors/{sup['id']}", headers=api_headers(client, "social2"))
    assert own.status_code == 200 and [h["action"] for h in own.get_json()["history"]] == [
        "register", "renew", "suspend"]
    other = client.get(f"/api/v1/supervisors/{sup['id']}", headers=api_headers(client, "social"))
    assert other.status_code == 403


def test_certificate_pdf_has_the_chinese_text(db, client, users, registry, tmp_path):  # noqa: F811
    sup = registry["social"]
    login(client, "social")
    response = client.get(f"/monitor/supervisors/{sup.id}/certificate.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdftotext(response.data, tmp_path)
    for part in ("社会监督员证书", sup.certificate_no, "市总工会", "建设工程交易中心", "2026-03-02至2028-03-01",
                 "监督开标评标"):
        assert part in text, part
    # deciders download it too; another supervisor does not
    response = client.get(f"/api/v1/supervisors/{sup.id}/certificate.pdf", headers=api_headers(client, "decider"))
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    response = client.get(f"/api/v1/supervisors/{sup.id}/certificate.pdf", headers=api_headers(client, "social2"))
    assert response.status_code == 403
    # a revoked certificate says so
    supervisors.change_status(users["decider"], sup, "revoke", "违反保密义务")
    db.session.commit()
    text = pdftotext(client.get(f"/monitor/supervisors/{sup.id}/certificate.pdf").data, tmp_path, "r.pdf")
    assert "已撤销" in text and "违反保密义务" in text


def test_pages_register_and_manage(db, client, users, centres, make_user):
    users["social2"] = make_user("social2", (Role.SOCIAL_SUPERVISOR, "WORKS"))
    login(client, "decider")
    page = client.get("/monitor/supervisors/new")
    assert page.status_code == 200 and "social2" in page.get_data(as_text=True)
    form = {"centre_id": str(centres["WORKS"].id), "user_id": str(users["social2"].id), "recommended_by": "区工商联",
            "agreement_ref": "PY-9", "agreement_date": "2026-03-01", "term_start": "",
            "rights_duties": "不干预评标"}
    bad = client.post("/monitor/supervisors/new", data={**form, "agreement_date": "yesterday"})
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.get_data(as_text=True)
    response = client.post("/monitor/supervisors/new", data=form)
    assert response.status_code == 302
    sup = db.session.scalar(sa.select(SocialSupervisor).where(SocialSupervisor.user_id == users["social2"].id))
    assert response.headers["Location"].endswith(f"/monitor/supervisors/{sup.id}")
    listing = client.get("/monitor/supervisors").get_data(as_text=True)
    assert sup.certificate_no in listing
    assert client.post(f"/monitor/supervisors/{sup.id}/renew", data={"reason": ""}).status_code == 302
    assert client.post(f"/monitor/supervisors/{sup.id}/status",
                       data={"action": "suspend", "reason": "休假"}).status_code == 302
    db.session.expire_all()
    sup = db.session.get(SocialSupervisor, sup.id)
    assert sup.status is SupervisorStatus.SUSPENDED and sup.term_end == date(2030, 3, 1)
    page = client.get(f"/monitor/supervisors/{sup.id}").get_data(as_text=True)
    assert "休假" in page
    # a refused change is a flash, not a crash
    client.post(f"/monitor/supervisors/{sup.id}/status?lang=en", data={"action": "suspend", "reason": "again"})
    assert "cannot be changed" in client.get(f"/monitor/supervisors/{sup.id}?lang=en").get_data(as_text=True)


def test_supervisor_pages_and_record_pdf(db, client, users, make_trade, registry, tmp_path):  # noqa: F811
    trade = publish(db, make_trade, users, "9000000.00")
    names = sorted(serving_users(trade))
    login(client, names[0])
    page = client.get(f"/monitor/trades/{trade.id}/supervision?lang=en").get_data(as_text=True)
    assert "conflict-form" in page and "python -m monitor.verify.draw" in page and "replays identically" in page
    mine = client.get("/monitor/supervisors/me").get_data(as_text=True)
    assert trade.ref in mine
    response = client.post(f"/monitor/trades/{trade.id}/supervision/conflict", data={"reason": "亲属在投标单位"})
    assert response.status_code == 302
    assert names[0] not in serving_users(trade)
    client.post("/logout")
    login(client, "decider")
    response = client.get(f"/monitor/trades/{trade.id}/supervision/record.pdf")
    assert response.status_code == 200
    text = pdftotext(response.data, tmp_path)
    for part in ("社会监督员监督记录", trade.ref, "亲属在投标单位", "本人申报回避", "第1轮第1顺位", "第1轮第3顺位（递补）",
                 "审计日志检查点", "电子监察"):
        assert part in text, part
    for d in supervisor_draws.drawn(trade):
        assert d.supervisor.certificate_no in text


def test_record_pdf_lists_the_trades_cards(db, client, users, make_trade, registry, tmp_path):  # noqa: F811
    """The e-supervision engine cards a tender published without its documents; the record lists it."""
    from monitor.cards import services as cards

    trade = publish(db, make_trade, users)
    found = cards.cards_for_trade(trade)
    assert found, "expected the engine to card a tender without documents"
    login(client, "supervisor")
    text = pdftotext(client.get(f"/monitor/trades/{trade.id}/supervision/record.pdf").data, tmp_path)
    from monitor.cards.texts import norm_of

    for card in found:  # each card's rule, as the reader reads it (not its code)
        assert norm_of(card).describe().replace(" ", "") in text
    assert {"yellow": "黄牌", "red": "红牌"}[found[0].level.value] in text


def test_record_pdf_survives_a_broken_card_engine(db, client, users, make_trade, registry, tmp_path,
                                                  monkeypatch):  # noqa: F811
    from monitor.cards import services as cards

    trade = publish(db, make_trade, users)
    login(client, "supervisor")

    def broken(_trade):
        raise RuntimeError("card engine down")

    monkeypatch.setattr(cards, "cards_for_trade", broken)
    text = pdftotext(client.get(f"/monitor/trades/{trade.id}/supervision/record.pdf").data, tmp_path)
    assert "电子监察记录暂不可用" in text


def test_supervision_api(db, client, users, make_trade, registry):  # noqa: F811
    trade = publish(db, make_trade, users, "9000000.00")
    body = client.get(f"/api/v1/trades/{trade.id}/supervision", headers=api_headers(client, "supervisor")).get_json()
    assert body["rule"]["count"] == 2 and len(body["drawn"]) == 2 and len(body["draws"]) == 1
    assert drawing.replay(body["draws"][0]["entry"])["matches"]
    drawn = body["drawn"][0]
    response = client.post(f"/api/v1/trades/{trade.id}/supervision/recusals",
                           json={"drawn_id": drawn["id"], "reason": "利害关系"}, headers=api_headers(client, "decider"))
    assert response.status_code == 201 and response.get_json()["serving"] is False
    body = client.get(f"/api/v1/trades/{trade.id}/supervision", headers=api_headers(client, "decider")).get_json()
    assert [d["round"] for d in body["draws"]] == [1] and body["draws"][0]["status"] == "drawn"
    assert [d["position"] for d in body["drawn"]] == [0, 1, 2]
    serving = [d for d in body["drawn"] if d["serving"]]
    user = next(u for u in users.values() if u.id == serving[0]["user_id"])
    response = client.post(f"/api/v1/trades/{trade.id}/supervision/conflicts", json={"reason": "同学关系"},
                           headers=api_headers(client, user.username))
    assert response.status_code == 201
    response = client.post(f"/api/v1/trades/{trade.id}/supervision/draws", headers=api_headers(client, "decider"))
    assert response.status_code == 409 and response.get_json()["code"] == "complete"
