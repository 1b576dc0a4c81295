"""What a person signs: the canonical statement, key fingerprints, ECDSA P-256 signatures (no Flask, no database).

A statement is canonical JSON (trading.canonical) of
  {"format": "trading-signature/1", "kind": KIND, "subject": {...}, "decision": "signed"|"dissent",
   "dissent": text|null, "signer": {"user_id": N, "key": FINGERPRINT}, "at": "YYYY-MM-DDTHH:MM:SS.mmmZ"}
signed with ECDSA over P-256 and SHA-256; the signature is the 64 bytes r || s (IEEE P1363, what
WebCrypto gives), the public key its DER SubjectPublicKeyInfo, the fingerprint the SHA-256 of that DER
in hex. docs/signatures.md describes the format byte by byte; monitor/verify/signatures.py checks it
offline with its own copy of `verify`.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import datetime, timezone

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from trading.canonical import canonical_json

FORMAT = "trading-signature/1"
ALG = "ECDSA-P256-SHA256"
KINDS = ("opening-record", "sign-off", "checkpoint", "reserve-record")
DECISIONS = ("signed", "dissent")
SIGNATURE_BYTES = 64


class BadKey(ValueError):
    """Not a P-256 public key in a form we read."""


def iso(moment: datetime) -> str:
    """UTC with milliseconds, e.g. 2026-03-02T01:00:00.000Z (the audit log's form)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def statement(kind: str, subject: dict, decision: str, dissent: str | None, user_id: int, key: str,
              at: datetime) -> dict:
    return {"format": FORMAT, "kind": kind, "subject": subject, "decision": decision, "dissent": dissent,
            "signer": {"user_id": user_id, "key": key}, "at": iso(at)}


def encode(obj: dict) -> bytes:
    return canonical_json(obj)


def public_der(text_or_bytes: str | bytes) -> bytes:
    """A P-256 public key given as PEM, base64 of the DER SubjectPublicKeyInfo, or the DER itself."""
    data = text_or_bytes.encode() if isinstance(text_or_bytes, str) else bytes(text_or_bytes)
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(data)
        else:
            try:
                der = base64.b64decode(data.strip(), validate=True)
            except (binascii.Error, ValueError):
                der = data  # the DER itself
            key = serialization.load_der_public_key(der)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise BadKey(str(exc)) from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise BadKey("not an ECDSA P-256 public key")
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def fingerprint(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def verify(der: bytes, message: bytes, signature: bytes) -> bool:
    """True when `signature` (r || s, 64 bytes) is the key's ECDSA P-256 / SHA-256 signature of `message`."""
    if len(signature) != SIGNATURE_BYTES:
        return False
    try:
        key = serialization.load_der_public_key(der)
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        key.verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))
        return True
    except (InvalidSignature, ValueError):
        return False


# ---- the signer's side (the CLI, the demo and the tests; the browser does the same in WebCrypto) ----

def generate() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_of(private: ec.EllipticCurvePrivateKey) -> bytes:
    return private.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)


def sign(private: ec.EllipticCurvePrivateKey, message: bytes) -> bytes:
    r, s = decode_dss_signature(private.sign(message, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def private_pem(private: ec.EllipticCurvePrivateKey, passphrase: str | None = None) -> bytes:
    """PKCS#8 PEM (what the browser's backup file holds; with a passphrase, encrypted, for the CLI)."""
    enc = (serialization.BestAvailableEncryption(passphrase.encode()) if passphrase
           else serialization.NoEncryption())
    return private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)


def load_private(pem: bytes, passphrase: str | None = None) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(pem, password=passphrase.encode() if passphrase else None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise BadKey("not an ECDSA P-256 private key")
    return key


def loads(text: str) -> dict:
    """Parse a statement and insist it is in canonical form (what is signed is exactly what is stored)."""
    obj = json.loads(text)
    if not isinstance(obj, dict) or encode(obj) != text.encode("utf-8"):
        raise ValueError("not canonical")
    return obj
