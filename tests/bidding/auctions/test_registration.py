"""Registration (竞买申请): applying until the deadline, qualification documents in the blob store, the
deposit confirmed against its payment reference with the paying account, a paddle drawn, a refusal with
its reason, and withdrawal before qualification."""
from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest

from bidding.auctions import registration as registration_module, services as auctions
from bidding.auctions.models import RegistrationStatus
from tests.bidding.auctions.conftest import DEPOSIT, ISSUE, LISTING_CLOSE, STARTING_PRICE
from trading.blobs import blob_store
from trading.errors import IllegalMove, InvalidInput, NotAllowed


def _pdf(data: bytes = b"%PDF-1.4 business licence") -> io.BytesIO:
    return io.BytesIO(data)


def test_registration_closes_at_the_deadline(db, land_sale, land, clock):
    clock.freeze(LISTING_CLOSE - timedelta(seconds=1))
    assert auctions.register(land["buyer1"], land_sale).status is RegistrationStatus.APPLIED
    clock.freeze(LISTING_CLOSE)
    with pytest.raises(IllegalMove) as exc:
        auctions.register(land["buyer2"], land_sale)
    assert exc.value.code == "registration_closed"


def test_the_seller_and_the_staff_do_not_register(db, land_sale, land, clock):
    clock.freeze(ISSUE)
    for who in ("seller", "staff", "supervisor"):
        with pytest.raises(NotAllowed):
            auctions.register(land[who], land_sale)


def test_documents_go_to_the_blob_store_bounded(db, app, land_sale, land, clock, monkeypatch):
    clock.freeze(ISSUE)
    reg = auctions.register(land["buyer1"], land_sale)
    doc = auctions.add_document(land["buyer1"], reg, "营业执照.pdf", "application/pdf", _pdf())
    with blob_store().open(doc.sha256) as stored:
        assert stored.read() == b"%PDF-1.4 business licence"
    assert (doc.filename, doc.size) == ("营业执照.pdf", len(b"%PDF-1.4 business licence"))
    assert doc.sha256 in auctions.stored_documents()
    with pytest.raises(InvalidInput) as exc:
        auctions.add_document(land["buyer1"], reg, "x.exe", "application/x-msdownload", _pdf())
    assert "file" in exc.value.errors
    with pytest.raises(InvalidInput):
        auctions.add_document(land["buyer1"], reg, "empty.pdf", "application/pdf", _pdf(b""))
    monkeypatch.setattr(registration_module, "MAX_DOCUMENT", 10)
    with pytest.raises(InvalidInput) as exc:
        auctions.add_document(land["buyer1"], reg, "big.pdf", "application/pdf", _pdf(b"x" * 11))
    assert "file" in exc.value.errors
    with pytest.raises(NotAllowed):  # another company cannot add to this one's application
        auctions.add_document(land["buyer2"], reg, "a.pdf", "application/pdf", _pdf())
    assert [d.filename for d in reg.documents] == ["营业执照.pdf"]


def test_staff_confirm_the_deposit_against_the_payment_and_draw_a_paddle(db, land_sale, land, clock):
    clock.freeze(ISSUE)
    reg = auctions.register(land["buyer1"], land_sale)
    with pytest.raises(InvalidInput) as exc:
        auctions.confirm_and_qualify(land["staff"], reg, " ", "")
    assert set(exc.value.errors) == {"payment_reference", "payer_account"}
    with pytest.raises(NotAllowed):
        auctions.confirm_and_qualify(land["supervisor"], reg, "BOC20260303001", "6222 0210 0001")
    auctions.confirm_and_qualify(land["staff"], reg, "BOC20260303001", "6222  0210 0001")
    assert reg.status is RegistrationStatus.QUALIFIED and reg.may_bid and reg.paddle >= 1
    assert (reg.deposit.amount, reg.deposit.payer_account) == (DEPOSIT, "6222 0210 0001")
    assert "BOC20260303001" in reg.deposit.note
    assert auctions.bidders(land_sale) == [reg]
    with pytest.raises(IllegalMove):
        auctions.withdraw(land["buyer1"], reg)  # qualified: holds a paddle and stays


def test_a_deposit_short_of_the_sum_does_not_qualify(db, land_sale, land, clock):
    from bidding.deposits.services import record_deposit

    clock.freeze(ISSUE)
    reg = auctions.register(land["buyer1"], land_sale)
    short = record_deposit(land["staff"], land_sale, land["buyer1"].organisation_id, DEPOSIT - Decimal("0.01"),
                           payer_account="6222")
    with pytest.raises(InvalidInput) as exc:
        auctions.qualify(land["staff"], reg, short)
    assert "deposit_id" in exc.value.errors and reg.status is RegistrationStatus.APPLIED


def test_refusal_needs_a_reason_and_bars_quoting(db, land_sale, land, clock):
    clock.freeze(ISSUE)
    reg = auctions.register(land["buyer1"], land_sale)
    with pytest.raises(InvalidInput) as exc:
        auctions.refuse(land["staff"], reg, "")
    assert "reason" in exc.value.errors
    auctions.refuse(land["staff"], reg, "营业执照已过期")
    assert (reg.status, reg.reason) == (RegistrationStatus.REFUSED, "营业执照已过期")
    with pytest.raises(IllegalMove):
        auctions.confirm_and_qualify(land["staff"], reg, "REF", "6222")
    clock.freeze(land_sale.listing_from)
    with pytest.raises(IllegalMove) as exc:
        auctions.quote(land["buyer1"], land_sale, STARTING_PRICE)
    assert exc.value.code == "not_qualified"


def test_withdraw_before_qualification_then_apply_again(db, land_sale, land, clock):
    clock.freeze(ISSUE)
    reg = auctions.register(land["buyer1"], land_sale)
    with pytest.raises(NotAllowed):
        auctions.withdraw(land["buyer2"], reg)
    auctions.withdraw(land["buyer1"], reg)
    assert reg.status is RegistrationStatus.WITHDRAWN
    with pytest.raises(IllegalMove):
        auctions.add_document(land["buyer1"], reg, "a.pdf", "application/pdf", _pdf())
    again = auctions.register(land["buyer1"], land_sale)
    assert again.id == reg.id and again.status is RegistrationStatus.APPLIED and again.decided_at is None
    assert auctions.counts(land_sale)["applied"] == 1


def test_the_applicant_is_told_the_decision_in_the_app_and_by_mail_in_their_language(db, land_sale, land, clock):
    """Qualified or refused, the person who applied reads it in the app and gets an e-mail in their own
    language; nobody else is told (the staff's decision is theirs to read)."""
    import sqlalchemy as sa
    from flask_babel import force_locale

    from trading.mail.models import OutboxMail
    from trading.notices.models import Notification

    clock.freeze(ISSUE)
    land["buyer1"].email, land["buyer1"].locale = "buyer1@example.com", "en"
    land["buyer2"].email, land["buyer2"].locale = "buyer2@example.com", "zh_CN"
    first = auctions.register(land["buyer1"], land_sale)
    second = auctions.register(land["buyer2"], land_sale)
    auctions.confirm_and_qualify(land["staff"], first, "BOC20260303001", "6222 0210 0001")
    auctions.refuse(land["staff"], second, "营业执照已过期")
    db.session.commit()

    told = {n.user_id: n for n in db.session.scalars(sa.select(Notification).where(
        Notification.kind == "registration"))}
    assert set(told) == {land["buyer1"].id, land["buyer2"].id}
    mails = {m.to_addr: m for m in db.session.scalars(sa.select(OutboxMail))}
    assert set(mails) == {"buyer1@example.com", "buyer2@example.com"}
    english, chinese = mails["buyer1@example.com"], mails["buyer2@example.com"]
    assert english.locale == "en" and f"paddle number {first.paddle}" in english.subject
    assert land_sale.ref in english.subject
    assert chinese.locale == "zh_CN" and "营业执照已过期" in chinese.body
    assert "refused" not in chinese.subject and "refused" not in chinese.body  # read in Chinese
    # rendered again when read: the English reader switching to Chinese reads the notice in Chinese
    with force_locale("zh_CN"):
        subject, _body = told[land["buyer1"].id].shown()
    assert str(first.paddle) in subject and "paddle" not in subject
