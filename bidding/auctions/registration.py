"""Registration to bid (竞买申请): a company applies with its qualification documents while the sale is
announced or listing; the staff confirm its deposit against the payment reference (the paying account
is recorded, bidding.deposits) and qualify it, drawing its paddle number (竞买号牌), or refuse it with a
reason; the company may withdraw until it is qualified. Who applied is known to the centre's staff and
the company itself only (the audit log pseudonymises the registrations).
"""
from __future__ import annotations

import secrets
from typing import BinaryIO

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from bidding.auctions.models import MAX_TEXT, Registration, RegistrationDocument, RegistrationStatus
from bidding.auctions.signals import registration_changed
from bidding.deposits.models import BidDeposit
from bidding.deposits.services import record_deposit
from trading.blobs import BlobRefused, blob_store
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput, NotAllowed
from trading.extensions import db
from trading.notices.services import ALLOWED_TYPES, SAFE_NAME
from trading.permissions import require
from trading import texts
from trading.texts import N_
from trading.trades.flows import TradeState
from trading.trades.models import Trade

#: a qualification document's size (bytes) and how many a registration holds
MAX_DOCUMENT = 20 * 1024 * 1024
MAX_DOCUMENTS = 20
MAX_REFERENCE = 64


def registration_of(trade: Trade, organisation_id: int) -> Registration | None:
    return db.session.scalar(sa.select(Registration).where(Registration.trade_id == trade.id,
                                                           Registration.organisation_id == organisation_id))


def registration_on(trade: Trade, registration_id: int) -> Registration | None:
    """One of the trade's registrations, or None (also when the id belongs to another trade)."""
    reg = db.session.get(Registration, registration_id)
    return reg if reg is not None and reg.trade_id == trade.id else None


def registrations(trade: Trade) -> list[Registration]:
    """Every registration of the trade (the staff's list), oldest first."""
    return list(db.session.scalars(sa.select(Registration).where(Registration.trade_id == trade.id)
                                   .order_by(Registration.applied_at, Registration.id)))


def _open_for_registration(trade: Trade) -> None:
    at = now()
    if trade.state not in (TradeState.ANNOUNCED, TradeState.LISTING) or (
            trade.bid_deadline is not None and at >= trade.bid_deadline):
        raise IllegalMove(_("Registration is open only while the sale is announced or listing, until its "
                            "deadline."), code="registration_closed")


def register(actor, trade: Trade) -> Registration:
    """The actor's company applies to bid (documents are added to the registration afterwards). A company
    that withdrew or was refused may apply again: its registration opens anew."""
    require("auctions.register", trade, user=actor)
    _open_for_registration(trade)
    reg = registration_of(trade, actor.organisation_id)
    if reg is not None and reg.status in (RegistrationStatus.APPLIED, RegistrationStatus.QUALIFIED):
        raise InvalidInput({"organisation_id": [_("your company has already applied")]})
    if reg is None:
        reg = Registration(trade_id=trade.id, organisation_id=actor.organisation_id, applicant_id=actor.id,
                           applied_at=now())
        db.session.add(reg)
    else:
        reg.status, reg.applicant_id, reg.applied_at = RegistrationStatus.APPLIED, actor.id, now()
        reg.decided_by_id = reg.decided_at = reg.reason = None
    db.session.flush()
    registration_changed.send(trade, registration=reg, actor=actor, what="applied")
    return reg


def _own(actor, reg: Registration) -> None:
    if not (getattr(actor, "is_authenticated", False) and actor.organisation_id == reg.organisation_id):
        raise NotAllowed(_("Only the applying company may do this."))


def add_document(actor, reg: Registration, filename: str, content_type: str, stream: BinaryIO) -> RegistrationDocument:
    """A qualification document (licence, authorisation, financial statement...) into the blob store, while
    the registration waits for the staff's decision."""
    require("auctions.register", reg.trade, user=actor)
    _own(actor, reg)
    _open_for_registration(reg.trade)
    if reg.status is not RegistrationStatus.APPLIED:
        raise IllegalMove(_("Documents can be added only while the registration waits for a decision."),
                          code="already_decided")
    if len(reg.documents) >= MAX_DOCUMENTS:
        raise InvalidInput({"file": [_("at most %(n)d documents", n=MAX_DOCUMENTS)]})
    name = SAFE_NAME.sub("_", (filename or "").strip()).strip("._ ")[:200]
    if not name:
        raise InvalidInput({"file": [_("the file needs a name")]})
    content_type = (content_type or "application/octet-stream").split(";")[0].strip().lower()
    if content_type not in ALLOWED_TYPES | {"image/png", "image/jpeg"}:
        raise InvalidInput({"file": [_("file type %(t)s is not accepted (PDF, Word, Excel, ZIP, text, PNG, JPEG)",
                                       t=content_type)]})
    limit = min(MAX_DOCUMENT, int(current_app.config.get("MAX_CONTENT_LENGTH") or MAX_DOCUMENT))
    try:
        digest, size = blob_store().put(stream, max_size=limit, min_size=1)
    except BlobRefused as exc:
        if exc.reason == "empty":
            raise InvalidInput({"file": [_("the file is empty")]}) from None
        raise InvalidInput({"file": [_("the file is larger than %(n)d MB", n=limit // (1024 * 1024))]}) from None
    doc = RegistrationDocument(registration_id=reg.id, filename=name, content_type=content_type, sha256=digest,
                               size=size, uploaded_at=now())
    reg.documents.append(doc)
    db.session.flush()
    registration_changed.send(reg.trade, registration=reg, actor=actor, what="document")
    return doc


def document_of(reg: Registration, document_id: int) -> RegistrationDocument | None:
    return next((d for d in reg.documents if d.id == document_id), None)


def stored_documents() -> list[str]:
    """Digests of the qualification documents (the blob sweep spares them)."""
    return list(db.session.scalars(sa.select(RegistrationDocument.sha256).distinct()))


def withdraw(actor, reg: Registration) -> Registration:
    """The company withdraws its application; once qualified it holds a paddle and stays."""
    _own(actor, reg)
    if reg.status is not RegistrationStatus.APPLIED:
        raise IllegalMove(_("Only an application still waiting for a decision can be withdrawn."),
                          code="already_decided")
    reg.status = RegistrationStatus.WITHDRAWN
    reg.decided_at = now()
    db.session.flush()
    registration_changed.send(reg.trade, registration=reg, actor=actor, what="withdrawn")
    return reg


def refuse(actor, reg: Registration, reason: str) -> Registration:
    """The staff refuse an application, saying why (the company reads the reason)."""
    require("auctions.manage", reg.trade, user=actor)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": [_("say why the application is refused")]})
    if len(reason) > MAX_TEXT:
        raise InvalidInput({"reason": [_("at most %(n)d characters", n=MAX_TEXT)]})
    if reg.status is not RegistrationStatus.APPLIED:
        raise IllegalMove(_("This registration is already decided."), code="already_decided")
    reg.status = RegistrationStatus.REFUSED
    reg.reason, reg.decided_by_id, reg.decided_at = reason, actor.id, now()
    db.session.flush()
    _tell_applicant(reg, texts.message(N_("Your application to bid on %(ref)s is refused"), ref=reg.trade.ref),
                    texts.message(N_("The centre refused your application to bid on %(ref)s (%(title)s). "
                                     "Reason: %(reason)s"), ref=reg.trade.ref, title=reg.trade.title,
                                  reason=texts.typed(reason)))
    registration_changed.send(reg.trade, registration=reg, actor=actor, what="refused")
    return reg


def _free_paddle(trade: Trade) -> int:
    taken = set(db.session.scalars(sa.select(Registration.paddle).where(
        Registration.trade_id == trade.id, Registration.paddle.is_not(None))))
    free = [n for n in range(1, max(100, 2 * len(taken) + 10)) if n not in taken]
    return free[secrets.randbelow(len(free))]


def qualify(actor, registration: Registration, deposit: BidDeposit) -> Registration:
    """Staff found the documents in order and the deposit paid in full (bidding.deposits records it with the
    paying account): the registrant gets a paddle number and may quote."""
    trade = registration.trade
    require("auctions.manage", trade, user=actor)
    if deposit.trade_id != trade.id or deposit.organisation_id != registration.organisation_id:
        raise InvalidInput({"deposit_id": [_("the deposit must be this company's on this trade")]})
    if trade.bid_security is not None and deposit.amount < trade.bid_security:
        raise InvalidInput({"deposit_id": [_("the deposit must be paid in full (%(n)s)", n=trade.bid_security)]})
    if deposit.settled_at is not None:
        raise InvalidInput({"deposit_id": [_("this deposit is already refunded or retained")]})
    if registration.status is not RegistrationStatus.APPLIED:
        raise IllegalMove(_("This registration is already decided."), code="already_decided")
    _open_for_registration(trade)
    registration.status = RegistrationStatus.QUALIFIED
    registration.deposit_id = deposit.id
    registration.decided_by_id = actor.id
    registration.decided_at = now()
    registration.paddle = _free_paddle(trade)
    db.session.flush()
    _tell_applicant(registration,
                    texts.message(N_("You may bid on %(ref)s: paddle number %(paddle)d"), ref=trade.ref,
                                  paddle=registration.paddle),
                    texts.message(N_("The centre confirmed your deposit and qualified your application to bid on "
                                     "%(ref)s (%(title)s). Your paddle number is %(paddle)d."), ref=trade.ref,
                                  title=trade.title, paddle=registration.paddle))
    registration_changed.send(trade, registration=registration, actor=actor, what="qualified")
    return registration


def _tell_applicant(registration: Registration, subject: dict, body: dict) -> None:
    """The decision reaches the person who applied: in the app, and by e-mail when they left an address,
    each in their own language (the mail is queued in this transaction: no decision, no mail)."""
    from flask_babel import force_locale

    from trading.mail import services as outbox
    from trading.notices.models import Notification

    person = registration.applicant
    locale = person.locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")
    with force_locale(locale):
        shown_subject, shown_body = texts.render(subject), texts.render(body)
    db.session.add(Notification(user_id=person.id, trade_id=registration.trade_id, kind="registration",
                                subject=shown_subject[:250], body=shown_body,
                                message={"subject": subject, "body": body}))
    if person.email:
        outbox.queue(person.email, shown_subject, shown_body, locale=locale, user_id=person.id)


def confirm_and_qualify(actor, registration: Registration, payment_reference: str, payer_account: str,
                        paid_at=None) -> Registration:
    """The staff match the bank's payment (its reference and the paying account) to the application: the
    deposit is recorded at the amount the sale asks (or the one already recorded is used) and the
    registrant qualified."""
    trade = registration.trade
    require("auctions.manage", trade, user=actor)
    errors: dict[str, list[str]] = {}
    reference = " ".join((payment_reference or "").split())
    account = " ".join((payer_account or "").split())
    if not reference:
        errors["payment_reference"] = [_("give the bank's reference of the payment")]
    elif len(reference) > MAX_REFERENCE:
        errors["payment_reference"] = [_("at most %(n)d characters", n=MAX_REFERENCE)]
    if not account:
        errors["payer_account"] = [_("give the account the deposit was paid from")]
    if errors:
        raise InvalidInput(errors)
    if registration.status is not RegistrationStatus.APPLIED:
        raise IllegalMove(_("This registration is already decided."), code="already_decided")
    deposit = db.session.scalar(sa.select(BidDeposit).where(BidDeposit.trade_id == trade.id,
                                                            BidDeposit.organisation_id == registration.organisation_id))
    if deposit is None:
        if trade.bid_security is None:
            raise InvalidInput({"payment_reference": [_("the sale asks no deposit")]})
        deposit = record_deposit(actor, trade, registration.organisation_id, trade.bid_security, paid_at,
                                 note=_("payment reference %(ref)s", ref=reference), payer_account=account)
    return qualify(actor, registration, deposit)


def bidders(trade: Trade) -> list[Registration]:
    """Registrations that may bid: qualified with a confirmed deposit, by paddle number."""
    return list(db.session.scalars(sa.select(Registration).where(
        Registration.trade_id == trade.id, Registration.status == RegistrationStatus.QUALIFIED,
        Registration.deposit_id.is_not(None)).order_by(Registration.paddle)))


def counts(trade: Trade) -> dict[str, int]:
    """How many registrations are in each status: what everyone may know before the deal."""
    rows = db.session.execute(sa.select(Registration.status, sa.func.count()).where(
        Registration.trade_id == trade.id).group_by(Registration.status))
    out = {s.value: 0 for s in RegistrationStatus}
    out.update({status.value: n for status, n in rows})
    return out
