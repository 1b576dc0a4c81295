"""Operations on sealed bids: receiving envelopes with signed receipts, withdrawing them, and who
bid (the keyholders and the opening key are in bidding.keyholders.services)."""
from __future__ import annotations

import hmac
from pathlib import Path
from typing import BinaryIO, NamedTuple

import sqlalchemy as sa
from blinker import Namespace
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l
from werkzeug.local import LocalProxy

from bidding.crypto import envelope, envelope_check
from bidding.keyholders.services import opening_key
from bidding.submission import intake, writer
from bidding.submission.models import Bid, BidState
from trading.accounts.models import OrgKind, User
from trading.accounts.roles import Role
from trading.blobs import BlobRefused, blob_store
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput, NotAllowed
from trading.extensions import db
from trading.platform_keys import services as platform_keys
from trading.signals import sensitive_read
from trading.trades.flows import TradeState
from trading.trades.models import Trade

_signals = Namespace()
#: sender=Trade; kwargs: bid, actor  (the audit log of issue 4 listens)
bid_submitted = _signals.signal("bid-submitted")
#: sender=Trade; kwargs: bid, actor
bid_withdrawn = _signals.signal("bid-withdrawn")
#: sender=Trade; kwargs: received_at, organisation_id. The last byte of an upload is in and the
#: envelope checked; the stage is read again and the bid stored next (races are ordered on it)
upload_received = _signals.signal("bid-upload-received")


def bidder_list_read(viewer: User, trade: Trade) -> None:
    """Seeing who bid is a sensitive read: signalled for the audit log."""
    sensitive_read.send(trade, viewer=viewer, what="bidders")


# ---- receiving bids -----------------------------------------------------------------------------

def receipt_private_key() -> Ed25519PrivateKey:
    """The platform's receipt-signing key from configuration, refused (503) unless it is the published one."""
    return platform_keys.signer("receipt")


def receipt_public_key() -> Ed25519PublicKey:
    """The key receipts verify against: the published one (this host's before the first receipt)."""
    return platform_keys.public_key("receipt")


def bidder_organisation(actor: User):
    org = actor.organisation
    if not actor.has_role(Role.BIDDER) or org is None or org.kind is not OrgKind.BIDDER or not org.credit_code:
        raise NotAllowed(_("Only bidders of a registered company can submit bids."))
    return org


def next_version(trade: Trade, organisation_id: int) -> int:
    last = latest_bid(trade, organisation_id)
    return (last.version if last else 0) + 1


def latest_bid(trade: Trade, organisation_id: int) -> Bid | None:
    """The company's highest bid version for this trade (whatever its state)."""
    return db.session.scalar(_LATEST, {"trade_id": trade.id, "organisation_id": organisation_id})


#: built once: every upload asks
_LATEST = (sa.select(Bid).where(Bid.trade_id == sa.bindparam("trade_id"),
                                Bid.organisation_id == sa.bindparam("organisation_id"))
           .order_by(Bid.version.desc()).limit(1))
_BIDS = Bid.__table__.c
#: what an upload needs of the company's latest bid, as plain columns (no ORM row to build; the
#: row itself is loaded only when the upload turns out to resend that bid)
_LATEST_COLUMNS = (sa.select(_BIDS.id, _BIDS.version, _BIDS.state, _BIDS.sha256, _BIDS.size)
                   .where(_BIDS.trade_id == sa.bindparam("trade_id"),
                          _BIDS.organisation_id == sa.bindparam("organisation_id"))
                   .order_by(_BIDS.version.desc()).limit(1))


class LatestBid(NamedTuple):
    """The company's latest bid on the trade, as the upload reads it."""

    id: int | None
    version: int | None
    state: BidState | None
    sha256: str | None
    size: int | None


def key_fingerprint(trade: Trade, committed: bool) -> str | None:
    """The fingerprint of the trade's opening key (None: it has none). A trade gets one opening key,
    at approval, and it is never replaced or removed (opening_keys.trade_id is unique; nothing updates
    or deletes the row), so the process remembers it once read from a committed row: uploads then
    read it from memory instead of the database. `committed`: the caller's transaction has written
    nothing, so the row read is committed (a key made in the caller's own transaction is not kept)."""
    known = current_app.extensions.setdefault("bid_key_fingerprints", {})
    fingerprint = known.get(trade.id)
    if fingerprint is None:
        key = opening_key(trade)
        if key is None:
            return None
        fingerprint = key.fingerprint
        if committed:
            known[trade.id] = fingerprint
    return fingerprint


def stored_envelopes() -> list[str]:
    """Digests of the blobs bids refer to (the blob sweep spares them)."""
    return list(db.session.scalars(sa.select(Bid.sha256).distinct()))


def _open_for_bids(trade: Trade) -> None:
    at = now()
    if trade.bid_deadline is None or at >= trade.bid_deadline:
        raise IllegalMove(_("The bid deadline has passed."), code="deadline_passed")
    if trade.state is not TradeState.BIDDING:
        raise IllegalMove(_("This trade is not open for bids."), code="not_open")


#: checks the layers above register: may this company bid on this trade at all? Each is called as
#: check(trade, organisation) and returns None, or the reason it may not (a message, shown as a 409
#: `not_eligible`): procurement's invitation tender admits only its invitees, a negotiation only its
#: suppliers once final quotes are called for
BIDDER_CHECKS: list = []


def bidder_check(check):
    """Register a bidder check (idempotent: the app factory may run more than once per process)."""
    if check not in BIDDER_CHECKS:
        BIDDER_CHECKS.append(check)
    return check


def refusal(trade: Trade, organisation) -> str | None:
    """Why this company may not bid on this trade, or None (the bid page shows it before sealing)."""
    for check in BIDDER_CHECKS:
        reason = check(trade, organisation)
        if reason:
            return reason
    return None


#: links a layer above adds to the bid page: link(trade, organisation) returns None or (label, url)
#: (procurement.results: the SME declaration of a trade that states SME terms)
BID_PAGE_LINKS: list = []


def bid_page_link(link):
    """Register a bid page link (idempotent, as bidder_check)."""
    if link not in BID_PAGE_LINKS:
        BID_PAGE_LINKS.append(link)
    return link


def page_links(trade: Trade, organisation) -> list[tuple[str, str]]:
    return [got for link in BID_PAGE_LINKS if (got := link(trade, organisation))]


#: `latest` not given: submit_bid reads it
UNREAD = object()


def submit_bid(actor: User, trade: Trade, stream: BinaryIO, content_digest: str | None,
               latest: LatestBid | None | object = UNREAD) -> Bid:
    """Store an envelope after checking it is well formed for this trade and bidder and that it is
    the one the sealer sent (its RFC 9530 `Content-Digest`); sign a receipt. One pass: the checks
    run on the bytes as they are written to the blob store. Sending again an envelope already
    stored (its answer was lost) answers with the bid and receipt already given. `latest`: the
    company's latest bid on the trade (None: it has none) when the caller read it with the trade."""
    org = bidder_organisation(actor)
    _open_for_bids(trade)
    reason = refusal(trade, org)
    if reason:
        intake.drain(stream, max_bid_bytes())  # answer only once the client has sent all: it then reads the reason
        raise IllegalMove(reason, code="not_eligible")
    apart = writer.holds_no_write()
    fingerprint = key_fingerprint(trade, committed=apart)
    if fingerprint is None:
        raise IllegalMove(_("This trade has no opening key and does not take electronic bids."), code="no_key")
    # a host that may not sign refuses before it stores anything (no row, no blob to sweep)
    signing_key = receipt_private_key()
    if latest is UNREAD:
        latest = db.session.execute(_LATEST_COLUMNS, {"trade_id": trade.id, "organisation_id": org.id}).first()
    if apart:
        # the reads end here (and the receipt key's first publication, if this upload made it, is committed):
        # no pooled connection is held while the body arrives, which may take minutes
        writer.commit_reads()
    version = (latest.version if latest else 0) + 1
    resend = latest if latest is not None and latest.state is BidState.SUBMITTED else None
    limit = max_bid_bytes()
    try:
        declared = intake.parse_content_digest(content_digest)
    except InvalidInput:
        intake.drain(stream, limit)  # answer only once the client has sent all: it then reads the reason
        raise
    check = envelope_check.ReceiptCheck(trade.ref, org.credit_code, version, fingerprint, limit,
                                        resend_version=resend.version if resend else None)
    received: list = []

    def at_end(digest: str, size: int) -> None:
        received.append(now())  # the last byte is in: this is when the platform received it
        if received[0] >= trade.bid_deadline:  # finished after the deadline: withdrawn, nothing stored
            raise IllegalMove(_("The upload finished after the bid deadline; it counts as withdrawn."),
                              code="deadline_passed")
        header = check.finish()
        if not hmac.compare_digest(bytes.fromhex(digest), declared):
            raise intake.DigestMismatch()
        if header.version != version and digest != resend.sha256:  # the resend version, another envelope
            raise envelope.EnvelopeError("wrong_version", "a stored version sealed again")

    try:
        digest, size = blob_store().put(stream, max_size=limit, min_size=1, check=at_end, observe=check.feed)
    except BlobRefused as exc:
        raise InvalidInput({"envelope": [_("the envelope is larger than the platform accepts")
                                         if exc.reason == "too_large" else _("the upload is empty")]}) from None
    except envelope.EnvelopeError as exc:
        intake.drain(stream, limit)
        raise InvalidInput({"envelope": [envelope_message(exc, version)]}, message=None) from None
    upload_received.send(trade, received_at=received[0], organisation_id=org.id)
    if resend is not None and digest == resend.sha256 and size == resend.size:
        return db.session.get(Bid, resend.id)  # the same envelope again: the same bid, the same receipt
    # stored by the process's bid writer with the other uploads of the moment (bidding/submission/writer.py):
    # the stage is read again under the write lock, then the row, its audit entry and its receipt
    if isinstance(actor, LocalProxy):  # current_user: the writer thread has no request to resolve it in
        actor = actor._get_current_object()
    job = writer.store(writer.Job(trade_id=trade.id, trade_ref=trade.ref, deadline=trade.bid_deadline,
                                  organisation_id=org.id, credit_code=org.credit_code, actor=actor, version=version,
                                  replaces=latest is not None, sha256=digest, size=size, received_at=received[0],
                                  signing_key=signing_key, sender=trade))
    if job.outcome == "not_open":  # suspended, cancelled or closed while the upload arrived
        intake.discard_unless_referenced(digest)
        raise IllegalMove(_("This trade is not open for bids."), code="not_open")
    if job.outcome == "version_taken":  # another upload of the same company stored this version first
        intake.discard_unless_referenced(digest)
        raise IllegalMove(_("Another upload of bid version %(v)d was stored first; reload the page and seal "
                            "your bid again as version %(n)d.", v=version, n=version + 1),
                          code="version_taken") from None
    return job.bid


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


def max_bid_bytes() -> int:
    """The largest sealed bid the platform takes (the bid page states it before sealing)."""
    return int(current_app.config.get("MAX_BID_BYTES", current_app.config["MAX_CONTENT_LENGTH"]))


def own_bids(actor: User, trade: Trade) -> list[Bid]:
    """Before opening a bidder sees only their own bids."""
    org = bidder_organisation(actor)
    return list(db.session.scalars(sa.select(Bid).where(Bid.trade_id == trade.id, Bid.organisation_id == org.id)
                                   .order_by(Bid.version)))


ENVELOPE_MESSAGES = {
    "not_an_envelope": _l("this is not a sealed bid envelope: bids must be encrypted before they are uploaded "
                          "(O20 Art. 26-28); use the bid page or python -m bidding.seal"),
    "unsupported_version": _l("this envelope format version is not accepted: seal the bid again with the bid "
                              "page or python -m bidding.seal (format 2 declares the body's length)"),
    "unsupported_suite": _l("this envelope uses an encryption suite the platform does not accept"),
    "bad_header": _l("the envelope header is damaged"),
    "bad_sealed_key": _l("the envelope's sealed key is damaged"),
    "bad_chunk_size": _l("the envelope's chunk size is out of range"),
    "wrong_trade": _l("this envelope was sealed for another trade"),
    "wrong_bidder": _l("this envelope was sealed for another bidder"),
    "wrong_version": _l("this envelope carries the wrong bid version (expected %(v)d): seal it again"),
    "wrong_key": _l("this envelope was sealed to another opening key"),
    "truncated": _l("the envelope is incomplete: fewer bytes arrived than its header declares (the upload "
                    "was cut short); send it again"),
    "trailing_data": _l("the envelope has data after the end its header declares; send the sealed file "
                        "unchanged"),
    "too_large": _l("the envelope is larger than the platform accepts"),
    "digest_mismatch": _l("the envelope received is not the one sent: its SHA-256 differs from the upload's "
                          "Content-Digest header (damaged in transit); send it again"),
}


def envelope_message(exc, version: int) -> str:
    message = ENVELOPE_MESSAGES.get(exc.code)
    if message is None:
        return str(exc.message)
    return str(message) % {"v": version} if "%(v)d" in str(message) else str(message)
