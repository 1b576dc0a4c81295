"""The opening ceremony (不见面开标): shares released, the key rebuilt in memory, every bid opened
(O20 Art 29-32), the opening record written, hashed and signed by the supervisors.

Released shares are held between the release and the opening in the database, each sealed with
AES-256-GCM under a key derived (HKDF) from the platform's SECRET_KEY and the ceremony, so that
every worker process and host of the platform can complete the ceremony, and a restart loses
nothing. Shares can be released only after the bid deadline (when nothing is secret any more from
the law's point of view but the bids themselves, which then open), and the held copies are erased
in the transaction that opens the bids. The whole private key exists only in memory, in
complete_ceremony.
"""
from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from blinker import Namespace
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from flask_babel import format_datetime, gettext as _

import bidding.ceremony.permissions  # noqa: F401  (registers the ceremony permissions)
from bidding.ceremony import opener
from bidding.ceremony.models import (CeremonyOutcome, EntryStatus, Objection, OpeningCeremony, OpeningEntry,
                                     RecordSignature, ShareRelease)
from bidding.ceremony.permissions import keyholder_of
from bidding.crypto import records
from bidding.keyholders import keys
from bidding.keyholders.models import OpeningKey, PersonalKey, SealedShare, Side
from bidding.keyholders.services import keyholders, opening_key, share_context
from bidding.submission.models import Bid, BidState
from trading.accounts import policy
from trading.accounts.models import LoginAttempt, User
from trading.accounts.services import Throttled
from trading.blobs import blob_store
from trading.canonical import canonical_json
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db
from trading.permissions import can, require
from trading.trades.flows import TradeState
from trading.trades.models import Trade
from trading.trades.services import advance_trade, move

_signals = Namespace()
#: sender=Trade; kwargs: ceremony (OpeningCeremony), actor (User)
ceremony_completed = _signals.signal("ceremony-completed")
#: sender=Trade; kwargs: signature (RecordSignature), actor (User) - a supervisor signed the opening record
record_signed = _signals.signal("record-signed")


MAX_TEXT = 4000


# ---- the held-share store ------------------------------------------------------------------------

def _store_key(ceremony_id: int) -> AESGCM:
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"PRSB held shares v1",
                   info=f"ceremony:{ceremony_id}".encode()).derive(secret)
    return AESGCM(derived)


def _aad(ceremony_id: int, keyholder_id: int) -> bytes:
    return f"PRSB held share|{ceremony_id}|{keyholder_id}".encode()


def _seal_held(ceremony_id: int, keyholder_id: int, share: keys.KeyShare) -> bytes:
    nonce = os.urandom(12)
    return nonce + _store_key(ceremony_id).encrypt(nonce, share.to_bytes(), _aad(ceremony_id, keyholder_id))


def _open_held(ceremony_id: int, keyholder_id: int, sealed: bytes) -> keys.KeyShare:
    return keys.KeyShare.from_bytes(
        _store_key(ceremony_id).decrypt(sealed[:12], sealed[12:], _aad(ceremony_id, keyholder_id)))


def held_keyholders(ceremony_id: int) -> set[int]:
    """Keyholder ids whose released share is held for the ceremony."""
    return set(db.session.scalars(sa.select(ShareRelease.keyholder_id).where(
        ShareRelease.ceremony_id == ceremony_id, ShareRelease.held_share.is_not(None))))


def _take_shares(ceremony_id: int) -> tuple[dict[int, keys.KeyShare], list[ShareRelease]]:
    """Open the held shares. Rows that no longer open (sealed under another secret) are erased at once
    so their keyholders can release again; the others are erased by the caller when the bids open."""
    rows = db.session.scalars(sa.select(ShareRelease).where(
        ShareRelease.ceremony_id == ceremony_id, ShareRelease.held_share.is_not(None)).with_for_update()).all()
    taken, kept = {}, []
    for row in rows:
        try:
            taken[row.keyholder_id] = _open_held(ceremony_id, row.keyholder_id, row.held_share)
            kept.append(row)
        except (InvalidTag, ValueError):
            row.held_share = None
    db.session.flush()
    return taken, kept


def wipe_shares(ceremony_id: int) -> None:
    """Erase a ceremony's held shares."""
    db.session.execute(sa.update(ShareRelease).where(ShareRelease.ceremony_id == ceremony_id)
                       .values(held_share=None))


def on_trade_moved(trade: Trade, new_state=None, **_kw) -> None:
    """Signal listener: a suspended, cancelled or failed trade keeps no released share."""
    if new_state in (TradeState.SUSPENDED, TradeState.CANCELLED, TradeState.FAILED):
        ceremony = ceremony_of(trade)
        if ceremony is not None:
            wipe_shares(ceremony.id)


# ---- reading --------------------------------------------------------------------------------------

def ceremony_of(trade: Trade) -> OpeningCeremony | None:
    return db.session.scalar(sa.select(OpeningCeremony).where(OpeningCeremony.trade_id == trade.id))


def _when(at: datetime | None) -> str:
    return format_datetime(at, "yyyy-MM-dd HH:mm:ss") if at else "—"


def _needed(key: OpeningKey, sides: dict[int, Side], held: set[int]) -> dict[Side, int]:
    """How many more shares of each side are needed, counting only the shares held in memory."""
    count = {s: sum(1 for hid in held if sides.get(hid) is s) for s in Side}
    return {Side.EXECUTE: max(0, key.execute_threshold - count[Side.EXECUTE]),
            Side.SUPERVISE: max(0, key.supervise_threshold - count[Side.SUPERVISE])}


def _text(value: str | None, field: str, *, required: bool = True) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise InvalidInput({field: [_("may not be empty")]})
        return None
    if len(value) > MAX_TEXT:
        raise InvalidInput({field: [_("at most %(n)d characters", n=MAX_TEXT)]})
    return value


# ---- starting and releasing -----------------------------------------------------------------------

def _closed_at_deadline(trade: Trade) -> None:
    """The tick may lag the deadline: make the platform's due moves (bidding → closed) first."""
    if trade.state in (TradeState.ANNOUNCED, TradeState.BIDDING):
        advance_trade(trade)


def start_ceremony(actor: User, trade: Trade) -> OpeningCeremony:
    """Executing staff start the opening, never before the opening time by the server's clock,
    however many shares have been released; the trade moves closed → opening."""
    require("ceremony.run", trade, user=actor)
    _closed_at_deadline(trade)
    if trade.opening_at is None or now() < trade.opening_at:
        raise IllegalMove(_("Not yet: the opening starts at %(when)s (server time).", when=_when(trade.opening_at)),
                          code="too_early")
    if opening_key(trade) is None:
        raise IllegalMove(_("This trade has no opening key: it took no electronic bids."), code="no_key")
    ceremony = ceremony_of(trade)
    if ceremony is not None and ceremony.started_at is not None:
        raise IllegalMove(_("The opening has already started."), code="already_started")
    move(trade, "start_opening", actor)
    if ceremony is None:
        ceremony = OpeningCeremony(trade_id=trade.id, created_at=now())
        db.session.add(ceremony)
    ceremony.started_at, ceremony.started_by_id = now(), actor.id
    db.session.flush()
    return ceremony


def _passphrase_throttle(actor: User, trade: Trade) -> None:
    """A keyholder's session may not guess passphrases: after LOGIN_MAX_FAILURES wrong ones within
    LOGIN_WINDOW_SECONDS the release is refused for the rest of the window."""
    window = now() - timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    failures = db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt).where(
        LoginAttempt.username == f"passphrase:{actor.id}"[:64], LoginAttempt.remote_addr == f"trade:{trade.id}",
        LoginAttempt.at >= window)) or 0
    if failures >= current_app.config["LOGIN_MAX_FAILURES"]:
        raise Throttled(_("Too many wrong passphrases. Try again in %(m)d minutes.",
                          m=current_app.config["LOGIN_WINDOW_SECONDS"] // 60))


def release_share(actor: User, trade: Trade, passphrase: str) -> ShareRelease:
    """A keyholder unlocks their personal key and opens their share, held (sealed) until the bids open.

    Allowed only once the ceremony has started, which itself is refused before the opening time:
    no share exists outside its holder's passphrase before the legal moment of opening.
    """
    require("ceremony.release", trade, user=actor)
    holder = keyholder_of(actor, trade)
    _closed_at_deadline(trade)
    started = ceremony_of(trade)
    if (trade.state is not TradeState.OPENING or started is None or started.started_at is None
            or trade.opening_at is None or now() < trade.opening_at):
        raise IllegalMove(_("Shares are released once the opening has started and until the bids are opened."),
                          code="not_releasable")
    key = opening_key(trade)
    sealed = key and db.session.scalar(sa.select(SealedShare).where(SealedShare.opening_key_id == key.id,
                                                                    SealedShare.keyholder_id == holder.id))
    if sealed is None:
        raise IllegalMove(_("No share of this trade's opening key was sealed to you."), code="no_share")
    ceremony = ceremony_of(trade)
    if ceremony is None:
        ceremony = OpeningCeremony(trade_id=trade.id, created_at=now())
        db.session.add(ceremony)
        db.session.flush()
    if ceremony.finished_at is not None:
        raise IllegalMove(_("The bids have already been opened."), code="finished")
    if holder.id in held_keyholders(ceremony.id):
        raise IllegalMove(_("You have already released your share."), code="already_released")
    personal = db.session.get(PersonalKey, sealed.personal_key_id)  # the key it was sealed to
    _passphrase_throttle(actor, trade)
    try:
        unlocked = keys.unlock_personal_key(personal.protected_key, passphrase or "")
    except keys.WrongPassphrase:
        # kept even though the request fails: guesses are counted across requests and workers
        db.session.rollback()
        db.session.add(LoginAttempt(username=f"passphrase:{actor.id}"[:64], remote_addr=f"trade:{trade.id}",
                                    at=now()))
        db.session.commit()
        raise InvalidInput({"passphrase": [_("this passphrase does not unlock your personal key")]}) from None
    try:
        share = keys.open_share(sealed.sealed, unlocked, share_context(trade, holder))
    except keys.KeyCustodyError as exc:
        raise IllegalMove(_("Your share cannot be opened (%(code)s); please contact the centre.", code=exc.code),
                          code=exc.code) from None
    finally:
        del unlocked
    if share.side != holder.side.value or share.key_fingerprint.hex() != key.fingerprint:
        raise IllegalMove(_("Your share belongs to another key or side."), code="share_mismatch")
    row = db.session.scalar(sa.select(ShareRelease).where(ShareRelease.ceremony_id == ceremony.id,
                                                          ShareRelease.keyholder_id == holder.id))
    if row is None:
        row = ShareRelease(ceremony_id=ceremony.id, keyholder_id=holder.id)
        db.session.add(row)
    row.held_share = _seal_held(ceremony.id, holder.id, share)
    del share
    row.released_at = now()  # a release again (e.g. after the platform secret changed): the latest counts
    db.session.flush()
    return row


# ---- opening the bids ------------------------------------------------------------------------------

REASONS = {
    "blob_unreadable": "平台原因：平台保存的投标文件缺失或无法读取",
    "read_failed": "平台原因：读取投标文件时出错",
    "blob_altered": "平台原因：平台保存的投标文件与回执记载的哈希不一致",
    "platform_error": "平台原因：开标程序出错",
    "wrong_binding": "平台原因：平台记载的项目、投标人或版本与接收时核验的投标文件不符",
}


def _result(outcome: opener.Outcome) -> dict:
    """An opener outcome as the ceremony records it, with the reason in the record's language."""
    if outcome.status == "opened":
        form = outcome.form or {}
        return {"status": EntryStatus.OPENED, "reason_code": None, "reason": None,
                "price": records.validate_price(form["price"]),
                "figures": {k: v for k, v in form.items() if k != "price"},
                "plaintext_sha256": outcome.plaintext_sha256, "files": outcome.files}
    status = EntryStatus.REVOKED if outcome.status == "revoked" else EntryStatus.WITHDRAWN
    reason = REASONS.get(outcome.code or "")
    if reason is None:
        reason = (f"投标人原因：投标文件无法用本项目开标密钥解密或内容格式错误（{outcome.code}: {outcome.detail}）"
                  if status is EntryStatus.REVOKED else f"平台原因：{outcome.detail}")
    return {"status": status, "reason_code": outcome.code, "reason": reason}


def _open_bids(trade: Trade, bids: list[Bid], private_key) -> list[dict]:
    """Open every bid (O20 Art 31: the bidder's fault → revoked, the platform's → withdrawn); one
    failure never stops the others."""
    store = blob_store()
    jobs = [opener.Job(path=str(store.path(bid.sha256)), expected_sha256=bid.sha256, trade_ref=trade.ref,
                       bidder_id=bid.organisation.credit_code, version=bid.version) for bid in bids]
    return [_result(o) for o in opener.open_all(jobs, private_key)]


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def complete_ceremony(actor: User, trade: Trade) -> OpeningCeremony:
    """Rebuild the key from the held shares, open every submitted bid, decide opened or failed (流标),
    write the canonical opening record and its SHA-256, and forget the shares and the key."""
    require("ceremony.run", trade, user=actor)
    ceremony = db.session.scalar(sa.select(OpeningCeremony).where(OpeningCeremony.trade_id == trade.id)
                                 .with_for_update().execution_options(populate_existing=True))
    if ceremony is None or ceremony.started_at is None:
        raise IllegalMove(_("The opening has not started."), code="not_started")
    if ceremony.finished_at is not None:
        raise IllegalMove(_("The bids have already been opened."), code="finished")
    if trade.opening_at is None or now() < trade.opening_at or trade.state is not TradeState.OPENING:
        raise IllegalMove(_("This trade is not being opened."), code="not_opening")
    key = opening_key(trade)
    sides = {h.id: h.side for h in keyholders(trade)}
    taken, kept = _take_shares(ceremony.id)
    needed = _needed(key, sides, set(taken))
    if any(needed.values()):
        db.session.commit()  # keep the erasure of unreadable shares: their holders release again
        raise IllegalMove(_("Not enough shares released: %(e)d more executing and %(s)d more supervising "
                            "keyholder(s) needed.", e=needed[Side.EXECUTE], s=needed[Side.SUPERVISE]),
                          code="not_enough_shares")
    exec_shares = [s for hid, s in taken.items() if sides.get(hid) is Side.EXECUTE]
    sup_shares = [s for hid, s in taken.items() if sides.get(hid) is Side.SUPERVISE]
    try:
        private = keys.rebuild_opening_key(exec_shares, sup_shares, key.public_key,
                                           execute_threshold=key.execute_threshold,
                                           supervise_threshold=key.supervise_threshold)
    except keys.KeyCustodyError as exc:
        for row in kept:
            row.held_share = None
        db.session.commit()  # keep the erasure: the keyholders release again
        raise IllegalMove(_("The released shares do not rebuild the published opening key (%(code)s); the "
                            "keyholders must release their shares again.", code=exc.code), code=exc.code) from None
    finally:
        taken.clear()
        exec_shares.clear()
        sup_shares.clear()
    for row in kept:  # erased in the transaction that opens the bids
        row.held_share = None
    bids = db.session.scalars(sa.select(Bid).where(Bid.trade_id == trade.id, Bid.state == BidState.SUBMITTED)
                              .options(selectinload(Bid.organisation))
                              .order_by(Bid.received_at, Bid.id)).all()
    try:
        results = list(zip(bids, _open_bids(trade, bids, private)))
    finally:
        del private
    at = now()
    for bid, result in results:
        db.session.add(OpeningEntry(
            ceremony=ceremony, bid_id=bid.id, organisation_id=bid.organisation_id, status=result["status"],
            price=result.get("price"), figures=result.get("figures"), files=result.get("files"),
            plaintext_sha256=result.get("plaintext_sha256"), reason=result["reason"]))
    valid = sum(1 for _bid, r in results if r["status"] is EntryStatus.OPENED)
    limit = trade.rule_set.limit("min_bids")
    minimum = int(limit.value) if limit else 1
    if valid < minimum:
        source = f"（{limit.source.zh}）" if limit else ""
        ceremony.outcome = CeremonyOutcome.FAILED
        ceremony.reason = f"有效投标{valid}家，不足{minimum}家，流标{source}"
        move(trade, "fail", actor, reason=ceremony.reason)
    else:
        ceremony.outcome = CeremonyOutcome.OPENED
        move(trade, "finish_opening", actor)
    ceremony.finished_at, ceremony.finished_by_id = at, actor.id
    record = _record(trade, key, ceremony, results, valid, minimum)
    data = canonical_json(record)
    ceremony.record, ceremony.record_sha256 = data.decode("utf-8"), hashlib.sha256(data).hexdigest()
    db.session.flush()
    ceremony_completed.send(trade, ceremony=ceremony, actor=actor)
    return ceremony


def _record(trade: Trade, key: OpeningKey, ceremony: OpeningCeremony, results, valid: int, minimum: int) -> dict:
    """The opening record (O20 Art 29-32): what a bidder or auditor needs to check the opening."""
    holders = {h.id: h for h in keyholders(trade)}
    bids = []
    for bid, r in results:
        org = bid.organisation
        bids.append({
            "bidder": org.name, "credit_code": org.credit_code, "version": bid.version,
            "envelope_sha256": bid.sha256, "envelope_size": bid.size, "received_at": _iso(bid.received_at),
            "status": r["status"].value, "price": f"{r['price']:.2f}" if r.get("price") is not None else None,
            "figures": r.get("figures"), "files": r.get("files"), "plaintext_sha256": r.get("plaintext_sha256"),
            "reason_code": r["reason_code"], "reason": r["reason"]})
    releases = [{"keyholder": holders[row.keyholder_id].user.display_name, "user_id": holders[row.keyholder_id].user_id,
                 "side": holders[row.keyholder_id].side.value, "released_at": _iso(row.released_at)}
                for row in ceremony.releases]
    return {
        "format": "opening-record/1",
        "trade": {"id": trade.id, "ref": trade.ref, "title": trade.title, "method": trade.method,
                  "centre": trade.centre.name_zh, "tenderer": trade.tenderer.name},
        "opening_key_fingerprint": key.fingerprint,
        "opening_at": _iso(trade.opening_at), "started_at": _iso(ceremony.started_at),
        "finished_at": _iso(ceremony.finished_at),
        "outcome": ceremony.outcome.value, "reason": ceremony.reason,
        "min_bids": minimum, "valid_bids": valid, "bids": bids, "releases": releases,
        "thresholds": {"execute": key.execute_threshold, "supervise": key.supervise_threshold},
    }


def opening_record(trade: Trade) -> tuple[dict, str] | None:
    """The stored record (parsed) and its SHA-256, once the ceremony is complete."""
    ceremony = ceremony_of(trade)
    if ceremony is None or ceremony.record is None:
        return None
    return json.loads(ceremony.record), ceremony.record_sha256


# ---- objections and signatures ---------------------------------------------------------------------

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


def sign_record(actor: User, trade: Trade, dissent: str | None = None) -> RecordSignature:
    """A supervisor signs the record's SHA-256, with their dissent if they have one."""
    require("ceremony.sign", trade, user=actor)
    ceremony = ceremony_of(trade)
    if ceremony is None or ceremony.record_sha256 is None:
        raise IllegalMove(_("There is no opening record to sign yet."), code="no_record")
    policy.join(actor, trade, "supervisor")  # a supervisor tied to a bidder may not sign
    if db.session.scalar(sa.select(RecordSignature).where(RecordSignature.ceremony_id == ceremony.id,
                                                          RecordSignature.user_id == actor.id)):
        raise IllegalMove(_("You have already signed this record."), code="already_signed")
    row = RecordSignature(ceremony=ceremony, user_id=actor.id, record_sha256=ceremony.record_sha256,
                          signed_at=now(), dissent=_text(dissent, "dissent", required=False))
    db.session.add(row)
    db.session.flush()
    record_signed.send(trade, signature=row, actor=actor)
    return row


# ---- the live state ---------------------------------------------------------------------------------

def ceremony_view(viewer: User, trade: Trade) -> dict:
    """What a permitted viewer sees. Until the record exists, who bid stays with those allowed the
    bidder list (trade.bidders); a bidder always sees their own objections."""
    require("ceremony.view", trade, user=viewer)
    ceremony = ceremony_of(trade)
    key = opening_key(trade)
    out: dict = {"trade_ref": trade.ref, "state": trade.state.value, "opening_at": trade.opening_at,
                 "started": bool(ceremony and ceremony.started_at), "started_at": ceremony and ceremony.started_at,
                 "finished_at": ceremony and ceremony.finished_at,
                 "outcome": ceremony.outcome.value if ceremony and ceremony.outcome else None,
                 "reason": ceremony and ceremony.reason, "releases": [], "objections": [], "entries": None,
                 "record_sha256": ceremony and ceremony.record_sha256, "signatures": []}
    if key is None:
        return out
    held = held_keyholders(ceremony.id) if ceremony else set()
    holders = {h.id: h for h in keyholders(trade)}
    released = {r.keyholder_id: r for r in (ceremony.releases if ceremony else [])}
    for side, threshold in ((Side.EXECUTE, key.execute_threshold), (Side.SUPERVISE, key.supervise_threshold)):
        ids = [hid for hid, h in holders.items() if h.side is side]
        out.setdefault("sides", {})[side.value] = {
            "threshold": threshold, "holders": len(ids),
            "released": sum(1 for hid in ids if hid in held or (ceremony and ceremony.finished_at and hid in released)),
        }
    out["releases"] = [{"keyholder": holders[hid].user.display_name, "side": holders[hid].side.value,
                        "released_at": row.released_at, "held": hid in held}
                       for hid, row in released.items() if hid in holders]
    finished = bool(ceremony and ceremony.finished_at)
    insider = can(viewer, "trade.bidders", trade)
    for o in (ceremony.objections if ceremony else []):
        own = viewer.organisation_id == o.organisation_id
        out["objections"].append({
            "id": o.id, "bidder": o.organisation.name if (finished or insider or own) else None, "own": own,
            "text": o.text, "at": o.at, "answer": o.answer, "answered_at": o.answered_at})
    if finished:
        out["entries"] = [{"bidder": e.organisation.name, "status": e.status.value,
                           "price": f"{e.price:.2f}" if e.price is not None else None, "figures": e.figures,
                           "plaintext_sha256": e.plaintext_sha256, "reason": e.reason} for e in ceremony.entries]
        out["signatures"] = [{"supervisor": s.user.display_name, "signed_at": s.signed_at, "dissent": s.dissent,
                              "record_sha256": s.record_sha256} for s in ceremony.signatures]
    return out
