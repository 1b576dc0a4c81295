"""Where each signing key comes from (configuration, or instance/ in development), and the rule that a
host signs only with the key the platform published for that purpose.

Two hosts behind one database that each made their own key would sign receipts that fail against the
published key and checkpoints the verifier reports as tampering. So the first signature of a purpose
records its public key in `published_keys` (in the signing transaction, or at set-up with
`flask signing-keys publish`), and from then on a host whose configured key differs refuses to sign:
a 503 to the caller and an error in the log.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy.orm import Session

from trading.clock import now
from trading.config import ConfigError
from trading.errors import DomainError
from trading.extensions import db
from trading.keyfiles import ed25519_key
from trading.platform_keys.models import PublishedKey


@dataclass(frozen=True)
class Purpose:
    """One signing key: its settings, and the file development makes under instance/ when none is set."""

    name: str
    file_setting: str  # path of a PEM (PKCS#8) Ed25519 private key
    secret_setting: str  # the key itself, base64: of that PEM, or of the 32 raw private bytes
    dev_setting: str  # development only: where to make the key (default instance/<dev_file>)
    dev_file: str
    label: object


PURPOSES = {
    "receipt": Purpose("receipt", "RECEIPT_SIGNING_KEY_FILE", "RECEIPT_SIGNING_KEY", "RECEIPT_KEY_PATH",
                       "receipt-key.pem", _l("bid receipt")),
    "audit": Purpose("audit", "AUDIT_SIGNING_KEY_FILE", "AUDIT_SIGNING_KEY", "AUDIT_KEY_PATH",
                     "audit-key.pem", _l("audit checkpoint")),
}
SETTINGS = tuple(s for p in PURPOSES.values() for s in (p.file_setting, p.secret_setting))


class SigningKeyMismatch(DomainError):
    """This host's key is not the published one: it must not sign (the platform would speak with two keys)."""

    status = 503
    code = "signing_key_mismatch"


def raw_public(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(raw: bytes) -> str:
    """The short name receipts and checkpoints carry: the first 16 bytes of SHA-256 of the raw public key."""
    return hashlib.sha256(raw).digest()[:16].hex()


# ---- configuration --------------------------------------------------------------------------------

def _from_pem(data: bytes, where: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{where}: not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{where}: the key must be Ed25519, not {type(key).__name__}")
    return key


def _from_secret(value: str, where: str) -> Ed25519PrivateKey:
    try:
        data = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"{where}: not base64") from None
    if data.lstrip().startswith(b"-----BEGIN"):
        return _from_pem(data, where)
    if len(data) == 32:
        return Ed25519PrivateKey.from_private_bytes(data)
    raise ConfigError(f"{where}: base64 of a PEM Ed25519 private key or of its 32 raw bytes expected, "
                      f"got {len(data)} bytes")


def load_key(config, instance_path: str, purpose: str) -> Ed25519PrivateKey:
    """The private key configuration names for `purpose`; development makes one under instance/ once."""
    p = PURPOSES[purpose]
    secret, path = config.get(p.secret_setting), config.get(p.file_setting)
    if secret and path:
        raise ConfigError(f"set {p.file_setting} or {p.secret_setting}, not both")
    if secret:
        return _from_secret(secret, p.secret_setting)
    if path:
        file = Path(path)
        if not file.is_file():  # a configured key is never made here: a typo must not mint a second key
            raise ConfigError(f"{p.file_setting}={path}: no such file")
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise ConfigError(f"{p.file_setting}={path}: cannot read it ({exc.strerror})") from None
        return _from_pem(data, f"{p.file_setting}={path}")
    if config.get("PRODUCTION"):
        raise ConfigError(missing_message(p))
    return ed25519_key(Path(config.get(p.dev_setting) or Path(instance_path) / p.dev_file))


def missing_message(p: Purpose) -> str:
    return (f"production config needs the {p.name} signing key: set {p.file_setting} to a PEM Ed25519 "
            f"private key file, or {p.secret_setting} to its base64; every host of the platform must have "
            f"the same one (make it once with `openssl genpkey -algorithm ed25519 -out {p.dev_file}`)")


def check_configured(config) -> None:
    """Production refuses to start without every signing key configured (called by check_config)."""
    if not config.get("PRODUCTION"):
        return
    for p in PURPOSES.values():
        if not (config.get(p.file_setting) or config.get(p.secret_setting)):
            raise ConfigError(missing_message(p))


def check_loadable(app) -> None:
    """Production loads every key at start, so a missing or broken file stops the host at once."""
    if app.config.get("PRODUCTION"):
        for purpose in PURPOSES:
            load_key(app.config, app.instance_path, purpose)


def configured_key(purpose: str) -> Ed25519PrivateKey:
    return load_key(current_app.config, current_app.instance_path, purpose)


# ---- the published key ----------------------------------------------------------------------------

def published(purpose: str, session: Session | None = None) -> PublishedKey | None:
    return (session or db.session).get(PublishedKey, purpose)


def public_key(purpose: str) -> Ed25519PublicKey:
    """The key verifiers should use: the published one, or (before the first signature) this host's."""
    row = published(purpose)
    if row is not None:
        return Ed25519PublicKey.from_public_bytes(bytes(row.public_key))
    return configured_key(purpose).public_key()


def signer(purpose: str, session: Session | None = None) -> Ed25519PrivateKey:
    """This host's key for `purpose`, once it is known to be the published one (published now if none is).

    Raises SigningKeyMismatch (503) when another key was published: the caller's transaction is then
    rolled back by the error handler, so nothing is signed or stored.
    """
    session = session or db.session
    known = current_app.extensions.setdefault("signers", {})
    if purpose in known:  # found to be the published key earlier: that row is written once, never changed
        return known[purpose]
    key = configured_key(purpose)
    raw = raw_public(key)
    row = published(purpose, session)
    fresh = row is None  # publishing now: remembered only once it is seen committed, by a later call
    if fresh:
        row = _publish(session, purpose, raw)
    if bytes(row.public_key) != raw:
        current_app.logger.error(
            "refusing to sign %s: this host's key %s is not the published key %s (published %s); install the "
            "platform's key (%s or %s) on this host", purpose, key_id(raw), row.key_id, row.published_at.isoformat(),
            PURPOSES[purpose].file_setting, PURPOSES[purpose].secret_setting)
        raise SigningKeyMismatch(_("This server's %(what)s signing key is not the key the platform published, so "
                                   "it refuses to sign. Nothing was changed; please try again later. The "
                                   "operators have been alerted.", what=PURPOSES[purpose].label))
    if not fresh:
        known[purpose] = key
    return key


def _publish(session: Session, purpose: str, raw: bytes) -> PublishedKey:
    """Record this host's public key as the purpose's published key, unless another host did so first."""
    row = PublishedKey(purpose=purpose, alg="Ed25519", public_key=raw, key_id=key_id(raw), published_at=now())
    try:
        with session.begin_nested():  # a concurrent publisher makes only this savepoint fail
            session.add(row)
    except sa.exc.IntegrityError:
        first = session.get(PublishedKey, purpose, populate_existing=True)
        if first is None:
            raise
        return first
    return row
