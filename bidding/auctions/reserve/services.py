"""The sealed reserve (底价): sealing it, and where it stands. Opening it is opening.py.

Interface for the deal (bidding/auctions/deal):

- `reserve_required(trade)`: whether the sale has a sealed reserve the deal must compare with (a land
  listing or auction: O39 Art 10);
- `opened_reserve(trade)`: the reserve once opened after the last bid, else None;
- `check_reserve_opened(trade)`: the refusal the deal raises when a required reserve is not opened (409,
  code `no_reserve` when none was sealed by the close, `reserve_not_opened` otherwise).

The decision branch seals the reserve in its browser (static/js/sealed-price-page.js, with the bid sealer) or with
`python -m bidding.seal`, to the trade's opening key, as a bid envelope whose bidder field is "RESERVE" and
whose version is the reserve's sequence number; its form is {"price": "<reserve>", "trade": "<ref>"} (a
"reserve" field equal to the price may be added). The platform stores the envelope, its SHA-256 and a signed
receipt, never the amount; the last envelope sealed before the listing closes counts.
"""
from __future__ import annotations

import hashlib
import hmac
import io
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from blinker import Namespace
from flask_babel import format_datetime, gettext as _

import bidding.auctions.reserve.permissions  # noqa: F401  (registers the reserve permissions)
from bidding.auctions.reserve.models import ReserveOpening, ReserveRelease, SealedReserve
from bidding.crypto import envelope, envelope_check, receipt
from bidding.keyholders.services import opening_key
from bidding.submission import intake
from bidding.submission.services import envelope_message
from trading.accounts.models import User
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db, flush_unless_taken
from trading.permissions import require
from trading.platform_keys import services as platform_keys
from trading.trades.flows import TradeState
from trading.trades.models import Trade

_signals = Namespace()
#: sender=Trade; kwargs: reserve (SealedReserve), replaced (SealedReserve | None), actor
reserve_sealed = _signals.signal("auction-reserve-sealed")
#: sender=Trade; kwargs: opening (ReserveOpening), actor
reserve_opened = _signals.signal("auction-reserve-opened")
#: sender=Trade; kwargs: signature (ReserveSignature), actor - a supervisor signed the reserve's opening record
reserve_record_signed = _signals.signal("auction-reserve-record-signed")

#: the envelope header's bidder field of a reserve (a bid's carries the bidder's credit code)
RESERVE_BIDDER = "RESERVE"
#: a reserve envelope holds one small form: a few hundred bytes; anything near this is not one
MAX_RESERVE_BYTES = 64 * 1024
SEALING_STATES = (TradeState.APPROVED, TradeState.ANNOUNCED, TradeState.LISTING)
AFTER_BIDDING_STATES = (TradeState.LISTING, TradeState.TIMED_BIDDING)

# ---- the interface the deal reads ------------------------------------------------------------------

def reserve_required(trade: Trade) -> bool:
    return bool(trade.rule_set.sealed_reserve)


def opening_of(trade: Trade) -> ReserveOpening | None:
    return db.session.get(ReserveOpening, trade.id)


def opened_reserve(trade: Trade) -> Decimal | None:
    opening = opening_of(trade)
    return opening.amount if opening is not None else None


def check_reserve_opened(trade: Trade) -> None:
    """For the deal: refuse to end a sale whose sealed reserve is not opened, saying why."""
    if not reserve_required(trade) or opened_reserve(trade) is not None:
        return
    if current_reserve(trade) is None:
        raise IllegalMove(_("No reserve price was sealed before the listing closed: the sale cannot end with a "
                            "deal (O39 Art 10). The decision branch and the supervisors must decide how to "
                            "proceed."), code="no_reserve")
    raise IllegalMove(_("The sealed reserve price has not been opened yet: the keyholders release their shares "
                        "and a supervisor opens it after the last bid."), code="reserve_not_opened")


# ---- lookups -----------------------------------------------------------------------------------------

def current_reserve(trade: Trade) -> SealedReserve | None:
    """The reserve that counts: the last one sealed."""
    return db.session.scalar(sa.select(SealedReserve).where(SealedReserve.trade_id == trade.id)
                             .order_by(SealedReserve.seq.desc()).limit(1))


def history(trade: Trade) -> list[SealedReserve]:
    return list(db.session.scalars(sa.select(SealedReserve).where(SealedReserve.trade_id == trade.id)
                                   .order_by(SealedReserve.seq)))


def releases(trade: Trade) -> list[ReserveRelease]:
    return list(db.session.scalars(sa.select(ReserveRelease).where(ReserveRelease.trade_id == trade.id)
                                   .order_by(ReserveRelease.released_at, ReserveRelease.id)))


def seal_deadline(trade: Trade) -> datetime | None:
    """The reserve is sealed before quoting closes (Shantou rules Art 20): the listing close (an auction's
    round starts after it too)."""
    return trade.bid_deadline


def _when(at: datetime | None) -> str:
    return format_datetime(at, "yyyy-MM-dd HH:mm:ss") if at else "—"


# ---- sealing --------------------------------------------------------------------------------------------

def _check_sealing_open(trade: Trade) -> None:
    if not reserve_required(trade):
        raise IllegalMove(_("This sale has no sealed reserve price."), code="no_sealed_reserve")
    deadline = seal_deadline(trade)
    if deadline is not None and now() >= deadline:
        raise IllegalMove(_("The listing closed at %(when)s (server time): the reserve price can no longer be "
                            "sealed or replaced.", when=_when(deadline)), code="sealing_closed")
    if trade.state not in SEALING_STATES:
        raise IllegalMove(_("The reserve price is sealed once the sale is approved and until the listing "
                            "closes."), code="not_sealing")
    if opening_key(trade) is None:
        raise IllegalMove(_("This sale has no opening key: the decision branch appoints its keyholders before "
                            "approval."), code="no_key")


def next_seq(trade: Trade) -> int:
    last = current_reserve(trade)
    return (last.seq if last else 0) + 1


def seal_reserve(actor: User, trade: Trade, data: bytes, content_digest: str | None) -> SealedReserve:
    """Store a sealed reserve (or its replacement) after the checks the platform can make without the key:
    a well-formed envelope for this trade, bidder field RESERVE, the next sequence number as its version,
    sealed to this trade's opening key, and exactly the bytes the sealer declared (Content-Digest). The
    platform signs a receipt. The previous reserve, if any, is marked replaced (the last one counts)."""
    require("reserve.seal", trade, user=actor)
    _check_sealing_open(trade)
    declared = intake.parse_content_digest(content_digest)
    key = opening_key(trade)
    seq = next_seq(trade)
    data = bytes(data)
    try:
        header = envelope_check.check_envelope(io.BytesIO(data), trade.ref, RESERVE_BIDDER, seq,
                                               key.fingerprint, MAX_RESERVE_BYTES)
    except envelope.EnvelopeError as exc:
        raise InvalidInput({"envelope": [_reserve_envelope_message(exc, seq)]}, message=None) from None
    if not hmac.compare_digest(header.sha256, declared):
        raise InvalidInput({"envelope": [envelope_message(intake.DigestMismatch(), seq)]}, message=None)
    signing_key = platform_keys.signer("receipt")
    at = now()
    previous = current_reserve(trade)
    if previous is not None:
        previous.replaced_at = at
    signed = receipt.sign_receipt({"trade": trade.ref, "bidder": RESERVE_BIDDER, "version": seq,
                                   "sha256": header.sha256.hex(), "size": header.size, "received_at": at,
                                   "audit_index": None}, signing_key)
    row = SealedReserve(trade_id=trade.id, seq=seq, sealed=data, sha256=header.sha256.hex(), size=header.size,
                        sealed_by_id=actor.id, received_at=at, receipt=receipt.receipt_json(signed))
    db.session.add(row)
    trade_id = trade.id
    flush_unless_taken(lambda: db.session.scalar(sa.select(SealedReserve.id).where(
        SealedReserve.trade_id == trade_id, SealedReserve.seq == seq)) is not None, IllegalMove(_(
            "Another reserve was sealed at the same moment as number %(n)d: reload the page and seal again as "
            "number %(m)d.", n=seq, m=seq + 1), code="seq_taken"))
    reserve_sealed.send(trade, reserve=row, replaced=previous, actor=actor)
    return row


def _reserve_envelope_message(exc: envelope.EnvelopeError, seq: int) -> str:
    if exc.code == "wrong_bidder":
        return _("this envelope was not sealed as a reserve price (its bidder field must be %(b)s)",
                 b=RESERVE_BIDDER)
    if exc.code == "wrong_version":
        return _("this envelope carries the wrong reserve number (expected %(v)d): seal it again", v=seq)
    return envelope_message(exc, seq)


# ---- when the last bid is in ------------------------------------------------------------------------------

def last_bid_pending(trade: Trade) -> str | None:
    """None once the last bid is in: the live round (bidding.auctions.live) closed, or the listing closed and no
    round was started (opening the reserve then rules a round out: the deal concludes on the listing quotes, O39
    Art 19). Else the code of what is pending: `listing_open`, `round_not_started` (an auction waiting for its
    round time), `round_running` (confirming or open), `not_after_bidding`."""
    from bidding.auctions.live.models import RoundState
    from bidding.auctions.live.services import kind_of, round_of

    if trade.state not in AFTER_BIDDING_STATES:
        return "not_after_bidding"
    deadline = trade.bid_deadline
    if deadline is None or now() < deadline:
        return "listing_open"
    rnd = round_of(trade)
    if rnd is not None:
        return None if rnd.state is RoundState.CLOSED else "round_running"
    if kind_of(trade) == "auction":
        return "round_not_started"  # the tick opens an auction's round at its time
    return None  # the listing closed with no round; opening the reserve now rules one out (install below)


def _no_round_after_the_opening(trade: Trade, at=None) -> None:
    """Guard of start_timed_bidding ("reserve_not_opened"): once the reserve was opened the listing has ended
    without a live round, since a round after it would be bid against a known reserve."""
    if opening_of(trade) is not None:
        raise IllegalMove(_("The sealed reserve price has been opened: the listing ended without a live round, and "
                            "none can start now."), code="reserve_opened")


def install() -> None:
    """Called by the app factory: the guard above (idempotent)."""
    from trading.trades.lifecycle import GUARDS

    GUARDS.setdefault("reserve_not_opened", _no_round_after_the_opening)


PENDING_MESSAGES = {
    "listing_open": lambda t: _("The listing is open until %(when)s (server time): the reserve price is opened only "
                                "after the last bid.", when=_when(t.bid_deadline)),
    "round_not_started": lambda t: _("The auction's live round has not taken place yet: the reserve price is "
                                     "opened only after the last bid."),
    "round_running": lambda t: _("The live round is not over: the reserve price is opened only after the last bid."),
    "not_after_bidding": lambda t: _("The reserve price is opened only after the last bid, while the sale is "
                                     "listing or in its live round."),
}


def check_last_bid_in(trade: Trade) -> None:
    pending = last_bid_pending(trade)
    if pending is not None:
        raise IllegalMove(PENDING_MESSAGES[pending](trade), code=f"reserve_{pending}")


# ---- what a viewer sees ------------------------------------------------------------------------------------

def reserve_view(viewer: User, trade: Trade) -> dict:
    """Where the reserve stands. The amount appears only once opened; before that, only the envelopes' hashes."""
    require("reserve.view", trade, user=viewer)
    from bidding.auctions.reserve.opening import release_counts
    from bidding.auctions.reserve.signatures import signatures_view

    key = opening_key(trade)
    opening = opening_of(trade)
    out = {
        "trade_ref": trade.ref, "state": trade.state.value, "required": reserve_required(trade),
        "seal_deadline": seal_deadline(trade), "sealing_open": _sealing_open(trade),
        "opening_key": key.public_key.hex() if key else None, "fingerprint": key.fingerprint if key else None,
        "bidder_field": RESERVE_BIDDER, "next_seq": next_seq(trade),
        "reserves": [{"seq": r.seq, "sha256": r.sha256, "size": r.size, "sealed_at": r.received_at,
                      "sealed_by": r.sealed_by.display_name, "replaced_at": r.replaced_at,
                      "receipt": r.receipt} for r in history(trade)],
        "pending": None if opening else last_bid_pending(trade),
        "sides": release_counts(trade) if key else {},
        "releases": [{"keyholder": r.keyholder.user.display_name, "side": r.keyholder.side.value,
                      "released_at": r.released_at, "held": r.held_share is not None} for r in releases(trade)],
        "opened": None,
    }
    if opening is not None:
        out["opened"] = {"reserve": f"{opening.amount:.2f}", "seq": opening.reserve.seq,
                         "envelope_sha256": opening.envelope_sha256, "opened_at": opening.opened_at,
                         "opened_by": opening.opened_by.display_name, "record_sha256": opening.record_sha256,
                         "record": opening.record, "signatures": signatures_view(trade)}
    return out


def _sealing_open(trade: Trade) -> bool:
    try:
        _check_sealing_open(trade)
    except IllegalMove:
        return False
    return True


def record_hash(record: bytes) -> str:
    return hashlib.sha256(record).hexdigest()
