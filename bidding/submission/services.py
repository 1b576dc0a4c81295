"""Operations on sealed bids: receiving envelopes with signed receipts, withdrawing them, and who
bid (the keyholders and the opening key are in bidding.keyholders.services)."""
from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa
from blinker import Namespace
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l

from bidding.crypto import envelope, receipt
from bidding.keyholders.services import opening_key
from bidding.submission.models import Bid, BidState
from trading.accounts.models import OrgKind, User
from trading.accounts.roles import Role
from trading.blobs import BlobRefused, blob_store
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput, NotAllowed
from trading.extensions import db
from trading.keyfiles import ed25519_key
from trading.signals import audit_index_of, sensitive_read
from trading.trades.flows import TradeState
from trading.trades.models import Trade

_signals = Namespace()
#: sender=Trade; kwargs: bid, actor  (the audit log of issue 4 listens)
bid_submitted = _signals.signal("bid-submitted")
#: sender=Trade; kwargs: bid, actor
bid_withdrawn = _signals.signal("bid-withdrawn")


def bidder_list_read(viewer: User, trade: Trade) -> None:
    """Seeing who bid is a sensitive read: signalled for the audit log."""
    sensitive_read.send(trade, viewer=viewer, what="bidders")


# ---- receiving bids -----------------------------------------------------------------------------

def receipt_private_key() -> Ed25519PrivateKey:
    """The platform's receipt-signing key, made on first use under instance/ (or RECEIPT_KEY_PATH)."""
    return ed25519_key(Path(current_app.config.get("RECEIPT_KEY_PATH")
                            or Path(current_app.instance_path) / "receipt-key.pem"))


def bidder_organisation(actor: User):
    org = actor.organisation
    if not actor.has_role(Role.BIDDER) or org is None or org.kind is not OrgKind.BIDDER or not org.credit_code:
        raise NotAllowed(_("Only bidders of a registered company can submit bids."))
    return org


def next_version(trade: Trade, organisation_id: int) -> int:
    last = db.session.scalar(sa.select(sa.func.max(Bid.version)).where(Bid.trade_id == trade.id,
                                                                       Bid.organisation_id == organisation_id))
    return (last or 0) + 1


def _open_for_bids(trade: Trade) -> None:
    at = now()
    if trade.bid_deadline is None or at >= trade.bid_deadline:
        raise IllegalMove(_("The bid deadline has passed."), code="deadline_passed")
    if trade.state is not TradeState.BIDDING:
        raise IllegalMove(_("This trade is not open for bids."), code="not_open")


def submit_bid(actor: User, trade: Trade, stream: BinaryIO) -> Bid:
    """Store an envelope after checking it is well formed for this trade and bidder; sign a receipt."""
    org = bidder_organisation(actor)
    _open_for_bids(trade)
    key = opening_key(trade)
    if key is None:
        raise IllegalMove(_("This trade has no opening key and does not take electronic bids."), code="no_key")
    version = next_version(trade, org.id)
    limit = current_app.config.get("MAX_BID_BYTES", current_app.config["MAX_CONTENT_LENGTH"])

    received: list = []

    def check(path: Path) -> None:
        received.append(now())  # the upload is complete: this is when the platform received it
        if received[0] >= trade.bid_deadline:  # finished after the deadline: withdrawn, nothing stored
            raise IllegalMove(_("The upload finished after the bid deadline; it counts as withdrawn."),
                              code="deadline_passed")
        with path.open("rb") as fh:
            envelope.check_envelope(fh, expected_trade_ref=trade.ref, expected_bidder_id=org.credit_code,
                                    expected_version=version, expected_fingerprint=bytes.fromhex(key.fingerprint),
                                    max_size=limit)

    try:
        digest, size = blob_store().put(stream, max_size=limit, min_size=1, check=check)
    except BlobRefused as exc:
        raise InvalidInput({"envelope": [_("the envelope is larger than the platform accepts")
                                         if exc.reason == "too_large" else _("the upload is empty")]}) from None
    except envelope.EnvelopeError as exc:
        raise InvalidInput({"envelope": [envelope_message(exc, version)]}, message=None) from None
    received = received[0]
    db.session.refresh(trade)  # the upload may have taken a while: suspended or cancelled meanwhile?
    if trade.state is not TradeState.BIDDING:
        raise IllegalMove(_("This trade is not open for bids."), code="not_open")
    db.session.execute(sa.update(Bid).where(Bid.trade_id == trade.id, Bid.organisation_id == org.id,
                                            Bid.state == BidState.SUBMITTED).values(state=BidState.REPLACED))
    bid = Bid(trade_id=trade.id, organisation_id=org.id, submitted_by_id=actor.id, version=version,
              sha256=digest, size=size, received_at=received, receipt="")
    db.session.add(bid)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:  # another upload of the same company took this version first
        raise InvalidInput({"envelope": [envelope_message(envelope.EnvelopeError("wrong_version", ""),
                                                          version + 1)]}) from None
    signed = receipt.sign_receipt({"trade": trade.ref, "bidder": org.credit_code, "version": version,
                                   "sha256": digest, "size": size, "received_at": received,
                                   "audit_index": audit_index_of(bid)}, receipt_private_key())
    bid.receipt = receipt.receipt_json(signed)
    bid_submitted.send(trade, bid=bid, actor=actor)
    return bid


def withdraw_bid(actor: User, trade: Trade) -> Bid:
    org = bidder_organisation(actor)
    _open_for_bids(trade)
    bid = db.session.scalar(sa.select(Bid).where(Bid.trade_id == trade.id, Bid.organisation_id == org.id,
                                                 Bid.state == BidState.SUBMITTED))
    if bid is None:
        raise IllegalMove(_("There is no bid to withdraw."), code="no_bid")
    bid.state = BidState.WITHDRAWN
    bid.withdrawn_at = now()
    bid_withdrawn.send(trade, bid=bid, actor=actor)
    return bid


def own_bids(actor: User, trade: Trade) -> list[Bid]:
    """Before opening a bidder sees only their own bids."""
    org = bidder_organisation(actor)
    return list(db.session.scalars(sa.select(Bid).where(Bid.trade_id == trade.id, Bid.organisation_id == org.id)
                                   .order_by(Bid.version)))


ENVELOPE_MESSAGES = {
    "not_an_envelope": _l("this is not a sealed bid envelope: bids must be encrypted before they are uploaded "
                          "(O20 Art. 26-28); use the bid page or python -m bidding.seal"),
    "unsupported_version": _l("this envelope format version is not supported"),
    "unsupported_suite": _l("this envelope uses an encryption suite the platform does not accept"),
    "bad_header": _l("the envelope header is damaged"),
    "bad_sealed_key": _l("the envelope's sealed key is damaged"),
    "bad_chunk_size": _l("the envelope's chunk size is out of range"),
    "wrong_trade": _l("this envelope was sealed for another trade"),
    "wrong_bidder": _l("this envelope was sealed for another bidder"),
    "wrong_version": _l("this envelope carries the wrong bid version (expected %(v)d): seal it again"),
    "wrong_key": _l("this envelope was sealed to another opening key"),
    "truncated": _l("the envelope is incomplete (truncated)"),
    "trailing_data": _l("the envelope has data after its end"),
    "too_large": _l("the envelope is larger than the platform accepts"),
}


def envelope_message(exc, version: int) -> str:
    message = ENVELOPE_MESSAGES.get(exc.code)
    if message is None:
        return str(exc.message)
    return str(message) % {"v": version} if "%(v)d" in str(message) else str(message)
