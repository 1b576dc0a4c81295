"""Final sealed quotes of a competitive negotiation or consultation, their opening, and the prices the
ranking reads.

Sealing (as the sealed reserve of bidding.auctions.reserve does): each supplier seals its final quote in its
browser (static/js/sealed-price-page.js, with the bid sealer) or with `python -m bidding.seal`, to the trade's
opening key (the one its response was sealed to, whose private half exists only split among the keyholders),
as a PRSB envelope whose bidder field is FINAL-<credit code> and whose version is the quote's sequence
number; its form is {"price": "<amount>", "trade": "<ref>"}. The platform checks the envelope without the
key, stores it with its SHA-256 and a signed receipt, never the amount; the last one sealed before the
deadline counts.

Opening: after the deadline each keyholder's machine releases its share again (held sealed under scope
"final", as the ceremony holds shares), the clerk or a supervisor opens: the key is rebuilt in memory, every
supplier's last envelope decrypted, its body checked to be this trade's final quote, the prices written and a
record hashed. The opening ceremony's own rows (OpeningCeremony, its entries) are not reused: they belong to
the one opening of the responses (docs/negotiation.md).
"""
from __future__ import annotations

import hashlib
import hmac
import io
import json
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from bidding.ceremony.permissions import keyholder_of
from bidding.ceremony.shares import holder_share, open_held, released_share, seal_held, share_material
from bidding.crypto import envelope, envelope_check, receipt, records
from bidding.keyholders import keys
from bidding.keyholders.models import Side
from bidding.keyholders.services import DUTY, opening_key
from bidding.submission import intake
from bidding.submission.services import envelope_message
from procurement.negotiation.models import FinalOpening, FinalQuote, FinalRelease
from procurement.negotiation.permissions import negotiates
from procurement.negotiation.services import _when, call_of, remaining
from trading.accounts import policy
from trading.accounts.models import User
from trading.canonical import canonical_json
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput, NotAllowed
from trading.extensions import db, flush_unless_taken
from trading.permissions import require
from trading.platform_keys import services as platform_keys
from trading.trades.models import Trade

SCOPE = "final"  # the held shares' own key and AAD (bidding.ceremony.shares), apart from the ceremony's
#: a final quote holds one small form; anything near this is not one
MAX_QUOTE_BYTES = 64 * 1024


def bidder_field(credit_code: str) -> str:
    """The envelope header's bidder field of a final quote (a response's carries the credit code alone)."""
    return f"FINAL-{credit_code}"


# ---- reading ---------------------------------------------------------------------------------------------------

def quotes(trade: Trade, organisation_id: int | None = None) -> list[FinalQuote]:
    q = sa.select(FinalQuote).where(FinalQuote.trade_id == trade.id)
    if organisation_id is not None:
        q = q.where(FinalQuote.organisation_id == organisation_id)
    return list(db.session.scalars(q.order_by(FinalQuote.organisation_id, FinalQuote.seq)))


def current_quotes(trade: Trade) -> dict[int, FinalQuote]:
    """Each supplier's quote that counts: its last one."""
    out: dict[int, FinalQuote] = {}
    for q in quotes(trade):
        out[q.organisation_id] = q
    return out


def next_seq(trade: Trade, organisation_id: int) -> int:
    last = db.session.scalar(sa.select(sa.func.max(FinalQuote.seq)).where(
        FinalQuote.trade_id == trade.id, FinalQuote.organisation_id == organisation_id))
    return (last or 0) + 1


def opening_of(trade: Trade) -> FinalOpening | None:
    return db.session.get(FinalOpening, trade.id)


def releases(trade: Trade) -> list[FinalRelease]:
    return list(db.session.scalars(sa.select(FinalRelease).where(FinalRelease.trade_id == trade.id)
                                   .order_by(FinalRelease.released_at, FinalRelease.id)))


def final_prices(trade: Trade) -> dict | None:
    """For bidding.scoring's ranking (a PRICE_SOURCES entry): None for other methods; for a negotiation or
    consultation, nothing ranks until the final quotes are opened, then each supplier still in at its opened
    final price (a supplier without one, or set aside, is not ranked)."""
    if not negotiates(trade):
        return None
    if opening_of(trade) is None:
        return {}
    still = set(remaining(trade))
    return {o: Decimal(q.price) for o, q in current_quotes(trade).items() if q.price is not None and o in still}


# ---- sealing --------------------------------------------------------------------------------------------------

def _check_quoting(actor: User, trade: Trade):
    require("negotiation.supplier", trade, user=actor)
    call = call_of(trade)
    if call is None:
        raise IllegalMove(_("Final quotes have not been called for yet."), code="not_called")
    if now() >= call.deadline:
        raise IllegalMove(_("The deadline for final quotes was %(when)s (server time): no quote is taken after "
                            "it.", when=_when(call.deadline)), code="deadline_passed")
    org = actor.organisation
    if org.id not in (call.invited or []) or org.id not in remaining(trade):
        raise IllegalMove(_("Your company is not among the suppliers called for a final quote."),
                          code="not_invited")
    if not org.credit_code:
        raise NotAllowed(_("Only bidders of a registered company can submit bids."))
    key = opening_key(trade)
    if key is None:
        raise IllegalMove(_("This trade has no opening key and does not take electronic bids."), code="no_key")
    return call, org, key


def seal_quote(actor: User, trade: Trade, data: bytes, content_digest: str | None) -> FinalQuote:
    """Store a sealed final quote (or its replacement) after the checks the platform can make without the key:
    a well-formed envelope for this trade, bidder field FINAL-<credit code>, the next sequence number as its
    version, sealed to the trade's opening key, exactly the bytes declared (Content-Digest); sign a receipt."""
    _call, org, key = _check_quoting(actor, trade)
    declared = intake.parse_content_digest(content_digest)
    seq = next_seq(trade, org.id)
    data = bytes(data)
    field = bidder_field(org.credit_code)
    try:
        header = envelope_check.check_envelope(io.BytesIO(data), trade.ref, field, seq, key.fingerprint,
                                               MAX_QUOTE_BYTES)
    except envelope.EnvelopeError as exc:
        if exc.code == "wrong_bidder":
            message = _("this envelope was not sealed as your final quote (its bidder field must be %(b)s)", b=field)
        else:
            message = envelope_message(exc, seq)
        raise InvalidInput({"envelope": [message]}, message=None) from None
    if not hmac.compare_digest(header.sha256, declared):
        raise InvalidInput({"envelope": [envelope_message(intake.DigestMismatch(), seq)]}, message=None)
    signing_key = platform_keys.signer("receipt")
    at = now()
    for previous in quotes(trade, org.id):
        if previous.replaced_at is None:
            previous.replaced_at = at
    signed = receipt.sign_receipt({"trade": trade.ref, "bidder": field, "version": seq,
                                   "sha256": header.sha256.hex(), "size": header.size, "received_at": at,
                                   "audit_index": None}, signing_key)
    row = FinalQuote(trade_id=trade.id, organisation_id=org.id, seq=seq, sealed=data, sha256=header.sha256.hex(),
                     size=header.size, submitted_by_id=actor.id, received_at=at,
                     receipt=receipt.receipt_json(signed))
    db.session.add(row)
    trade_id, org_id = trade.id, org.id
    flush_unless_taken(lambda: db.session.scalar(sa.select(FinalQuote.id).where(
        FinalQuote.trade_id == trade_id, FinalQuote.organisation_id == org_id, FinalQuote.seq == seq)) is not None,
        IllegalMove(_("Another final quote numbered %(n)d was stored first: reload the page and seal again.",
                      n=seq), code="seq_taken"))
    return row


# ---- opening ------------------------------------------------------------------------------------------------------

def _after_deadline(trade: Trade):
    call = call_of(trade)
    if call is None:
        raise IllegalMove(_("Final quotes have not been called for yet."), code="not_called")
    if now() < call.deadline:
        raise IllegalMove(_("The final quotes are opened only after their deadline, %(when)s (server time).",
                            when=_when(call.deadline)), code="before_deadline")
    if opening_of(trade) is not None:
        raise IllegalMove(_("The final quotes have already been opened."), code="already_opened")
    return call


def _releasable(actor: User, trade: Trade):
    require("negotiation.release", trade, user=actor)
    holder = keyholder_of(actor, trade)
    _after_deadline(trade)
    key, sealed, personal = holder_share(trade, holder)
    return holder, key, sealed, personal


def share_for(actor: User, trade: Trade) -> dict:
    """What the keyholder's machine needs to open its share (as at the ceremony)."""
    holder, key, sealed, personal = _releasable(actor, trade)
    return share_material(trade, holder, key, sealed, personal)


def release_share(actor: User, trade: Trade, share_bytes: bytes) -> FinalRelease:
    """A keyholder's machine opened their share and sends it: checked against its commitment, then held
    sealed until the final quotes are opened. One share alone opens nothing."""
    holder, key, sealed, _personal = _releasable(actor, trade)
    policy.check_participation(actor, trade, DUTY[holder.side])
    row = db.session.scalar(sa.select(FinalRelease).where(FinalRelease.trade_id == trade.id,
                                                          FinalRelease.keyholder_id == holder.id))
    if row is not None and row.held_share is not None:
        raise IllegalMove(_("You have already released your share."), code="already_released")
    share = released_share(bytes(share_bytes), trade, holder, key, sealed)
    if row is None:
        row = FinalRelease(trade_id=trade.id, keyholder_id=holder.id)
        db.session.add(row)
    row.held_share = seal_held(trade.id, holder.id, share, scope=SCOPE)
    del share
    row.released_at = now()
    trade_id, holder_id = trade.id, holder.id
    flush_unless_taken(lambda: db.session.scalar(sa.select(FinalRelease.id).where(
        FinalRelease.trade_id == trade_id, FinalRelease.keyholder_id == holder_id)) is not None,
        IllegalMove(_("You have already released your share."), code="already_released"))
    return row


def release_counts(trade: Trade) -> dict:
    key = opening_key(trade)
    if key is None:
        return {}
    held = [r for r in releases(trade) if r.held_share is not None]
    return {side.value: {"threshold": threshold, "holders": sum(1 for s in key.shares if s.side is side),
                         "released": sum(1 for r in held if r.keyholder.side is side)}
            for side, threshold in ((Side.EXECUTE, key.execute_threshold), (Side.SUPERVISE, key.supervise_threshold))}


def _body_price(trade: Trade, plaintext: bytes) -> tuple[Decimal | None, str | None]:
    """The price of a decrypted final quote, or None and why it is not this trade's final quote."""
    try:
        form, files = records.decode_bid(io.BytesIO(plaintext))
        amount = records.validate_price(form["price"])
    except (records.BidFormatError, KeyError) as exc:
        return None, getattr(exc, "message", "no price")
    if files or set(form) - {"price", "trade", "note"}:
        return None, "holds more than a price, the trade and a note"
    if form.get("trade") != trade.ref:
        return None, f"names trade {form.get('trade') or '-'}"
    if amount <= 0:
        return None, "the price is not positive"
    return amount, None


def open_quotes(actor: User, trade: Trade) -> FinalOpening:
    """After the deadline, with both thresholds of shares released: rebuild the key in memory, open each
    supplier's last final quote, write the prices and the record, erase the shares. A quote that does not open
    or is not bound to its supplier and this trade is recorded with its reason and has no price (not ranked)."""
    require("negotiation.open", trade, user=actor)
    call = _after_deadline(trade)
    key = opening_key(trade)
    rows = db.session.scalars(sa.select(FinalRelease).where(
        FinalRelease.trade_id == trade.id, FinalRelease.held_share.is_not(None)).with_for_update()).all()
    shares = {Side.EXECUTE: [], Side.SUPERVISE: []}
    for row in rows:
        shares[row.keyholder.side].append(open_held(trade.id, row.keyholder_id, row.held_share, scope=SCOPE))
    missing = {s: t - len(shares[s]) for s, t in ((Side.EXECUTE, key.execute_threshold),
                                                   (Side.SUPERVISE, key.supervise_threshold))}
    if missing[Side.EXECUTE] > 0 or missing[Side.SUPERVISE] > 0:
        raise IllegalMove(_("Not enough shares released to open the final quotes: %(e)d more executing and %(s)d "
                            "more supervising keyholders' shares are needed.", e=max(0, missing[Side.EXECUTE]),
                            s=max(0, missing[Side.SUPERVISE])), code="shares_missing")
    try:
        private = keys.rebuild_opening_key(shares[Side.EXECUTE], shares[Side.SUPERVISE], key.public_key,
                                           execute_threshold=key.execute_threshold,
                                           supervise_threshold=key.supervise_threshold)
    except keys.KeyCustodyError as exc:
        raise IllegalMove(_("The released shares do not rebuild this trade's opening key (%(code)s).",
                            code=exc.code), code="wrong_key") from None
    del shares
    opened = []
    try:
        for org_id, quote in sorted(current_quotes(trade).items()):
            opened.append(_open_one(trade, quote, private))
    finally:
        del private
    at = now()
    record = {
        "kind": "final-quote-opening", "trade": trade.ref, "trade_id": trade.id,
        "deadline": call.deadline.isoformat(), "invited": list(call.invited or []),
        "quotes": opened,
        "released": [{"keyholder": r.keyholder.user.display_name, "side": r.keyholder.side.value,
                      "released_at": r.released_at.isoformat()} for r in rows],
        "opened_at": at.isoformat(), "opened_by": actor.display_name,
    }
    text = canonical_json(record)
    opening = FinalOpening(trade_id=trade.id, opened_at=at, opened_by_id=actor.id, record=text.decode(),
                           record_sha256=hashlib.sha256(text).hexdigest())
    db.session.add(opening)
    trade_id = trade.id
    flush_unless_taken(lambda: db.session.get(FinalOpening, trade_id) is not None,
                       IllegalMove(_("The final quotes have already been opened."), code="already_opened"))
    db.session.execute(sa.update(FinalRelease).where(FinalRelease.trade_id == trade.id).values(held_share=None))
    return opening


def _open_one(trade: Trade, quote: FinalQuote, private) -> dict:
    org = quote.organisation
    out = {"organisation_id": org.id, "supplier": org.name, "seq": quote.seq, "envelope_sha256": quote.sha256,
           "received_at": quote.received_at.isoformat(), "price": None, "problem": None}
    data = bytes(quote.sealed)
    if not hmac.compare_digest(hashlib.sha256(data).hexdigest(), quote.sha256):
        out["problem"] = "the stored envelope does not match its receipt"
        return out
    try:
        header, plaintext = envelope.open_envelope_bytes(data, private)
    except envelope.EnvelopeError as exc:
        out["problem"] = f"does not open ({exc.code})"
        return out
    if (header.trade_ref, header.bidder_id, header.version) != (trade.ref, bidder_field(org.credit_code), quote.seq):
        out["problem"] = "bound to another trade, supplier or number"
        return out
    price, problem = _body_price(trade, bytes(plaintext))
    if price is None:
        out["problem"] = problem
        return out
    quote.price = price
    out["price"] = f"{price:.2f}"
    return out


def opening_record(trade: Trade) -> dict | None:
    opening = opening_of(trade)
    return json.loads(opening.record) if opening else None


def install() -> None:
    """Called by the app factory: the ranking reads the final quotes of these two methods (idempotent)."""
    from bidding.scoring.services import price_source

    price_source(final_prices)
