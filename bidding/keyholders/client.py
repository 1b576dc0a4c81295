"""The keyholder's side of key custody: what runs on the holder's own machine, never on the platform.

The browser does the same with WebCrypto (static/js/keyholder-keys.js); this module is its Python
twin, used by the offline tool (`python -m bidding.keyholders.cli`), the demo data and the tests.
Both make and open the same blobs (keys.py's docstring, docs/key-custody.md). Nothing the
platform runs while serving requests imports this module (an import contract in pyproject.toml).
"""
from __future__ import annotations

import hmac
import secrets
import unicodedata
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from bidding.crypto.envelope import SUITE, public_key_bytes
from bidding.keyholders import keys
from bidding.keyholders.keys import KeyCustodyError, KeyShare

DEFAULT_ITERATIONS = keys.MIN_PBKDF2_ITERATIONS


class WrongPassphrase(ValueError):
    """The passphrase does not unlock this personal key (or the blob was altered)."""


@dataclass(frozen=True)
class Enrolment:
    """A new personal key as the holder's machine sends it: the public key and the wrapped key."""
    public_key: bytes
    wrapped_key: bytes

    @property
    def fingerprint(self) -> str:
        return keys.personal_fingerprint(self.public_key)


def _normalise(passphrase: str) -> bytes:
    """NFC first, so the same passphrase typed with another input method gives the same bytes."""
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def _kdf(passphrase: str, blob: keys.KeyBlob) -> bytes:
    if blob.kdf == keys.KDF_PBKDF2_SHA256:
        return PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=blob.salt,
                          iterations=blob.params[0]).derive(_normalise(passphrase))
    memory_kib, iterations, lanes = blob.params  # version 1 (Argon2id), made by the old platform
    if not (1 <= lanes <= 64 and 8 * lanes <= memory_kib <= 4 * 1024 * 1024 and 1 <= iterations <= 32):
        raise KeyCustodyError("bad_key_blob", "unreasonable Argon2id parameters")
    return Argon2id(salt=blob.salt, length=32, iterations=iterations, lanes=lanes,
                    memory_cost=memory_kib).derive(_normalise(passphrase))


def wrap_private_key(private_key: ec.EllipticCurvePrivateKey, passphrase: str,
                     iterations: int = DEFAULT_ITERATIONS) -> bytes:
    """A version 2 blob: the private scalar under PBKDF2-HMAC-SHA256 of the passphrase, AES-256-GCM."""
    keys.check_passphrase(passphrase)
    if not 1 <= iterations <= keys.MAX_PBKDF2_ITERATIONS:
        raise ValueError("iterations out of range")
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    head = keys._BLOB_V2.pack(b"PRPK", 2, keys.KDF_PBKDF2_SHA256, iterations, salt,
                              public_key_bytes(private_key.public_key()), nonce)
    key = _kdf(passphrase, keys.parse_key_blob(head + bytes(48)))
    scalar = private_key.private_numbers().private_value.to_bytes(32, "big")
    return head + AESGCM(key).encrypt(nonce, scalar, head)


def enrol(passphrase: str, iterations: int = DEFAULT_ITERATIONS) -> Enrolment:
    """Make a personal key pair here and wrap its private half under the passphrase."""
    keys.check_passphrase(passphrase)
    private = ec.generate_private_key(ec.SECP256R1())
    return Enrolment(public_key_bytes(private.public_key()), wrap_private_key(private, passphrase, iterations))


def unwrap(blob: bytes, passphrase: str) -> ec.EllipticCurvePrivateKey:
    """The private key of a blob (either version); WrongPassphrase if the passphrase does not open it."""
    parsed = keys.parse_key_blob(blob)
    try:
        raw = AESGCM(_kdf(passphrase, parsed)).decrypt(parsed.nonce, parsed.sealed, parsed.head)
    except InvalidTag:
        raise WrongPassphrase("wrong passphrase for this personal key") from None
    value = int.from_bytes(raw, "big")
    if not 0 < value < keys.P256_ORDER:
        raise KeyCustodyError("bad_key_blob", "the wrapped value is not a P-256 private key")
    private = ec.derive_private_key(value, ec.SECP256R1())
    if not hmac.compare_digest(public_key_bytes(private.public_key()), parsed.public_key):
        raise KeyCustodyError("bad_key_blob", "the blob's public key does not match its private key")
    return private


def change_passphrase(blob: bytes, old: str, new: str, iterations: int = DEFAULT_ITERATIONS) -> bytes:
    """The same key under a new passphrase (the shares sealed to it stay valid); also turns a
    version 1 blob into version 2."""
    return wrap_private_key(unwrap(blob, old), new, iterations)


def open_share(sealed: bytes, private_key: ec.EllipticCurvePrivateKey, context: bytes) -> KeyShare:
    """Open a sealed share with the holder's key and the context it was sealed for."""
    if not sealed or sealed[0] != 1:
        raise KeyCustodyError("bad_share", "not a version 1 sealed share")
    try:
        raw = SUITE.decrypt(bytes(sealed[1:]), private_key, info=keys.share_info(private_key.public_key(), context))
    except (InvalidTag, ValueError):
        raise KeyCustodyError("share_unopenable", "this share was not sealed to this key for "
                              "this trade and holder") from None
    return KeyShare.from_bytes(raw)


def release(blob: bytes, passphrase: str, sealed: bytes, context: bytes) -> bytes:
    """What the holder's machine does at the ceremony: unwrap, open the share, return only the
    share encoding (the bytes to send to the platform)."""
    return open_share(sealed, unwrap(blob, passphrase), context).to_bytes()
