"""Signed checkpoints of the log: the signing key, signing (size, root, time), the periodic tick."""
from __future__ import annotations

import base64
import hashlib

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from monitor.audit import merkle
from monitor.audit.entries import canonical, iso
from monitor.audit.models import Checkpoint
from monitor.audit.tree import head
from monitor.audit.writes import _lock_head
from trading.clock import now
from trading.extensions import db

# ---- checkpoints ------------------------------------------------------------------------------

def signing_key(session: Session | None = None):
    """The checkpoint key from configuration, refused (503) unless it is the published one."""
    from trading.platform_keys.services import signer

    return signer("audit", session)


def public_key_info() -> dict:
    """The key checkpoints verify against: the published one (this host's before the first checkpoint)."""
    from trading.platform_keys.services import public_key, raw_public

    raw = raw_public(public_key("audit"))
    return {"alg": "Ed25519", "public_key": base64.b64encode(raw).decode(), "key_id": key_id(raw)}


def key_id(raw_public: bytes) -> str:
    return hashlib.sha256(raw_public).digest()[:16].hex()


def log_origin() -> str:
    return current_app.config.get("AUDIT_ORIGIN") or "public-resource-trading-platform"


def sign_checkpoint(reason: str, session: Session | None = None) -> Checkpoint:
    """Sign (size, root, time) of the log as of this transaction and store it in the same transaction."""
    from trading.platform_keys.services import raw_public

    session = session or db.session
    key = signing_key(session)  # first: publishing the key is itself an entry, before the head is read
    info = {"key_id": key_id(raw_public(key))}
    conn = session.connection()
    size, frontier, _prev = _lock_head(conn, 0)
    root = merkle.frontier_root(frontier)
    at = now()
    body = canonical({"origin": log_origin(), "size": size, "root": root.hex(), "at": iso(at),
                      "key_id": info["key_id"]})
    signature = key.sign(body)
    row = Checkpoint(size=size, root=root, at=at, reason=reason[:32], body=body.decode("utf-8"),
                     key_id=info["key_id"], signature=signature)
    session.add(row)
    session.flush()
    return row


def latest_checkpoint(session: Session | None = None) -> Checkpoint | None:
    return (session or db.session).scalar(sa.select(Checkpoint).order_by(Checkpoint.id.desc()).limit(1))


def checkpoint_json(cp: Checkpoint) -> dict:
    return {"id": cp.id, "size": cp.size, "root": bytes(cp.root).hex(), "at": iso(cp.at), "reason": cp.reason,
            "body": cp.body, "key_id": cp.key_id, "signature": base64.b64encode(bytes(cp.signature)).decode()}


def scheduled_checkpoint() -> Checkpoint | None:
    """The periodic tick: sign when the log grew since the last checkpoint and enough time passed."""
    seconds = float(current_app.config.get("AUDIT_CHECKPOINT_SECONDS", 300))
    last = latest_checkpoint()
    size, _root = head()
    if last is not None and (last.size == size or (now() - last.at).total_seconds() < seconds):
        return None
    if last is None and size == 0:
        return None
    cp = sign_checkpoint("schedule")
    db.session.commit()
    return cp
