"""Candidates and their publicity, objections (Reg 54) and complaints (Reg 60-61), each limit at its
boundary on a frozen clock."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from bidding.award import services as award
from bidding.award.models import ComplaintState
from bidding.custody.models import ComplaintReview
from bidding.scoring.services import final_ranking
from tests.bidding.award.helpers import (FOUR, PUBLICITY_ENDS, PUBLICIZED, bidders, cards, check, evaluating,  # noqa: F401
                                         local, publicity, sealed_trade)
from trading.errors import IllegalMove, InvalidInput, NotAllowed
from trading.notices.models import Notice, NoticeKind
from trading.trades import services as trades
from trading.trades.flows import TradeState
from trading.trades.reserved import ReservedMove

SECOND = timedelta(seconds=1)


def test_publicize_publishes_the_first_three_of_the_final_ranking(db, publicity, bidders):
    lst = award.current_list(publicity)
    ranking = final_ranking(publicity)
    assert len(ranking) == 4
    assert [(c.rank, c.organisation_id, c.price) for c in lst.candidates] == \
        [(r.rank, r.organisation_id, r.price) for r in ranking[:3]]
    assert lst.published_at == PUBLICIZED and lst.publicity_ends == PUBLICITY_ENDS
    notice = db.session.get(Notice, lst.notice_id)
    assert notice.kind is NoticeKind.CANDIDATES
    for c in lst.candidates:
        assert c.organisation.name in notice.body and f"{c.price:,.2f}" in notice.body
    fourth = db.session.get(type(lst.candidates[0].organisation), ranking[3].organisation_id)
    assert fourth.name not in notice.body  # only the candidates are published
    assert bidders["expert"].display_name not in notice.body


def test_paper_trade_publicizes_without_candidates(db, users, make_trade, clock):
    """No ranking on the platform (bids on paper): the move is made, nothing is invented."""
    from tests.conftest import START, tender_timeline

    trade = make_trade(**tender_timeline(START))
    for name, who in (("submit", "staff"), ("approve", "decider"), ("publish", "staff")):
        trades.move(trade, name, users[who])
    clock.freeze(trade.bid_deadline)
    for name in ("close", "start_opening", "finish_opening", "start_evaluation", "publicize"):
        trades.move(trade, name, users["staff"])
    assert award.current_list(trade) is None
    trades.move(trade, "award", users["staff"])  # the generic move stays free where nothing was published here
    assert trade.state is TradeState.AWARDED


def test_objection_on_the_last_instant_suspends_one_after_is_refused(db, publicity, bidders, clock):
    clock.freeze(PUBLICITY_ENDS - SECOND)
    objection = award.raise_objection(bidders["bidder_d"], publicity, "第一名业绩证明不实")
    db.session.commit()
    assert objection.standing == "bidder" and publicity.state is TradeState.SUSPENDED
    assert publicity.history[-1].move == "pause_for_objection"
    # a second objection while suspended: recorded, no second pause
    award.raise_objection(bidders["public"], publicity, "第二名项目经理在建项目未完")
    assert [o.standing for o in award.objections(publicity)] == ["bidder", "interested"]
    clock.freeze(PUBLICITY_ENDS)
    with pytest.raises(IllegalMove) as refused:
        award.raise_objection(bidders["bidder_c"], publicity, "迟到的异议")
    assert refused.value.code == "publicity_over"


def test_who_may_object(db, publicity, bidders):
    for who in ("staff", "tenderer", "supervisor", "decider", "expert"):
        with pytest.raises(NotAllowed):
            award.raise_objection(bidders[who], publicity, "异议")
    with pytest.raises(InvalidInput) as empty:
        award.raise_objection(bidders["bidder"], publicity, "   ")
    assert "text" in empty.value.errors
    assert publicity.state is TradeState.PUBLICITY


def test_suspended_until_every_objection_is_answered(db, publicity, bidders, clock):
    clock.freeze(PUBLICIZED + timedelta(hours=1))
    first = award.raise_objection(bidders["bidder_d"], publicity, "异议一")
    second = award.raise_objection(bidders["bidder_c"], publicity, "异议二")
    clock.freeze(PUBLICITY_ENDS + timedelta(hours=1))  # publicity over: still no award while one is open
    with pytest.raises(IllegalMove) as refused:
        award.award(bidders["staff"], publicity)
    assert refused.value.code == "objection_open"
    with pytest.raises(ReservedMove):  # the generic resume is not the answer
        trades.move(publicity, "resume", bidders["staff"], reason="继续")
    with pytest.raises(NotAllowed):
        award.answer_objection(bidders["bidder"], first, "答复", False)
    with pytest.raises(InvalidInput) as missing:
        award.answer_objection(bidders["tenderer"], first, "答复", None)
    assert "upheld" in missing.value.errors
    award.answer_objection(bidders["tenderer"], first, "经核查，业绩真实", False)
    assert publicity.state is TradeState.SUSPENDED  # one is still open
    award.answer_objection(bidders["staff"], second, "经核查，不影响中标结果", False)
    assert publicity.state is TradeState.PUBLICITY
    assert [t.move for t in publicity.history[-3:]] == ["publicize", "pause_for_objection", "resume_after_objection"]
    with pytest.raises(IllegalMove):
        award.answer_objection(bidders["tenderer"], first, "again", True)


def test_objection_answer_cards_at_its_boundary(db, publicity, bidders, clock):
    raised = local(2026, 3, 28, 10, 0)  # Saturday: 29, 30, 31 March count; due at midnight before 1 April
    due = local(2026, 4, 1, 0, 0)
    clock.freeze(raised)
    objection = award.raise_objection(bidders["bidder_d"], publicity, "异议")
    db.session.commit()
    assert objection.answer_due == due
    norm = "works.objection_answered"
    check(db, publicity, due - timedelta(days=1) - SECOND)
    assert cards(db, publicity, norm) == []
    check(db, publicity, due - timedelta(days=1))
    (card,) = cards(db, publicity, norm)
    assert card.level.value == "yellow" and card.subject == f"objection:{objection.id}"
    check(db, publicity, due - SECOND)
    assert cards(db, publicity, norm)[0].level.value == "yellow"
    check(db, publicity, due)
    assert cards(db, publicity, norm)[0].level.value == "red"


def test_objection_answered_on_the_last_instant_is_in_time(db, publicity, bidders, clock):
    clock.freeze(local(2026, 3, 28, 10, 0))
    objection = award.raise_objection(bidders["bidder_d"], publicity, "异议")
    clock.freeze(objection.answer_due - SECOND)
    award.answer_objection(bidders["tenderer"], objection, "答复", False)
    db.session.commit()
    check(db, publicity, objection.answer_due + timedelta(days=2))
    assert all(not c.is_open for c in cards(db, publicity, "works.objection_answered"))


@pytest.mark.parametrize("holiday", [False, True])
def test_complaint_within_ten_days_of_knowing(db, publicity, bidders, clock, holiday):
    """Ten days after Friday 27 March: 28 March .. Monday 6 April; a holiday on the last day moves it."""
    knew = local(2026, 3, 27, 16, 0)
    end = local(2026, 4, 7, 0, 0)
    if holiday:
        from trading.rules.days import CalendarDay, DayKind

        db.session.add(CalendarDay(day=date(2026, 4, 6), kind=DayKind.HOLIDAY, name="清明节"))
        db.session.commit()
        end = local(2026, 4, 8, 0, 0)
    clock.freeze(end)
    with pytest.raises(InvalidInput) as late:
        award.file_complaint(bidders["bidder_d"], publicity, "评标委员会未按招标文件评审", knew)
    assert "knew_at" in late.value.errors
    clock.freeze(end - SECOND)
    complaint = award.file_complaint(bidders["bidder_d"], publicity, "评标委员会未按招标文件评审", knew)
    assert complaint.state is ComplaintState.FILED
    with pytest.raises(InvalidInput) as future:
        award.file_complaint(bidders["bidder_d"], publicity, "x", end + timedelta(days=1))
    assert "knew_at" in future.value.errors


def test_complaint_about_the_candidates_needs_an_objection_first(db, publicity, bidders, clock):
    clock.freeze(PUBLICIZED + timedelta(hours=2))
    with pytest.raises(InvalidInput) as refused:
        award.file_complaint(bidders["bidder_c"], publicity, "候选人资格不符", PUBLICIZED, about="candidates")
    assert "about" in refused.value.errors
    award.raise_objection(bidders["bidder_c"], publicity, "候选人资格不符")
    complaint = award.file_complaint(bidders["bidder_c"], publicity, "候选人资格不符", PUBLICIZED, about="candidates")
    assert complaint.about == "candidates"


def test_complaint_acceptance_and_ruling_cards_and_outcome(db, publicity, bidders, clock):
    filed = local(2026, 3, 27, 16, 0)  # Friday: three working days are 30, 31 March and 1 April
    accept_due = local(2026, 4, 2, 0, 0)
    clock.freeze(filed)
    complaint = award.file_complaint(bidders["bidder_d"], publicity, "评标不公", filed)
    db.session.commit()
    assert complaint.acceptance_due == accept_due
    check(db, publicity, accept_due - SECOND)
    assert [c.level.value for c in cards(db, publicity, "works.complaint_accepted")] == ["yellow"]
    check(db, publicity, accept_due)
    assert [c.level.value for c in cards(db, publicity, "works.complaint_accepted")] == ["red"]
    with pytest.raises(NotAllowed):  # the staff do not handle complaints; the supervisors do
        award.decide_complaint(bidders["staff"], complaint, True)
    award.decide_complaint(bidders["supervisor"], complaint, True)
    db.session.commit()
    review = db.session.get(ComplaintReview, complaint.review_id)
    assert review.supervisor_id == bidders["supervisor"].id and review.complaint_ref == complaint.ref
    assert review.closed_at is None
    ruling_due = complaint.ruling_due
    check(db, publicity, ruling_due - SECOND)
    assert all(c.level.value == "yellow" for c in cards(db, publicity, "works.complaint_ruled"))
    check(db, publicity, ruling_due)
    assert [c.level.value for c in cards(db, publicity, "works.complaint_ruled")] == ["red"]
    award.rule_complaint(bidders["supervisor"], complaint, False, "经调查，评标符合招标文件规定，驳回投诉")
    db.session.commit()
    assert review.closed_at is not None
    notice = db.session.get(Notice, complaint.notice_id)
    assert notice.kind is NoticeKind.COMPLAINT and "驳回投诉" in notice.body and complaint.ref in notice.body


def test_complaint_ruling_thirty_working_days(db, publicity, bidders, clock):
    """Accepted Monday 30 March: thirty working days end with Monday 11 May (no holiday in this calendar)."""
    clock.freeze(local(2026, 3, 30, 9, 0))
    complaint = award.file_complaint(bidders["bidder_d"], publicity, "评标不公", local(2026, 3, 30, 9, 0))
    award.decide_complaint(bidders["supervisor"], complaint, True)
    assert complaint.ruling_due == local(2026, 5, 12, 0, 0)
    assert complaint.acceptance_due == local(2026, 4, 3, 0, 0)  # 31 March, 1 and 2 April


def test_refused_complaint_needs_a_reason_and_is_not_ruled(db, publicity, bidders, clock):
    clock.freeze(PUBLICIZED + timedelta(hours=1))
    complaint = award.file_complaint(bidders["public"], publicity, "投诉", PUBLICIZED)
    with pytest.raises(InvalidInput) as refused:
        award.decide_complaint(bidders["supervisor"], complaint, False, "  ")
    assert "reason" in refused.value.errors
    award.decide_complaint(bidders["supervisor"], complaint, False, "投诉人不是利害关系人")
    assert complaint.state is ComplaintState.REFUSED
    with pytest.raises(IllegalMove):
        award.rule_complaint(bidders["supervisor"], complaint, True, "x")
