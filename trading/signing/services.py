"""Signing keys (register, revoke, publish) and signed statements (issue the bytes to sign, accept a signature).

The layers above name what is signed: each registers, in STATEMENTS, a function that turns a
request ({"trade_id": 7, "dissent": ...}) into the subject, decision and dissent of a statement of
its kind, and calls `accept` with the same expectations before it stores a signed act. Nothing here
knows trades' ceremonies, sign-offs or checkpoints.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from trading.accounts.models import User
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db, flush_unless_taken
from trading.permissions import require
from trading.signing import statements as st
from trading.signing.models import SigningKey


@dataclass(frozen=True)
class Expected:
    """What the statement must say, as the service about to store the act sees it."""

    subject: dict
    decision: str = "signed"
    dissent: str | None = None


@dataclass(frozen=True)
class Signed:
    """A statement as stored beside the act it signs."""

    statement: str
    signature: bytes
    key: str

    def as_columns(self) -> dict:
        return {"statement": self.statement, "signature": self.signature, "key_fingerprint": self.key}

    def as_entry(self) -> dict:
        """What an audit entry records of it: the statement's SHA-256, the signature (hex), the key."""
        return {"statement_sha256": hashlib.sha256(self.statement.encode("utf-8")).hexdigest(),
                "signature": self.signature.hex(), "key": self.key}


#: kind -> (user, request params) -> Expected; filled by bidding (opening-record) and monitor
STATEMENTS: dict[str, Callable[[User, dict], Expected]] = {}


def max_age() -> timedelta:
    """How long an issued statement may be signed and posted (a signature is meant to be made now)."""
    return timedelta(seconds=int(current_app.config.get("SIGNING_STATEMENT_SECONDS", 900)))


# ---- keys -------------------------------------------------------------------------------------------

def key_in_force(user_id: int, at=None) -> SigningKey | None:
    at = at or now()
    rows = db.session.scalars(sa.select(SigningKey).where(SigningKey.user_id == user_id)
                              .order_by(SigningKey.id.desc())).all()
    return next((k for k in rows if k.valid_at(at)), None)


def register_key(user: User, public_key: str, label: str | None = None) -> SigningKey:
    """Publish `user`'s new public key (made on their machine); the key in force before ends now."""
    require("signing.register", user=user)
    try:
        der = st.public_der(public_key)
    except st.BadKey:
        raise InvalidInput({"public_key": [_("must be an ECDSA P-256 public key: PEM, or base64 of its DER "
                                             "SubjectPublicKeyInfo")]}) from None
    fp = st.fingerprint(der)
    exists = lambda: db.session.scalar(sa.select(SigningKey.id).where(SigningKey.fingerprint == fp)) is not None  # noqa: E731
    conflict = IllegalMove(_("This key is already registered: make a new key rather than reuse one."),
                           code="key_exists")
    if exists():
        raise conflict
    at = now()
    old = key_in_force(user.id, at)
    if old is not None:
        old.valid_until = at
    row = SigningKey(user_id=user.id, alg=st.ALG, public_key=der, fingerprint=fp,
                     label=(label or "").strip()[:100] or None, created_at=at, valid_from=at)
    db.session.add(row)
    flush_unless_taken(exists, conflict)  # the same key registered twice at once: 409, not 500
    return row


def revoke_key(user: User, fingerprint: str, reason: str | None = None) -> SigningKey:
    """The owner withdraws a key (lost, copied): signatures made with it from now on are refused."""
    row = db.session.scalar(sa.select(SigningKey).where(SigningKey.fingerprint == fingerprint,
                                                        SigningKey.user_id == user.id))
    if row is None:
        raise InvalidInput({"fingerprint": [_("is not one of your keys")]})
    if row.revoked_at is not None:
        raise IllegalMove(_("This key is already revoked."), code="already_revoked")
    row.revoked_at, row.revoked_reason = now(), (reason or "").strip()[:2000] or None
    db.session.flush()
    return row


def published_keys() -> list[SigningKey]:
    return list(db.session.scalars(sa.select(SigningKey).order_by(SigningKey.id)))


def key_json(k: SigningKey) -> dict:
    """The published form (the public page, the API and the audit export's signing-keys.json)."""
    return {"fingerprint": k.fingerprint, "alg": k.alg, "user_id": k.user_id,
            "user": k.user.display_name if k.user else None,
            "public_key": base64.b64encode(bytes(k.public_key)).decode(),
            "created_at": st.iso(k.created_at), "valid_from": st.iso(k.valid_from),
            "valid_until": st.iso(k.valid_until) if k.valid_until else None,
            "revoked_at": st.iso(k.revoked_at) if k.revoked_at else None, "revoked_reason": k.revoked_reason}


# ---- statements --------------------------------------------------------------------------------------

def _no_key() -> InvalidInput:
    return InvalidInput({"signature": [_("you have no signing key in force: make one on the page "
                                         "\"My signing key\" or with python -m trading.signing keygen")]})


def issue(user: User, kind: str, params: dict) -> bytes:
    """The exact bytes `user` signs for an act of `kind` (the builder checks they may do it)."""
    builder = STATEMENTS.get(kind)
    if builder is None:
        raise InvalidInput({"kind": [_("must be one of: %(list)s", list=", ".join(sorted(STATEMENTS)))]})
    expected = builder(user, params)
    key = key_in_force(user.id)
    if key is None:
        raise _no_key()
    return st.encode(st.statement(kind, expected.subject, expected.decision, expected.dissent, user.id,
                                  key.fingerprint, now()))


def _signature_bytes(signature) -> bytes:
    if isinstance(signature, (bytes, bytearray)):
        return bytes(signature)
    try:
        return base64.b64decode(signature or "", validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise InvalidInput({"signature": [_("must be base64 of the 64-byte ECDSA signature (r || s)")]}) from None


def accept(user: User, kind: str, expected: Expected | Callable[[dict], Expected], statement: str | None,
           signature) -> Signed:
    """Check that `statement` says what `expected` says, names `user` and their key in force, is fresh,
    and that `signature` verifies with that key; the caller stores the result beside the act.
    `expected` may be a function of the statement's subject (when more than one subject is right)."""
    if not statement:
        raise InvalidInput({"statement": [_("is required: fetch the statement, sign it with your own key and "
                                            "send it with the signature")]})
    if not signature:
        raise InvalidInput({"signature": [_("is required: sign the statement with your own key")]})
    try:
        obj = st.loads(statement)
        at = st.parse_iso(obj["at"])
        signer = obj["signer"]
    except (ValueError, KeyError, TypeError):
        raise InvalidInput({"statement": [_("is not a statement issued by the platform (canonical JSON)")]}) from None
    if callable(expected):
        expected = expected(obj.get("subject") if isinstance(obj.get("subject"), dict) else {})
    want = {"format": st.FORMAT, "kind": kind, "subject": expected.subject, "decision": expected.decision,
            "dissent": expected.dissent}
    for name, value in want.items():
        if obj.get(name) != value:
            raise InvalidInput({"statement": [_("its %(name)s does not match what you are signing: fetch the "
                                                "statement again", name=name)]})
    if not isinstance(signer, dict) or signer.get("user_id") != user.id:
        raise InvalidInput({"statement": [_("names another signer")]})
    moment = now()
    if at > moment + timedelta(seconds=60) or moment - at > max_age():
        raise InvalidInput({"statement": [_("was issued at %(at)s and has expired: fetch a new one and sign it",
                                            at=obj["at"])]})
    key = key_in_force(user.id, moment)
    if key is None:
        raise _no_key()
    if signer.get("key") != key.fingerprint:
        raise InvalidInput({"statement": [_("names key %(fp)s, which is not your key in force (%(mine)s)",
                                            fp=str(signer.get("key"))[:16], mine=key.fingerprint[:16])]})
    raw = _signature_bytes(signature)
    if not st.verify(bytes(key.public_key), statement.encode("utf-8"), raw):
        raise InvalidInput({"signature": [_("does not verify with your published key %(fp)s: it was made with "
                                            "another key or over other bytes", fp=key.fingerprint[:16])]})
    return Signed(statement, raw, key.fingerprint)
