"""The supervisors' own signatures on the reserve's opening record (docs/signatures.md, kind "reserve-record").

After the opening (opening.py) the record of the reserve (amount, envelope hash, who released, who opened) is
stored with its SHA-256. Each supervisor who counts for the trade (drawn and serving, or its supervising
keyholder; not tied to a bidder: bidding.ceremony.state.check_signer, as for a tender's opening record) signs
that SHA-256 with their own key, once, with a dissent if they have one. The platform checks the signature
against their published key before it stores it (trading.signing.services.accept); the audit export carries
the row in signatures.jsonl and `python -m monitor.verify` checks it offline.

The deal does not wait for these signatures (the sale is not held up by a supervisor who is slow to sign);
the e-supervision card `land.reserve_record_signed` warns when none came within the opening record's day.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from bidding.auctions.reserve.models import ReserveSignature
from bidding.auctions.reserve.services import opening_of, reserve_record_signed
from bidding.ceremony.state import _text, check_signer, eligible_signer
from trading.accounts import policy
from trading.accounts.models import User
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db, flush_unless_taken
from trading.permissions import require
from trading.signing.services import STATEMENTS, Expected, accept
from trading.trades.models import Trade

KIND = "reserve-record"


def _expectation(actor: User, trade: Trade, dissent: str | None) -> Expected:
    """What a supervisor's signature on the reserve record says: this trade, this record's SHA-256, their dissent."""
    require("reserve.sign", trade, user=actor)
    opening = opening_of(trade)
    if opening is None:
        raise IllegalMove(_("The reserve price has not been opened: there is no record to sign yet."),
                          code="no_record")
    check_signer(actor, trade)  # drawn and serving, or the supervising keyholder; no tie to a bidder now
    dissent = _text(dissent, "dissent", required=False)
    return Expected({"trade": trade.ref, "trade_id": trade.id, "record_sha256": opening.record_sha256},
                    "dissent" if dissent else "signed", dissent)


def reserve_record_statement(actor: User, params: dict) -> Expected:
    """trading.signing.STATEMENTS["reserve-record"]: the statement a supervisor signs for the reserve record."""
    trade = db.session.get(Trade, params.get("trade_id") or 0)
    if trade is None:
        raise InvalidInput({"trade_id": [_("is not a trade")]})
    return _expectation(actor, trade, params.get("dissent"))


STATEMENTS[KIND] = reserve_record_statement


def signatures_of(trade: Trade) -> list[ReserveSignature]:
    return list(db.session.scalars(sa.select(ReserveSignature).where(ReserveSignature.trade_id == trade.id)
                                   .order_by(ReserveSignature.id)))


def signed_by(trade: Trade, user: User) -> bool:
    return db.session.scalar(sa.select(ReserveSignature.id).where(
        ReserveSignature.trade_id == trade.id, ReserveSignature.user_id == user.id)) is not None


def may_sign(user: User, trade: Trade) -> bool:
    """For the page: a supervisor who counts and has not signed yet, once the record exists."""
    return (opening_of(trade) is not None and user.is_authenticated and eligible_signer(trade, user.id)
            and not signed_by(trade, user))


def sign_reserve_record(actor: User, trade: Trade, dissent: str | None = None, statement: str | None = None,
                        signature=None) -> ReserveSignature:
    """A supervisor signs the reserve record's SHA-256 with their own key, over the statement the platform
    issued, with their dissent if they have one; once each (a second time, even at the same moment: 409)."""
    expected = _expectation(actor, trade, dissent)
    opening = opening_of(trade)
    policy.join(actor, trade, "supervisor")  # a supervisor tied to a bidder may not sign
    trade_id, user_id = trade.id, actor.id
    signed_before = lambda: db.session.scalar(sa.select(ReserveSignature.id).where(  # noqa: E731
        ReserveSignature.trade_id == trade_id, ReserveSignature.user_id == user_id)) is not None
    already = IllegalMove(_("You have already signed the record of the reserve price's opening."),
                          code="already_signed")
    if signed_before():
        raise already
    signed = accept(actor, KIND, expected, statement, signature)
    row = ReserveSignature(trade_id=trade.id, user_id=actor.id, record_sha256=opening.record_sha256,
                           signed_at=now(), dissent=expected.dissent, **signed.as_columns())
    db.session.add(row)
    flush_unless_taken(signed_before, already)  # the same signature sent twice at once: 409, not 500
    reserve_record_signed.send(trade, signature=row, actor=actor)
    return row


def signatures_view(trade: Trade) -> list[dict]:
    """Who signed the record, when, with which key, and any dissent (the page and the API)."""
    return [{"user_id": s.user_id, "signer": s.user.display_name, "signed_at": s.signed_at,
             "record_sha256": s.record_sha256, "decision": "dissent" if s.dissent else "signed",
             "dissent": s.dissent, "key": s.key_fingerprint} for s in signatures_of(trade)]
