"""Opening the sealed reserve after the last bid: the keyholders release their shares (held as the opening
ceremony holds them), a supervisor opens it: the key is rebuilt in memory, the one envelope that counts is
decrypted, its body checked to be this trade's reserve, and a small record written and hashed. No bids are
opened and no opening record of bids is made: this is not a tender's opening.
"""
from __future__ import annotations

import hmac
import io
import json

import sqlalchemy as sa
from flask_babel import gettext as _

from bidding.auctions.reserve.models import ReserveOpening, ReserveRelease
from bidding.auctions.reserve.services import (RESERVE_BIDDER, check_last_bid_in, current_reserve, opening_of,
                                               record_hash, releases, reserve_opened)
from bidding.ceremony.permissions import keyholder_of
from bidding.ceremony.shares import holder_share, open_held, released_share, seal_held, share_material
from bidding.crypto import envelope, records
from bidding.keyholders import keys
from bidding.keyholders.models import Side
from bidding.keyholders.services import DUTY, opening_key
from trading.accounts import policy
from trading.accounts.models import User
from trading.canonical import canonical_json
from trading.clock import now
from trading.errors import IllegalMove
from trading.extensions import db, flush_unless_taken
from trading.permissions import require
from trading.trades.flows import TradeState
from trading.trades.models import Trade

SCOPE = "reserve"  # the held shares' own key and AAD (bidding.ceremony.shares), apart from any ceremony


def _releasable(actor: User, trade: Trade):
    """The keyholder, the opening key and their sealed share, once the last bid is in and until the reserve
    is opened; otherwise a clear refusal (409)."""
    require("reserve.release", trade, user=actor)
    holder = keyholder_of(actor, trade)
    if opening_of(trade) is not None:
        raise IllegalMove(_("The reserve price has already been opened."), code="reserve_opened")
    check_last_bid_in(trade)
    if current_reserve(trade) is None:
        raise IllegalMove(_("No reserve price was sealed before the listing closed: there is nothing to open."),
                          code="no_reserve")
    key, sealed, personal = holder_share(trade, holder)
    return holder, key, sealed, personal


def reserve_share_for(actor: User, trade: Trade) -> dict:
    """What the keyholder's machine needs to open its share (as at a ceremony)."""
    holder, key, sealed, personal = _releasable(actor, trade)
    return share_material(trade, holder, key, sealed, personal)


def release_reserve_share(actor: User, trade: Trade, share_bytes: bytes) -> ReserveRelease:
    """A keyholder's machine opened their share and sends it: checked against the commitment stored when it
    was sealed, then held sealed until the reserve is opened. One share alone opens nothing."""
    holder, key, sealed, _personal = _releasable(actor, trade)
    policy.check_participation(actor, trade, DUTY[holder.side])  # a tie to a bidder since the appointment
    row = db.session.scalar(sa.select(ReserveRelease).where(ReserveRelease.trade_id == trade.id,
                                                            ReserveRelease.keyholder_id == holder.id))
    if row is not None and row.held_share is not None:
        raise IllegalMove(_("You have already released your share."), code="already_released")
    share = released_share(bytes(share_bytes), trade, holder, key, sealed)
    if row is None:
        row = ReserveRelease(trade_id=trade.id, keyholder_id=holder.id)
        db.session.add(row)
    row.held_share = seal_held(trade.id, holder.id, share, scope=SCOPE)
    del share
    row.released_at = now()
    trade_id, holder_id = trade.id, holder.id
    flush_unless_taken(lambda: db.session.scalar(sa.select(ReserveRelease.id).where(
        ReserveRelease.trade_id == trade_id, ReserveRelease.keyholder_id == holder_id)) is not None,
        IllegalMove(_("You have already released your share."), code="already_released"))
    return row


def release_counts(trade: Trade) -> dict:
    """Per side: the threshold, the keyholders, and the shares held now."""
    key = opening_key(trade)
    held = [r for r in releases(trade) if r.held_share is not None]
    out = {}
    for side, threshold in ((Side.EXECUTE, key.execute_threshold), (Side.SUPERVISE, key.supervise_threshold)):
        out[side.value] = {"threshold": threshold,
                           "holders": sum(1 for s in key.shares if s.side is side),
                           "released": sum(1 for r in held if r.keyholder.side is side)}
    return out


def wipe_shares(trade: Trade) -> None:
    db.session.execute(sa.update(ReserveRelease).where(ReserveRelease.trade_id == trade.id)
                       .values(held_share=None))


def on_trade_moved(trade: Trade, new_state=None, **_kw) -> None:
    """Signal listener: a suspended or cancelled sale keeps no released share of its reserve's key."""
    if new_state in (TradeState.SUSPENDED, TradeState.CANCELLED):
        wipe_shares(trade)


def _reserve_body(trade: Trade, plaintext: bytes):
    """The reserve in a decrypted body: a form {"price", "trade"} (an optional "reserve" equal to the price),
    no attached file, bound to this trade. Raises IllegalMove (code reserve_not_bound) otherwise."""
    def refuse(why: str):
        return IllegalMove(_("The sealed reserve price opened, but its content is not this trade's reserve "
                             "(%(why)s): the sale cannot end on it. The supervisors must decide how to proceed.",
                             why=why), code="reserve_not_bound")

    try:
        form, files = records.decode_bid(io.BytesIO(plaintext))
        amount = records.validate_price(form["price"])
    except records.BidFormatError as exc:
        raise refuse(exc.message) from None
    if files or set(form) - {"price", "reserve", "trade"}:
        raise refuse(_("it holds more than the reserve price and the trade"))
    if form.get("trade") != trade.ref:
        raise refuse(_("it names trade %(ref)s", ref=form.get("trade") or "—"))
    if "reserve" in form and form["reserve"] != form["price"]:
        raise refuse(_("its reserve and price fields differ"))
    return amount


def open_reserve(actor: User, trade: Trade) -> ReserveOpening:
    """Under a supervisor, after the last bid: rebuild the opening key in memory from the held shares (both
    thresholds), decrypt the reserve that counts, check its binding, write the record and erase the shares.
    A damaged or foreign envelope fails the opening (409) and changes nothing."""
    require("reserve.open", trade, user=actor)
    if opening_of(trade) is not None:
        raise IllegalMove(_("The reserve price has already been opened."), code="reserve_opened")
    check_last_bid_in(trade)
    reserve = current_reserve(trade)
    if reserve is None:
        raise IllegalMove(_("No reserve price was sealed before the listing closed: there is nothing to open."),
                          code="no_reserve")
    key = opening_key(trade)
    rows = db.session.scalars(sa.select(ReserveRelease).where(
        ReserveRelease.trade_id == trade.id, ReserveRelease.held_share.is_not(None)).with_for_update()).all()
    shares = {Side.EXECUTE: [], Side.SUPERVISE: []}
    for row in rows:
        shares[row.keyholder.side].append(open_held(trade.id, row.keyholder_id, row.held_share, scope=SCOPE))
    missing = {Side.EXECUTE: key.execute_threshold - len(shares[Side.EXECUTE]),
               Side.SUPERVISE: key.supervise_threshold - len(shares[Side.SUPERVISE])}
    if missing[Side.EXECUTE] > 0 or missing[Side.SUPERVISE] > 0:
        raise IllegalMove(_("Not enough shares released to open the reserve price: %(e)d more executing and "
                            "%(s)d more supervising keyholders' shares are needed.",
                            e=max(0, missing[Side.EXECUTE]), s=max(0, missing[Side.SUPERVISE])),
                          code="shares_missing")
    try:
        private = keys.rebuild_opening_key(shares[Side.EXECUTE], shares[Side.SUPERVISE], key.public_key,
                                           execute_threshold=key.execute_threshold,
                                           supervise_threshold=key.supervise_threshold)
    except keys.KeyCustodyError as exc:
        raise IllegalMove(_("The released shares do not rebuild this trade's opening key (%(code)s).",
                            code=exc.code), code="wrong_key") from None
    del shares
    data = bytes(reserve.sealed)
    if not hmac.compare_digest(record_hash(data), reserve.sha256):
        raise IllegalMove(_("The stored reserve envelope does not match the SHA-256 in its receipt: it was altered "
                            "after sealing. The reserve price cannot be opened; tell the supervisors."),
                          code="reserve_altered")
    try:
        header, plaintext = envelope.open_envelope_bytes(data, private)
    except envelope.EnvelopeError as exc:
        raise IllegalMove(_("The sealed reserve price does not open (%(code)s): the envelope is damaged or was "
                            "not sealed to this trade's key.", code=exc.code), code="reserve_unopenable") from None
    finally:
        del private
    if (header.trade_ref, header.bidder_id, header.version) != (trade.ref, RESERVE_BIDDER, reserve.seq):
        raise IllegalMove(_("The sealed reserve price opened, but its envelope is bound to another trade or "
                            "number."), code="reserve_not_bound")
    amount = _reserve_body(trade, bytes(plaintext))
    at = now()
    released = [r for r in releases(trade) if r.held_share is not None]
    record = {
        "kind": "reserve-opening", "trade": trade.ref, "trade_id": trade.id, "reserve": f"{amount:.2f}",
        "envelope_seq": reserve.seq, "envelope_sha256": reserve.sha256,
        "sealed_at": reserve.received_at.isoformat(), "sealed_by": reserve.sealed_by.display_name,
        "released": [{"keyholder": r.keyholder.user.display_name, "side": r.keyholder.side.value,
                      "released_at": r.released_at.isoformat()} for r in released],
        "opened_at": at.isoformat(), "opened_by": actor.display_name,
    }
    text = canonical_json(record)
    opening = ReserveOpening(trade_id=trade.id, reserve_id=reserve.id, amount=amount,
                             envelope_sha256=reserve.sha256, opened_at=at, opened_by_id=actor.id,
                             record=text.decode(), record_sha256=record_hash(text))
    db.session.add(opening)
    trade_id = trade.id
    flush_unless_taken(lambda: db.session.get(ReserveOpening, trade_id) is not None,
                       IllegalMove(_("The reserve price has already been opened."), code="reserve_opened"))
    wipe_shares(trade)
    reserve_opened.send(trade, opening=opening, actor=actor)
    return opening


def opening_record(trade: Trade) -> dict | None:
    opening = opening_of(trade)
    return json.loads(opening.record) if opening else None
