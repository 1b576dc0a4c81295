"""The evaluation room through the real HTTP stack (pages and plain forms, zh and en): a member marks and asks,
a bidder answers its own questions, staff and supervisors read, and nobody else sees a question, an answer or
a review row."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from bidding.evaluation.models import BidClarification, ReviewMark
from tests.conftest import login
from trading.clock import local_tz, now

SECRET_Q = "请说明项目经理证书编号-QX7"
SECRET_A = "证书编号见投标文件第二卷-AX7"
SECRET_R = "资质证书已过期-RX7"


def _page(client, trade, who, lang="zh_CN"):
    client.post("/logout")
    if who != "anonymous":
        login(client, who)
    return client.get(f"/bidding/trades/{trade.id}/evaluation?lang={lang}")


def _local(moment) -> str:
    return moment.astimezone(local_tz()).strftime("%Y-%m-%dT%H:%M")


def _post(client, trade, tail, data):
    return client.post(f"/bidding/trades/{trade.id}/evaluation{tail}", data=data)


def test_a_member_marks_through_the_grid_form_and_a_fail_needs_its_reason(db, client, room):
    trade, entry = room["trade"], room["entries"]["bidder_b"]
    page = _page(client, trade, "expert")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "评标室" in html and "资格审查" in html and "实施条例 第51条第（一）项" in html
    assert "bidder_b 建设有限公司" in html and f'id="bid-{entry.id}"' in html and "marks-form" in html
    assert "<script" not in html.split("<main", 1)[-1]  # plain forms
    refused = _post(client, trade, "/marks", {"entry_id": entry.id, "pass-Q2": "0", "reason-Q2": " ", "pass-Q1": "1"})
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert f'id="mark-{entry.id}-Q2-error"' in body and "第51条" in body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReviewMark)) == 0  # all or nothing
    saved = _post(client, trade, "/marks", {"entry_id": entry.id, "pass-Q2": "0", "reason-Q2": SECRET_R,
                                           "pass-Q1": "1", "reason-Q1": ""})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"#bid-{entry.id}")
    again = _page(client, trade, "expert").get_data(as_text=True)
    assert f'value="{SECRET_R}"' in again  # the member's own mark fills the form
    # the English page
    en = _page(client, trade, "expert", "en").get_data(as_text=True)
    assert "Evaluation room" in en and "Regulation Art. 51 (1)" in en and "评标室" not in en


def test_staff_and_supervisors_read_every_mark_and_cannot_mark(db, client, room):
    trade, entry = room["trade"], room["entries"]["bidder_b"]
    login(client, "expert2")
    assert _post(client, trade, "/marks", {"entry_id": entry.id, "pass-C3": "0", "reason-C3": SECRET_R}).status_code == 302
    for who in ("staff", "supervisor"):
        page = _page(client, trade, who)
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and SECRET_R in html and "Expert2" in html, who
        assert "marks-form" not in html and 'id="ask-form"' not in html, who
        assert _post(client, trade, "/marks", {"entry_id": entry.id, "pass-C3": "1"}).status_code == 403, who
    # one member does not read another's mark before the committee concludes
    assert SECRET_R not in _page(client, trade, "expert").get_data(as_text=True)


def test_ask_answer_and_refuse_through_the_forms(db, client, room, clock):
    trade, entry = room["trade"], room["entries"]["bidder_b"]
    login(client, "expert")
    past = _post(client, trade, "/clarifications", {"entry_id": entry.id, "question": SECRET_Q,
                                                   "deadline": _local(now() - timedelta(hours=1))})
    assert past.status_code == 422 and 'id="deadline-error"' in past.get_data(as_text=True)
    assert SECRET_Q in past.get_data(as_text=True)  # the question typed is kept in the form
    asked = _post(client, trade, "/clarifications", {"entry_id": entry.id, "question": SECRET_Q,
                                                    "deadline": _local(now() + timedelta(hours=3))})
    assert asked.status_code == 302
    row = db.session.scalar(sa.select(BidClarification))
    # the bidder asked reads it and has an answer form without a price
    page = _page(client, trade, "bidder_b")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and SECRET_Q in html and f'id="answer-{row.id}"' in html
    assert 'name="price"' not in html and "Expert" not in html  # no price field; the committee unnamed
    answered = _post(client, trade, f"/clarifications/{row.id}/answer", {"answer": SECRET_A})
    assert answered.status_code == 302
    twice = client.post(f"/bidding/trades/{trade.id}/evaluation/clarifications/{row.id}/answer",
                        data={"answer": "again"}, follow_redirects=True)
    assert "该问题已答复" in twice.get_data(as_text=True)
    # a member refuses the answer as changing the substance
    _page(client, trade, "expert2")
    assert _post(client, trade, f"/clarifications/{row.id}/refuse", {"reason": "改变了项目经理人选"}).status_code == 302
    assert "改变了项目经理人选" in _page(client, trade, "bidder_b").get_data(as_text=True)


def test_a_late_answer_through_the_form_is_refused_with_a_clear_message(db, client, room, clock):
    trade, entry = room["trade"], room["entries"]["bidder_c"]
    login(client, "expert")
    assert _post(client, trade, "/clarifications", {"entry_id": entry.id, "question": "工期？",
                                                   "deadline": _local(now() + timedelta(hours=1))}).status_code == 302
    row = db.session.scalar(sa.select(BidClarification))
    clock.advance(timedelta(hours=1, minutes=1))
    _page(client, trade, "bidder_c", "en")
    late = client.post(f"/bidding/trades/{trade.id}/evaluation/clarifications/{row.id}/answer?lang=en",
                       data={"answer": "360天"}, follow_redirects=True)
    assert "a late answer is not accepted" in late.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(BidClarification, row.id).answer is None


def test_nobody_else_sees_a_question_an_answer_or_a_review_row(db, client, room):
    trade, entry = room["trade"], room["entries"]["bidder_b"]
    login(client, "expert")
    _post(client, trade, "/marks", {"entry_id": entry.id, "pass-C3": "0", "reason-C3": SECRET_R})
    _post(client, trade, "/clarifications", {"entry_id": entry.id, "question": SECRET_Q,
                                            "deadline": _local(now() + timedelta(hours=3))})
    row = db.session.scalar(sa.select(BidClarification))
    _page(client, trade, "bidder_b")
    _post(client, trade, f"/clarifications/{row.id}/answer", {"answer": SECRET_A})
    # another opened bidder: its room, without the others' questions or any review row
    other = _page(client, trade, "bidder")
    html = other.get_data(as_text=True)
    assert other.status_code == 200
    assert SECRET_Q not in html and SECRET_A not in html and SECRET_R not in html and 'id="review"' not in html
    for who in ("public", "tenderer", "bidder_d", "decider", "staff_proc"):
        page = _page(client, trade, who)
        text = page.get_data(as_text=True)
        assert page.status_code == 403 and SECRET_Q not in text and SECRET_R not in text, who
    anonymous = _page(client, trade, "anonymous")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    # a bidder cannot answer another bidder's question, nor mark or ask
    _page(client, trade, "bidder")
    assert _post(client, trade, f"/clarifications/{row.id}/answer", {"answer": "x"}).status_code == 403
    assert _post(client, trade, "/marks", {"entry_id": entry.id, "pass-C3": "1"}).status_code == 403
    assert _post(client, trade, "/clarifications", {"entry_id": entry.id, "question": "x",
                                                   "deadline": _local(now() + timedelta(hours=3))}).status_code == 403
    # the portal's public trade page says nothing of them either
    client.post("/logout")
    public = client.get(f"/trades/{trade.ref}").get_data(as_text=True)
    assert SECRET_Q not in public and SECRET_R not in public


def test_the_workspace_leads_members_and_the_bidder_asked_to_the_room(db, client, room):
    trade, entry = room["trade"], room["entries"]["bidder_b"]
    url = f"/bidding/trades/{trade.id}/evaluation"
    client.post("/logout")
    login(client, "expert3")
    assert url in client.get("/workspace/").get_data(as_text=True)
    _post(client, trade, "/clarifications", {"entry_id": entry.id, "question": SECRET_Q,
                                            "deadline": _local(now() + timedelta(hours=3))})
    client.post("/logout")
    login(client, "bidder_b")
    assert url in client.get("/workspace/").get_data(as_text=True)
    client.post("/logout")
    login(client, "bidder")
    assert url not in client.get("/workspace/").get_data(as_text=True)
    client.post("/logout")
    login(client, "staff")
    assert url in client.get(f"/workspace/trades/{trade.id}").get_data(as_text=True)
