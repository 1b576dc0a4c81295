"""During and after the opening: bidders' objections on the spot, the staff's answers, and the
supervisors' signatures on the opening record."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from bidding.ceremony.models import Objection, RecordSignature
from bidding.ceremony.state import _text, ceremony_of, check_signer, record_signed
from trading.accounts import policy
from trading.accounts.models import User
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db, flush_unless_taken
from trading.permissions import require
from trading.signing.services import STATEMENTS, Expected, accept
from trading.trades.models import Trade


def lodge_objection(bidder: User, trade: Trade, text: str) -> Objection:
    """A bidder raises an objection on the spot (Reg 44): from the start of the opening until the
    supervisors sign the record, so that objections to the results themselves are possible."""
    require("ceremony.object", trade, user=bidder)
    ceremony = ceremony_of(trade)
    if ceremony is None or ceremony.started_at is None or ceremony.signatures:
        raise IllegalMove(_("Objections are raised during the opening, until the supervisors sign the record."),
                          code="not_open")
    row = Objection(ceremony=ceremony, organisation_id=bidder.organisation_id, user_id=bidder.id,
                    text=_text(text, "text"), at=now())
    db.session.add(row)
    db.session.flush()
    return row


def answer_objection(staff: User, objection: Objection, text: str) -> Objection:
    """The executing staff answer an objection (once)."""
    require("ceremony.answer", objection.ceremony.trade, user=staff)
    if objection.answered_at is not None:
        raise IllegalMove(_("This objection has already been answered."), code="already_answered")
    objection.answer, objection.answered_by_id, objection.answered_at = _text(text, "text"), staff.id, now()
    db.session.flush()
    return objection


def _record_expectation(actor: User, trade: Trade, dissent: str | None) -> Expected:
    """What a supervisor's signature on the record says: this trade, this record's SHA-256, their dissent."""
    require("ceremony.sign", trade, user=actor)
    ceremony = ceremony_of(trade)
    if ceremony is None or ceremony.record_sha256 is None:
        raise IllegalMove(_("There is no opening record to sign yet."), code="no_record")
    check_signer(actor, trade)  # drawn and serving, or an appointed keyholder; no tie to a bidder now
    dissent = _text(dissent, "dissent", required=False)
    return Expected({"trade": trade.ref, "trade_id": trade.id, "record_sha256": ceremony.record_sha256},
                    "dissent" if dissent else "signed", dissent)


def record_statement(actor: User, params: dict) -> Expected:
    """trading.signing.STATEMENTS["opening-record"]: the statement a supervisor signs for the record."""
    trade = db.session.get(Trade, params.get("trade_id") or 0)
    if trade is None:
        raise InvalidInput({"trade_id": [_("is not a trade")]})
    dissent = None if params.get("decision") == "signed" else params.get("dissent")  # the sign-off page's form
    return _record_expectation(actor, trade, dissent)


STATEMENTS["opening-record"] = record_statement


def sign_record(actor: User, trade: Trade, dissent: str | None = None, statement: str | None = None,
                signature=None) -> RecordSignature:
    """A supervisor signs the record's SHA-256, with their dissent if they have one: with their own key,
    over the statement the platform issued (trading.signing), checked against their published key."""
    expected = _record_expectation(actor, trade, dissent)
    ceremony = ceremony_of(trade)
    policy.join(actor, trade, "supervisor")  # a supervisor tied to a bidder may not sign
    ceremony_id, user_id = ceremony.id, actor.id
    signed_before = lambda: db.session.scalar(sa.select(RecordSignature.id).where(  # noqa: E731
        RecordSignature.ceremony_id == ceremony_id, RecordSignature.user_id == user_id)) is not None
    already = IllegalMove(_("You have already signed this record."), code="already_signed")
    if signed_before():
        raise already
    signed = accept(actor, "opening-record", expected, statement, signature)
    row = RecordSignature(ceremony=ceremony, user_id=actor.id, record_sha256=ceremony.record_sha256,
                          signed_at=now(), dissent=expected.dissent, **signed.as_columns())
    db.session.add(row)
    flush_unless_taken(signed_before, already)  # the same signature sent twice at once: 409, not 500
    record_signed.send(trade, signature=row, actor=actor)
    return row
