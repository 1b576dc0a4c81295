"""Opening the bids: the key rebuilt in memory from the held shares, every bid opened (O20 Art
29-32), the outcome decided, and the canonical opening record written and hashed. The whole
private key exists only in memory, in complete_ceremony."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from flask_babel import gettext as _

from bidding.ceremony import opener
from bidding.ceremony.models import CeremonyOutcome, EntryStatus, OpeningCeremony, OpeningEntry
from bidding.ceremony.shares import _take_shares
from bidding.ceremony.too_few import fail_if_too_few
from bidding.ceremony.state import CEREMONY, _needed, ceremony_completed, ceremony_of, check_not_timed_out
from bidding.crypto import records
from bidding.custody import services as custody
from bidding.keyholders import keys
from bidding.keyholders.models import OpeningKey, Side
from bidding.keyholders.services import keyholders, opening_key
from bidding.submission.models import Bid, BidState
from trading.accounts.models import User
from trading.blobs import blob_store
from trading.canonical import canonical_json
from trading.clock import now
from trading.errors import IllegalMove
from trading.extensions import db
from trading.permissions import require
from trading.trades.flows import TradeState
from trading.trades.models import Trade
from trading.trades.services import move


REASONS = {
    "blob_unreadable": "平台原因：平台保存的投标文件缺失或无法读取",
    "read_failed": "平台原因：读取投标文件时出错",
    "blob_altered": "平台原因：平台保存的投标文件与回执记载的哈希不一致",
    "platform_error": "平台原因：开标程序出错",
    "wrong_binding": "平台原因：平台记载的项目、投标人或版本与接收时核验的投标文件不符",
    "keep_failed": "平台原因：保存已解密的投标文件时出错",
}


def _result(outcome: opener.Outcome) -> dict:
    """An opener outcome as the ceremony records it, with the reason in the record's language."""
    if outcome.status == "opened":
        form = outcome.form or {}
        return {"status": EntryStatus.OPENED, "reason_code": None, "reason": None,
                "price": records.validate_price(form["price"]),
                "figures": {k: v for k, v in form.items() if k != "price"},
                "plaintext_sha256": outcome.plaintext_sha256, "files": outcome.files, "kept": outcome.kept}
    status = EntryStatus.REVOKED if outcome.status == "revoked" else EntryStatus.WITHDRAWN
    reason = REASONS.get(outcome.code or "")
    if reason is None:
        reason = (f"投标人原因：投标文件无法用本项目开标密钥解密或内容格式错误（{outcome.code}: {outcome.detail}）"
                  if status is EntryStatus.REVOKED else f"平台原因：{outcome.detail}")
    return {"status": status, "reason_code": outcome.code, "reason": reason}


def _open_bids(trade: Trade, bids: list[Bid], private_key) -> list[dict]:
    """Open every bid (O20 Art 31: the bidder's fault → revoked, the platform's → withdrawn); one
    failure never stops the others. Each opened bid's files are kept, encrypted (bidding.custody)."""
    store = blob_store()
    kek = custody.custody_kek()
    jobs = [opener.Job(path=str(store.path(bid.sha256)), expected_sha256=bid.sha256, trade_ref=trade.ref,
                       bidder_id=bid.organisation.credit_code, version=bid.version,
                       keep=custody.keeper(trade, bid.organisation.credit_code, bid.version, kek)) for bid in bids]
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
    check_not_timed_out(ceremony)
    if fail_if_too_few(actor, trade, ceremony):  # Law 28, Reg 44: the key is never rebuilt, no bid decrypted
        return ceremony
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
    custody.keep_documents(trade, [(bid, r["kept"]) for bid, r in results if r.get("kept")])
    valid = sum(1 for _bid, r in results if r["status"] is EntryStatus.OPENED)
    limit = trade.rule_set.limit("min_bids")
    minimum = int(limit.value) if limit else 1
    if valid < minimum:
        source = f"（{limit.source.zh}）" if limit else ""
        ceremony.outcome = CeremonyOutcome.FAILED
        ceremony.reason = f"有效投标{valid}家，不足{minimum}家，流标{source}"
        move(trade, "fail", actor, reason=ceremony.reason, by=CEREMONY.key)
    else:
        ceremony.outcome = CeremonyOutcome.OPENED
        move(trade, "finish_opening", actor, by=CEREMONY.key)
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
