"""Who may ask, challenge and complain, and until when: each window at its boundary (the last day accepted,
the next refused with the rule and the last day named), through the real HTTP API."""
from __future__ import annotations

from datetime import timezone
from decimal import Decimal

import sqlalchemy as sa

from procurement.challenges.models import Filing
from tests.conftest import api_headers
from tests.procurement.challenges.conftest import local
from trading.notices.models import Notice, NoticeKind
from trading.trades import services as trades


def iso(moment) -> str:
    return moment.astimezone(timezone.utc).isoformat()


def _file(client, trade, who, **body):
    return client.post(f"/api/v1/trades/{trade.id}/challenges", json={"text": "事项与理由", **body},
                       headers=api_headers(client, who))


def _count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count(Filing.id)))


def test_any_supplier_asks_and_the_answer_is_due_in_three_working_days(db, client, tender, clock):
    clock.freeze(local(2026, 3, 6, 15, 0))  # a Friday: Monday, Tuesday, Wednesday
    response = _file(client, tender, "bidder2", kind="question", text="交货期能否延长？")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["kind"] == "question" and body["answer_due"] == iso(local(2026, 3, 12))
    # the purchaser, its staff, other branches and the public do not file as suppliers
    for who in ("tenderer", "staff_proc", "decider", "finance", "expert"):
        assert _file(client, tender, who, kind="question").status_code == 403, who


def test_a_documents_challenge_needs_the_documents(db, client, tender, clock):
    refused = _file(client, tender, "bidder2", kind="challenge", about="documents")
    assert refused.status_code == 403 and refused.get_json()["code"] == "no_standing"
    assert "财政部令第94号" in refused.get_json()["message"] or "Order 94" in refused.get_json()["message"]
    assert _count(db) == 0


def test_documents_challenge_window_runs_seven_working_days_from_the_end_of_the_documents_period(
        db, client, tender, clock):
    """Documents downloaded 3 March, their period ends Thursday 12 March: 13, 16-20, 23 March are the seven
    working days; the 23rd is the last day."""
    clock.freeze(local(2026, 3, 23, 23, 59, 59))
    ok = _file(client, tender, "bidder", kind="challenge", about="documents", text="评分标准倾向特定品牌")
    assert ok.status_code == 201, ok.get_json()
    assert ok.get_json()["knew_at"] == iso(tender.docs_until)
    assert ok.get_json()["answer_due"] == iso(local(2026, 4, 2))  # 24-27, 30, 31 March, 1 April
    clock.freeze(local(2026, 3, 24, 0, 0))
    late = _file(client, tender, "bidder", kind="challenge", about="documents")
    assert late.status_code == 409, late.get_json()
    body = late.get_json()
    assert body["code"] == "too_late" and "2026-03-23" in body["message"] and "第52条" in body["message"]
    assert _count(db) == 1


def test_late_challenge_reads_in_english_too(db, client, tender, clock):
    clock.freeze(local(2026, 3, 24, 0, 0))
    late = client.post(f"/api/v1/trades/{tender.id}/challenges", json={"kind": "challenge", "about": "documents",
                                                                        "text": "x"},
                       headers={**api_headers(client, "bidder"), "Accept-Language": "en"})
    assert late.status_code == 409
    message = late.get_json()["message"]
    assert "7 working days" in message and "Government Procurement Law Art. 52" in message and "2026-03-23" in message


def test_process_and_result_challenges_need_a_supplier_that_took_part(db, client, tender, cast, clock):
    from bidding.deposits.services import record_deposit

    refused = _file(client, tender, "bidder", kind="challenge", about="process", step="opening")
    assert refused.status_code == 403 and refused.get_json()["code"] == "no_standing"
    record_deposit(cast["staff_proc"], tender, cast["bidder"].organisation_id, Decimal("5000.00"))
    db.session.commit()
    bad_step = _file(client, tender, "bidder", kind="challenge", about="process", step="award")
    assert bad_step.status_code == 422 and bad_step.get_json()["field"] == "step"
    # the opening has not ended: the window has not begun, the challenge is taken
    early = _file(client, tender, "bidder", kind="challenge", about="process", step="opening")
    assert early.status_code == 201 and early.get_json()["knew_at"] is None
    no_result = _file(client, tender, "bidder", kind="challenge", about="result")
    assert no_result.status_code == 409 and no_result.get_json()["code"] == "no_result"


def test_process_challenge_counts_from_the_end_of_the_step(db, client, tender, cast, clock):
    from bidding.deposits.services import record_deposit

    record_deposit(cast["staff_proc"], tender, cast["bidder"].organisation_id, Decimal("5000.00"))
    db.session.commit()
    clock.freeze(tender.opening_at)  # Friday 27 March 09:00
    trades.advance_due()
    for move in ("start_opening", "finish_opening"):
        trades.move(tender, move, cast["staff_proc"])
    db.session.commit()
    clock.freeze(local(2026, 4, 7, 23, 59))  # 30, 31 March, 1-3, 6, 7 April (no holiday in the test calendar)
    assert _file(client, tender, "bidder", kind="challenge", about="process", step="opening").status_code == 201
    clock.freeze(local(2026, 4, 8, 0, 0))
    late = _file(client, tender, "bidder", kind="challenge", about="process", step="opening")
    assert late.status_code == 409 and "2026-04-07" in late.get_json()["message"]


def test_result_challenge_counts_from_the_last_day_of_the_result_announcement(db, client, tender, cast, clock):
    """The result notice (which the award publishes) goes out Wednesday 1 April; it lasts one working day
    (GPR 43), so the supplier knew on Thursday 2 April; seven working days end Monday 13 April."""
    from bidding.deposits.services import record_deposit

    record_deposit(cast["staff_proc"], tender, cast["bidder"].organisation_id, Decimal("5000.00"))
    db.session.add(Notice(trade=tender, kind=NoticeKind.RESULT, title="中标结果公告", body="……",
                          published_at=local(2026, 4, 1, 10, 0)))
    db.session.commit()
    clock.freeze(local(2026, 4, 13, 23, 59))
    assert _file(client, tender, "bidder", kind="challenge", about="result").status_code == 201
    clock.freeze(local(2026, 4, 14, 0, 0))
    late = _file(client, tender, "bidder", kind="challenge", about="result")
    assert late.status_code == 409 and "2026-04-13" in late.get_json()["message"]


def _challenge(client, tender, clock) -> int:
    clock.freeze(local(2026, 3, 5, 10, 0))
    made = _file(client, tender, "bidder", kind="challenge", about="documents", text="技术参数指向特定产品")
    assert made.status_code == 201, made.get_json()
    return made.get_json()["id"]


def test_complaint_only_after_the_answer_or_its_period_and_only_by_the_challenger(db, client, tender, clock):
    challenge = _challenge(client, tender, clock)
    not_yet = _file(client, tender, "bidder", kind="complaint", challenge_id=challenge)
    assert not_yet.status_code == 409 and not_yet.get_json()["code"] == "not_yet"
    assert "2026-03-16" in not_yet.get_json()["message"]  # the answer period's last day: 6, 9-13, 16 March
    other = _file(client, tender, "bidder2", kind="complaint", challenge_id=challenge)
    assert other.status_code == 403 and other.get_json()["code"] == "no_standing"
    no_challenge = _file(client, tender, "bidder", kind="complaint")
    assert no_challenge.status_code == 422 and no_challenge.get_json()["field"] == "challenge_id"
    # no answer by its due: fifteen working days from the last day of the answer period (17 March - 6 April)
    clock.freeze(local(2026, 4, 6, 23, 59))
    ok = _file(client, tender, "bidder", kind="complaint", challenge_id=challenge, text="质疑未获答复")
    assert ok.status_code == 201, ok.get_json()
    assert ok.get_json()["answer_due"] == iso(local(2026, 5, 19))  # thirty working days: 7 April - 18 May
    again = _file(client, tender, "bidder", kind="complaint", challenge_id=challenge)
    assert again.status_code == 409 and again.get_json()["code"] == "already_filed"


def test_complaint_window_from_the_answer(db, client, tender, clock):
    """Answered Friday 6 March: 9-13, 16-20, 23-27 March are the fifteen working days."""
    challenge = _challenge(client, tender, clock)
    clock.freeze(local(2026, 3, 6, 10, 0))
    answered = client.post(f"/api/v1/trades/{tender.id}/challenges/{challenge}/answer",
                           json={"answer": "经核实，参数符合市场通行标准。", "outcome": "dismissed"},
                           headers=api_headers(client, "tenderer"))
    assert answered.status_code == 200, answered.get_json()
    clock.freeze(local(2026, 3, 28, 0, 0))
    late = _file(client, tender, "bidder", kind="complaint", challenge_id=challenge)
    assert late.status_code == 409 and late.get_json()["code"] == "too_late"
    assert "2026-03-27" in late.get_json()["message"] and "第55条" in late.get_json()["message"]
    assert late.get_json()["field"] == "challenge_id"
    clock.freeze(local(2026, 3, 27, 23, 59, 59))
    assert _file(client, tender, "bidder", kind="complaint", challenge_id=challenge).status_code == 201
