"""Operations on sealed bids: appointing keyholders, enrolling personal keys, the opening key at
approval, and receiving envelopes with signed receipts."""
from __future__ import annotations

import hmac
import json
from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa
from blinker import Namespace
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l

from bidding import envelope, envelope_check, intake, keys, receipt
from bidding.models import Bid, BidState, Keyholder, OpeningKey, PersonalKey, SealedShare, Side
from trading.accounts import policy
from trading.accounts.models import OrgKind, User
from trading.accounts.roles import Role
from trading.blobs import BlobRefused, blob_store
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput, NotAllowed
from trading.extensions import db
from trading.keyfiles import ed25519_key
from trading.permissions import require
from trading.signals import audit_index_of, sensitive_read
from trading.trades.flows import TradeState
from trading.trades.models import Trade

DUTY = {Side.EXECUTE: "executing_keyholder", Side.SUPERVISE: "supervising_keyholder"}

_signals = Namespace()
#: sender=Trade; kwargs: bid, actor  (the audit log of issue 4 listens)
bid_submitted = _signals.signal("bid-submitted")
#: sender=Trade; kwargs: bid, actor
bid_withdrawn = _signals.signal("bid-withdrawn")
#: sender=Trade; kwargs: received_at, organisation_id. The last byte of an upload is in and the
#: envelope checked; the stage is read again and the bid stored next (races are ordered on it)
upload_received = _signals.signal("bid-upload-received")


# ---- keyholders and personal keys -------------------------------------------------------------

def appoint_keyholders(actor: User, trade: Trade, execute_ids: list[int], supervise_ids: list[int]) -> list[Keyholder]:
    """The decision branch names k-of-n executing and m-of-p supervising keyholders before approval."""
    require("trade.keyholders", trade, user=actor)
    if trade.state not in (TradeState.DRAFT, TradeState.SUBMITTED):
        raise IllegalMove(_("Keyholders are appointed before the trade is approved."))
    errors: dict[str, list[str]] = {}
    k, m = trade.centre.keyholders_execute, trade.centre.keyholders_supervise
    if len(set(execute_ids)) < k:
        errors["execute"] = [_("appoint at least %(n)d executing keyholders", n=k)]
    if len(set(supervise_ids)) < m:
        errors["supervise"] = [_("appoint at least %(n)d supervising keyholders", n=m)]
    if set(execute_ids) & set(supervise_ids):
        errors["supervise"] = [_("one person cannot hold both halves of the key")]
    if errors:
        raise InvalidInput(errors)
    db.session.execute(sa.delete(Keyholder).where(Keyholder.trade_id == trade.id))
    rows = []
    for side, ids in ((Side.EXECUTE, execute_ids), (Side.SUPERVISE, supervise_ids)):
        for uid in dict.fromkeys(ids):
            user = db.session.get(User, uid)
            if user is None:
                raise InvalidInput({side.value: [_("no such user: %(id)s", id=uid)]})
            policy.join(user, trade, DUTY[side])
            row = Keyholder(trade_id=trade.id, user_id=user.id, side=side, appointed_by_id=actor.id,
                            appointed_at=now())
            db.session.add(row)
            rows.append(row)
    db.session.flush()
    return rows


def keyholder_view(trade: Trade) -> list[Keyholder]:
    """Keyholders with an `enrolled` flag for display."""
    rows = keyholders(trade)
    for row in rows:
        row.enrolled = active_personal_key(row.user_id) is not None
    return rows


def bidder_list_read(viewer: User, trade: Trade) -> None:
    """Seeing who bid is a sensitive read: signalled for the audit log."""
    sensitive_read.send(trade, viewer=viewer, what="bidders")


def keyholders(trade: Trade) -> list[Keyholder]:
    return list(db.session.scalars(sa.select(Keyholder).where(Keyholder.trade_id == trade.id)
                                   .order_by(Keyholder.side, Keyholder.id)))


def active_personal_key(user_id: int) -> PersonalKey | None:
    return db.session.scalar(sa.select(PersonalKey).where(PersonalKey.user_id == user_id,
                                                          PersonalKey.retired_at.is_(None))
                             .order_by(PersonalKey.id.desc()))


def enrol_personal_key(user: User, passphrase: str) -> PersonalKey:
    """A new personal key under a passphrase only the holder knows; the previous one is retired."""
    if not (user.centres_for(Role.CENTRE_STAFF) or user.centres_for(Role.ADMIN_SUPERVISOR)
            or user.centres_for(Role.SOCIAL_SUPERVISOR)):
        raise NotAllowed(_("Only executing staff and supervisors hold opening keys."))
    cost = current_app.config.get("PERSONAL_KEY_ARGON2") or {}
    try:
        public, protected = keys.enrol_personal_key(passphrase or "", params=keys.Argon2Params(**cost))
    except keys.WeakPassphrase as exc:
        raise InvalidInput({"passphrase": [_("at least %(n)d characters", n=exc.minimum)]}) from None
    old = active_personal_key(user.id)
    if old is not None:
        old.retired_at = now()
    row = PersonalKey(user_id=user.id, public_key=public, protected_key=protected, created_at=now())
    db.session.add(row)
    db.session.flush()
    return row


# ---- the opening key ----------------------------------------------------------------------------

def share_context(trade: Trade, holder: Keyholder) -> bytes:
    return f"PRSB-v1 share|{trade.ref}|{holder.user_id}|{holder.side.value}".encode()


def create_opening_key(trade: Trade) -> OpeningKey | None:
    """Generate the key pair, split the private key (A xor B, each Shamir-split) and seal each share
    to its holder. The whole private key is never stored and leaves this function's memory."""
    holders = keyholders(trade)
    if not holders:
        return None
    by_side = {s: [h for h in holders if h.side is s] for s in Side}
    personal = {}
    for h in holders:
        pk = active_personal_key(h.user_id)
        if pk is None:
            raise IllegalMove(_("Keyholder %(name)s has not enrolled a personal key yet.",
                                name=h.user.display_name), code="keyholder_not_enrolled")
        personal[h.id] = pk
    k = min(trade.centre.keyholders_execute, len(by_side[Side.EXECUTE]))
    m = min(trade.centre.keyholders_supervise, len(by_side[Side.SUPERVISE]))
    private = keys.generate_opening_key()
    public, exec_shares, sup_shares = keys.split_opening_key(
        private, execute=(k, len(by_side[Side.EXECUTE])), supervise=(m, len(by_side[Side.SUPERVISE])))
    del private
    raw = envelope.public_key_bytes(public)
    row = OpeningKey(trade_id=trade.id, public_key=raw, fingerprint=envelope.fingerprint(public).hex(),
                     execute_threshold=k, supervise_threshold=m, created_at=now())
    db.session.add(row)
    for side, shares in ((Side.EXECUTE, exec_shares), (Side.SUPERVISE, sup_shares)):
        for holder, share in zip(by_side[side], shares):
            pk = personal[holder.id]
            sealed = keys.seal_share(share, pk.public_key, share_context(trade, holder))
            row.shares.append(SealedShare(keyholder_id=holder.id, personal_key_id=pk.id, side=side, sealed=sealed))
    db.session.flush()
    return row


def opening_key(trade: Trade) -> OpeningKey | None:
    return db.session.scalar(sa.select(OpeningKey).where(OpeningKey.trade_id == trade.id))


def on_trade_moved(trade: Trade, move: str, **_kw) -> None:
    """Signal listener: approving a sealed-bid trade creates its opening key in the same transaction."""
    if move == "approve" and trade.flow.key == "tender" and opening_key(trade) is None:
        create_opening_key(trade)


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
    last = latest_bid(trade, organisation_id)
    return (last.version if last else 0) + 1


def latest_bid(trade: Trade, organisation_id: int) -> Bid | None:
    """The company's highest bid version for this trade (whatever its state)."""
    return db.session.scalar(sa.select(Bid).where(Bid.trade_id == trade.id, Bid.organisation_id == organisation_id)
                             .order_by(Bid.version.desc()).limit(1))


def stored_envelopes() -> list[str]:
    """Digests of the blobs bids refer to (the blob sweep spares them)."""
    return list(db.session.scalars(sa.select(Bid.sha256).distinct()))


def _open_for_bids(trade: Trade) -> None:
    at = now()
    if trade.bid_deadline is None or at >= trade.bid_deadline:
        raise IllegalMove(_("The bid deadline has passed."), code="deadline_passed")
    if trade.state is not TradeState.BIDDING:
        raise IllegalMove(_("This trade is not open for bids."), code="not_open")


def _still_takes(trade: Trade, state: TradeState, received_at) -> bool:
    """After the upload: the time its last byte arrived decides, not the stage now. The closing
    tick may have run while the envelope was being checked; suspended or cancelled meanwhile is no."""
    return state is TradeState.BIDDING or (state is TradeState.CLOSED and received_at < trade.bid_deadline)


def submit_bid(actor: User, trade: Trade, stream: BinaryIO, content_digest: str | None) -> Bid:
    """Store an envelope after checking it is well formed for this trade and bidder and that it is
    the one the sealer sent (its RFC 9530 `Content-Digest`); sign a receipt. One pass: the checks
    run on the bytes as they are written to the blob store. Sending again an envelope already
    stored (its answer was lost) answers with the bid and receipt already given."""
    org = bidder_organisation(actor)
    _open_for_bids(trade)
    key = opening_key(trade)
    if key is None:
        raise IllegalMove(_("This trade has no opening key and does not take electronic bids."), code="no_key")
    latest = latest_bid(trade, org.id)
    version = (latest.version if latest else 0) + 1
    resend = latest if latest is not None and latest.state is BidState.SUBMITTED else None
    limit = current_app.config.get("MAX_BID_BYTES", current_app.config["MAX_CONTENT_LENGTH"])
    try:
        declared = intake.parse_content_digest(content_digest)
    except InvalidInput:
        intake.drain(stream, limit)  # answer only once the client has sent all: it then reads the reason
        raise
    check = envelope_check.ReceiptCheck(trade.ref, org.credit_code, version, key.fingerprint, limit,
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
        return resend  # the same envelope again: the same bid, the same receipt
    # the upload may have taken a while: suspended, cancelled or closed meanwhile? (one column, not a refresh)
    state = db.session.scalar(sa.select(Trade.state).where(Trade.id == trade.id))
    if not _still_takes(trade, state, received[0]):
        intake.discard_unless_referenced(digest)
        raise IllegalMove(_("This trade is not open for bids."), code="not_open")
    bid = Bid(trade_id=trade.id, organisation_id=org.id, submitted_by_id=actor.id, version=version,
              sha256=digest, size=size, received_at=received[0], receipt="")
    try:
        with db.session.begin_nested():  # the replacement and the new row stand or fall together
            db.session.execute(sa.update(Bid).where(Bid.trade_id == trade.id, Bid.organisation_id == org.id,
                                                    Bid.state == BidState.SUBMITTED).values(state=BidState.REPLACED))
            db.session.add(bid)
            db.session.flush()
    except sa.exc.IntegrityError:  # another upload of the same company stored this version first
        winner = db.session.scalar(sa.select(Bid).where(Bid.trade_id == trade.id, Bid.organisation_id == org.id,
                                                        Bid.version == version))
        if winner is not None and winner.sha256 == digest and winner.size == size:
            return winner  # the same envelope, sent twice at once: one bid, one receipt
        intake.discard_unless_referenced(digest)
        raise IllegalMove(_("Another upload of bid version %(v)d was stored first; reload the page and seal "
                            "your bid again as version %(n)d.", v=version, n=version + 1),
                          code="version_taken") from None
    signed = receipt.sign_receipt({"trade": trade.ref, "bidder": org.credit_code, "version": version,
                                   "sha256": digest, "size": size, "received_at": received[0],
                                   "audit_index": audit_index_of(bid)}, receipt_private_key())
    bid.receipt = json.dumps(signed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
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


def publish_fingerprint(trade: Trade, actor, record) -> None:
    """Publishing a sealed-bid trade publishes its opening key's fingerprint with the notice, so
    every bidder can check the key their envelope is sealed to (after_move consequence of publish)."""
    from trading.notices.models import Notice, NoticeKind

    key = opening_key(trade)
    if key is None:
        return
    notice = db.session.scalar(sa.select(Notice).where(Notice.trade_id == trade.id,
                                                       Notice.kind == NoticeKind.ANNOUNCEMENT)
                               .order_by(Notice.id.desc()))
    if notice is not None and key.fingerprint not in notice.body:
        notice.body += f"\n开标公钥指纹（SHA-256）：{key.fingerprint}\n开标公钥：/api/v1/trades/{trade.id}/opening-key"


def publish_sealed_tender(trade: Trade, *, clerk: User, decider: User, executing: list[User],
                          supervising: list[User]) -> Trade:
    """The road of a sealed-bid tender to market: the decision branch appoints the keyholders (who
    must have enrolled), the clerk submits, the decision branch approves (which makes and splits
    the opening key), the clerk publishes. Demo data, benchmarks and end-to-end tests share it."""
    from trading.trades.services import move

    appoint_keyholders(decider, trade, [u.id for u in executing], [u.id for u in supervising])
    for name, actor in (("submit", clerk), ("approve", decider), ("publish", clerk)):
        move(trade, name, actor)
    return trade
