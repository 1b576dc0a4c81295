"""The award (Reg 55), its letters and result (Law 45), its report (Law 47), the contract (Law 46, Reg 58)
and the deposit refunds after it (Reg 57), each limit at its boundary on a frozen clock."""
from __future__ import annotations

import io
import shutil
import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from bidding.award import services as award
from bidding.award.letters import render_letter
from bidding.award.models import LetterKind
from bidding.award.services import PassOver
from bidding.deposits.services import deposits_of
from tests.bidding.award.helpers import (PUBLICITY_ENDS, bidders, cards, check, evaluating, local,  # noqa: F401
                                         publicity, sealed_trade)
from trading.blobs import blob_store
from trading.errors import IllegalMove, InvalidInput, NotAllowed
from trading.notices.models import Notice, NoticeKind
from trading.trades import services as trades
from trading.trades.flows import TradeState
from trading.trades.reserved import ReservedMove

SECOND = timedelta(seconds=1)


def _awarded(db, trade, bidders, clock, at=PUBLICITY_ENDS, **kw):
    clock.freeze(at)
    decision = award.award(bidders["staff"], trade, **kw)
    db.session.commit()
    return decision


def test_no_award_before_the_publicity_ends_and_only_by_the_award_procedure(db, publicity, bidders, clock):
    clock.freeze(PUBLICITY_ENDS - SECOND)
    with pytest.raises(IllegalMove) as early:
        award.award(bidders["staff"], publicity)
    assert early.value.code == "publicity_running"
    with pytest.raises(ReservedMove):
        trades.move(publicity, "award", bidders["staff"])
    for who in ("tenderer", "supervisor", "bidder"):
        with pytest.raises(NotAllowed):
            award.award(bidders[who], publicity)
    clock.freeze(PUBLICITY_ENDS)
    decision = award.award(bidders["staff"], publicity)
    first = award.current_list(publicity).candidates[0]
    assert decision.candidate_id == first.id and decision.price == first.price
    assert publicity.state is TradeState.AWARDED


def test_rank_one_wins_unless_passed_over_for_a_recorded_reason(db, publicity, bidders, clock):
    clock.freeze(PUBLICITY_ENDS)
    first, second, third = award.current_list(publicity).candidates
    with pytest.raises(InvalidInput) as refused:
        award.award(bidders["staff"], publicity, winner_id=second.id, reason="价格更优")
    assert "winner_id" in refused.value.errors and "第55条" in refused.value.errors["winner_id"][0]
    with pytest.raises(InvalidInput) as bad_reason:
        award.award(bidders["staff"], publicity, passes=[PassOver(first.id, "dislike", "x")])
    assert "disqualified.0" in bad_reason.value.errors
    with pytest.raises(InvalidInput) as no_note:
        award.award(bidders["staff"], publicity, passes=[PassOver(first.id, "gave_up", " ")])
    assert "disqualified.0.note" in no_note.value.errors
    assert publicity.state is TradeState.PUBLICITY and award.disqualifications(publicity) == []
    decision = award.award(bidders["staff"], publicity,
                           passes=[PassOver(first.id, "gave_up", "第一中标候选人书面声明放弃中标")])
    assert decision.candidate_id == second.id and decision.organisation_id == second.organisation_id
    (d,) = award.disqualifications(publicity)
    assert d.candidate_id == first.id and d.reason.value == "gave_up"
    result = db.session.scalar(sa.select(Notice).where(Notice.trade_id == publicity.id,
                                                       Notice.kind == NoticeKind.RESULT))
    assert second.organisation.name in result.body and "放弃中标" in result.body


def test_every_candidate_passed_over_leaves_no_winner(db, publicity, bidders, clock):
    clock.freeze(PUBLICITY_ENDS)
    passes = [PassOver(c.id, "violation", "查实弄虚作假") for c in award.current_list(publicity).candidates]
    with pytest.raises(IllegalMove) as refused:
        award.award(bidders["staff"], publicity, passes=passes)
    assert refused.value.code == "no_candidate_left"


def _pdftotext(data: bytes, tmp_path) -> str:
    assert shutil.which("pdftotext"), "pdftotext missing: `make test` installs Debian's poppler-utils"
    path = tmp_path / "letter.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_letters_to_the_winner_and_every_other_bidder_and_the_public_result(db, app, publicity, bidders, clock,
                                                                              tmp_path):
    decision = _awarded(db, publicity, bidders, clock)
    letters = {letter.organisation_id: letter for letter in award.letters(publicity)}
    opened = {bidders[w].organisation_id for w in ("bidder", "bidder_b", "bidder_c", "bidder_d")}
    assert set(letters) == opened
    assert [letters[o].kind for o in opened if o == decision.organisation_id] == [LetterKind.AWARD]
    assert all(letters[o].kind is LetterKind.RESULT for o in opened - {decision.organisation_id})
    assert all(letter.issued_at == decision.decided_at for letter in letters.values())
    assert len({letter.id for letter in letters.values()}) == 4
    with app.test_request_context():
        with force_locale("zh_CN"):
            zh = _pdftotext(render_letter(letters[decision.organisation_id]), tmp_path)
        with force_locale("en"):
            en = _pdftotext(render_letter(letters[bidders["bidder_d"].organisation_id]), tmp_path)
    assert "中标通知书" in zh and decision.organisation.name in zh and "4,700,000.50" in zh
    assert "Result notice" in en and decision.organisation.name in en
    result = db.session.scalar(sa.select(Notice).where(Notice.trade_id == publicity.id,
                                                       Notice.kind == NoticeKind.RESULT))
    assert result.published_at == decision.decided_at and decision.organisation.name in result.body


def test_award_report_within_fifteen_days(db, publicity, bidders, clock):
    decision = _awarded(db, publicity, bidders, clock)
    due = local(2026, 4, 16, 0, 0)  # awarded at midnight into 31 March: 1 .. 15 April
    norm = "works.award_report"
    check(db, publicity, due - timedelta(days=3) - SECOND)
    assert cards(db, publicity, norm) == []
    check(db, publicity, due - timedelta(days=3))
    assert [c.level.value for c in cards(db, publicity, norm)] == ["yellow"]
    check(db, publicity, due)
    assert [c.level.value for c in cards(db, publicity, norm)] == ["red"]
    with pytest.raises(NotAllowed):
        award.report_award(bidders["bidder"], publicity, "报告")
    report = award.report_award(bidders["tenderer"], publicity, "招标投标情况书面报告：中标人为……")
    assert report.reported_at == due and award.report_of(publicity) is report
    del decision
    with pytest.raises(IllegalMove):
        award.report_award(bidders["tenderer"], publicity, "again")


def test_award_report_on_the_last_instant_draws_no_card(db, publicity, bidders, clock):
    _awarded(db, publicity, bidders, clock)
    clock.freeze(local(2026, 4, 13, 0, 0) - SECOND)  # before the yellow warning
    award.report_award(bidders["tenderer"], publicity, "书面报告")
    db.session.commit()
    check(db, publicity, local(2026, 5, 1, 0, 0))
    assert cards(db, publicity, "works.award_report") == []


def _contract(db, trade, bidders, amount, bond, signed_on, content=b"%PDF-1.4 signed contract"):
    return award.record_contract(bidders["staff"], trade, amount, bond, signed_on, "合同.pdf", "application/pdf",
                                 io.BytesIO(content))


def test_contract_fields_checked_by_name(db, publicity, bidders, clock):
    decision = _awarded(db, publicity, bidders, clock)
    clock.freeze(decision.decided_at + timedelta(days=10))
    signed = decision.decided_at + timedelta(days=9)
    price = decision.price
    cases = [
        (dict(amount=price + Decimal("0.01"), bond="0"), "amount"),
        (dict(amount="4,700,000", bond="0"), "amount"),
        (dict(amount=price, bond=(price / 10).quantize(Decimal("0.01")) + Decimal("0.01")), "performance_bond"),
        (dict(amount=price, bond="-1"), "performance_bond"),
    ]
    for kw, field in cases:
        with pytest.raises(InvalidInput) as bad:
            _contract(db, publicity, bidders, kw["amount"], kw["bond"], signed)
        assert field in bad.value.errors, (kw, bad.value.errors)
    with pytest.raises(InvalidInput) as future:
        _contract(db, publicity, bidders, price, "0", clock.now() + SECOND)
    assert "signed_on" in future.value.errors
    with pytest.raises(InvalidInput) as no_doc:
        _contract(db, publicity, bidders, price, "0", signed, content=b"")
    assert "document" in no_doc.value.errors
    with pytest.raises(ReservedMove):
        trades.move(publicity, "contract", bidders["staff"])
    assert publicity.state is TradeState.AWARDED
    bond = (price / 10).quantize(Decimal("0.01"))  # exactly ten per cent is allowed
    contract = _contract(db, publicity, bidders, price, bond, signed)
    db.session.commit()
    assert publicity.state is TradeState.CONTRACTED and contract.performance_bond == bond
    with blob_store().open(contract.sha256) as kept:
        assert kept.read() == b"%PDF-1.4 signed contract"
    notice = db.session.get(Notice, contract.notice_id)
    assert notice.kind is NoticeKind.CONTRACT and contract.sha256 in notice.body


def test_contract_within_thirty_days_of_the_award_notice(db, publicity, bidders, clock):
    decision = _awarded(db, publicity, bidders, clock)
    due = local(2026, 5, 1, 0, 0)  # 31 March: 1 .. 30 April
    check(db, publicity, due - SECOND)
    assert [c.level.value for c in cards(db, publicity, "works.contract_in_time")] == ["yellow"]
    check(db, publicity, due)
    assert [c.level.value for c in cards(db, publicity, "works.contract_in_time")] == ["red"]
    _contract(db, publicity, bidders, decision.price, "0", due - timedelta(days=1))
    db.session.commit()
    check(db, publicity, due + timedelta(days=1))
    (card,) = cards(db, publicity, "works.contract_in_time")
    assert card.level.value == "red"  # late stays on record


def test_deposits_refunded_within_five_days_after_the_contract(db, publicity, bidders, clock):
    decision = _awarded(db, publicity, bidders, clock)
    clock.freeze(local(2026, 4, 10, 10, 0))
    with pytest.raises(IllegalMove):
        award.refund_deposits(bidders["staff"], publicity)
    _contract(db, publicity, bidders, decision.price, "0", local(2026, 4, 10, 9, 0))
    db.session.commit()
    due = local(2026, 4, 16, 0, 0)  # contract on 10 April: 11 .. 15 April
    check(db, publicity, due - timedelta(days=1) - SECOND)
    assert cards(db, publicity, "works.deposit_refund") == []
    deposits = deposits_of(publicity)
    clock.freeze(due - SECOND)
    with pytest.raises(NotAllowed):
        award.refund_deposits(bidders["tenderer"], publicity)
    refunded = award.refund_deposits(bidders["staff"], publicity)
    db.session.commit()
    assert {d.id for d in refunded} == {d.id for d in deposits} and len(deposits) == 4
    check(db, publicity, due + timedelta(days=3))
    assert all(not c.is_open or c.level.value == "yellow" for c in cards(db, publicity, "works.deposit_refund"))
    assert all(not c.is_open for c in cards(db, publicity, "works.deposit_refund"))


def test_deposits_refunded_late_are_carded(db, publicity, bidders, clock):
    decision = _awarded(db, publicity, bidders, clock)
    clock.freeze(local(2026, 4, 10, 10, 0))
    _contract(db, publicity, bidders, decision.price, "0", local(2026, 4, 10, 9, 0))
    db.session.commit()
    due = local(2026, 4, 16, 0, 0)
    clock.freeze(due)
    award.refund_deposits(bidders["staff"], publicity)
    db.session.commit()
    check(db, publicity, due + SECOND)
    found = cards(db, publicity, "works.deposit_refund")
    assert len(found) == 4 and all(c.level.value == "red" for c in found)
