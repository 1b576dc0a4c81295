"""Bid receipts: what the platform signs (Ed25519) when it accepts an envelope.

Why: a bidder must be able to prove, offline and without trusting the platform's later word,
that exactly this envelope (SHA-256 and size) was received for this trade, bidder and version
at this time, at this position of the audit log. Format (docs/sealed-bid-format.md, "Receipt"):

    {"audit_index": int|null, "bidder": str, "key_id": hex, "received_at": str, "sha256": hex,
     "signature": base64, "size": int, "trade": str, "version": int}

signature = Ed25519 over  b"PRSB receipt v1\\n" ‖ canonical JSON of the receipt without
`signature` (sorted keys, no white space, UTF-8); key_id = hex of the first 16 bytes of
SHA-256(raw 32-byte public key).

CLI: python -m bidding.receipt verify RECEIPT.json PLATFORM_KEY [--envelope FILE]
(RECEIPT.json: the receipt file, or the API's answer to the upload, {"receipt": {...}, ...})
"""
from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import hmac
import json
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from trading.canonical import canonical_json as canonical

DOMAIN = b"PRSB receipt v1\n"
FIELDS = ("trade", "bidder", "version", "sha256", "size", "received_at", "audit_index")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}")
_HEX64 = re.compile(r"[0-9a-f]{64}")


class ReceiptError(ValueError):
    """A receipt that cannot be signed or does not verify; the message says why."""


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).digest()[:16].hex()


def format_time(moment: datetime) -> str:
    """ISO 8601 with milliseconds and a numeric offset, e.g. 2026-03-02T09:00:00.000+08:00."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ReceiptError("received_at must be timezone-aware")
    return moment.isoformat(timespec="milliseconds")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _normalise(fields: dict[str, Any]) -> dict[str, Any]:
    """Validate and bring the seven signed fields to their one canonical shape."""
    missing = [f for f in FIELDS if f not in fields]
    extra = [f for f in fields if f not in FIELDS]
    if missing or extra:
        raise ReceiptError(f"receipt fields: missing {missing}, unexpected {extra}")
    out = dict(fields)
    for name in ("trade", "bidder"):
        if not isinstance(out[name], str) or not out[name]:
            raise ReceiptError(f"{name} must be a non-empty string")
    if not _is_int(out["version"]) or out["version"] < 1:
        raise ReceiptError("version must be an integer from 1")
    if isinstance(out["sha256"], (bytes, bytearray)):
        out["sha256"] = bytes(out["sha256"]).hex()
    if not isinstance(out["sha256"], str) or not _HEX64.fullmatch(out["sha256"]):
        raise ReceiptError("sha256 must be 64 lowercase hex characters")
    if not _is_int(out["size"]) or out["size"] < 0:
        raise ReceiptError("size must be a non-negative integer")
    if isinstance(out["received_at"], datetime):
        out["received_at"] = format_time(out["received_at"])
    if not isinstance(out["received_at"], str) or not _TIME.fullmatch(out["received_at"]):
        raise ReceiptError("received_at must look like 2026-03-02T09:00:00.000+08:00")
    try:
        datetime.fromisoformat(out["received_at"])
    except ValueError:
        raise ReceiptError("received_at is not a valid date and time") from None
    if out["audit_index"] is not None and (not _is_int(out["audit_index"]) or out["audit_index"] < 0):
        raise ReceiptError("audit_index must be a non-negative integer or null")
    return out


#: key ids of the signing keys in use: deriving the public key costs more than the signature itself
_KEY_IDS: dict[int, tuple[Ed25519PrivateKey, str]] = {}


def _signer_key_id(private_key: Ed25519PrivateKey) -> str:
    known = _KEY_IDS.get(id(private_key))
    if known is None or known[0] is not private_key:
        if len(_KEY_IDS) > 32:
            _KEY_IDS.clear()
        known = _KEY_IDS[id(private_key)] = (private_key, key_id(private_key.public_key()))
    return known[1]


def sign_receipt(fields: dict[str, Any], private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """The signed receipt as a dict (serialise it with `receipt_json`)."""
    body = _normalise(fields)
    body["key_id"] = _signer_key_id(private_key)
    body["signature"] = base64.b64encode(private_key.sign(DOMAIN + canonical(body))).decode()
    return body


def receipt_json(receipt: dict[str, Any]) -> str:
    """The canonical text of a receipt: what the platform hands out and stores."""
    return canonical(receipt).decode()


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if len({k for k, _ in pairs}) != len(pairs):
        raise ReceiptError("the receipt repeats a field")
    return dict(pairs)


def receipt_problem(receipt: str | bytes | dict[str, Any],
                    public_key: Ed25519PublicKey) -> str | None:
    """None if the receipt is genuine for this platform key, else the reason in words."""
    try:
        data = (dict(receipt) if isinstance(receipt, dict)
                else json.loads(receipt, object_pairs_hook=_no_duplicates))
        if not isinstance(data, dict):
            return "the receipt is not a JSON object"
        signature, kid = data.pop("signature", None), data.pop("key_id", None)
        if not isinstance(signature, str) or not isinstance(kid, str):
            return "the receipt has no signature or key_id"
        body = _normalise(data)
        if body != data:
            return "the receipt's fields are not in canonical form"
        if not hmac.compare_digest(kid, key_id(public_key)):
            return f"the receipt was signed by another key (key_id {kid})"
        raw = base64.b64decode(signature, validate=True)
        body["key_id"] = kid
        public_key.verify(raw, DOMAIN + canonical(body))
    except (ValueError, binascii.Error, TypeError) as exc:
        return str(exc) or "the receipt is malformed"
    except InvalidSignature:
        return "the signature does not match: the receipt was altered"
    return None


def unwrap(text: bytes) -> str | bytes | dict[str, Any]:
    """The receipt in a file: the bare receipt, or the API's own answer that carries it under
    "receipt" (the body of POST /api/v1/trades/{id}/bids, saved as it came)."""
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates)
    except (ValueError, ReceiptError):
        return text  # receipt_problem names what is wrong with it
    if isinstance(data, dict) and "signature" not in data and isinstance(data.get("receipt"), (dict, str)):
        inner = data["receipt"]
        return inner if isinstance(inner, dict) else inner.encode()
    return text


def verify_receipt(receipt_json: str | bytes | dict[str, Any], public_key: Ed25519PublicKey) -> bool:
    return receipt_problem(receipt_json, public_key) is None


def load_platform_key(spec: str) -> Ed25519PublicKey:
    """A platform public key from a PEM file, a file holding hex, or hex given directly."""
    path = Path(spec)
    text = path.read_bytes() if path.is_file() else spec.encode()
    if text.lstrip().startswith(b"-----BEGIN"):
        key = serialization.load_pem_public_key(text)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("the platform key must be an Ed25519 public key")
        return key
    try:
        raw = bytes.fromhex(text.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        raise ValueError("the platform key must be a PEM file or 64 hex characters") from None
    if len(raw) != 32:
        raise ValueError("a raw Ed25519 public key is 32 bytes (64 hex characters)")
    return Ed25519PublicKey.from_public_bytes(raw)


def file_digest(path: str | Path) -> tuple[str, int]:
    """SHA-256 (hex) and size of a file, streamed."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bidding.receipt",
                                     description="Check a sealed-bid receipt offline.")
    sub = parser.add_subparsers(dest="command", required=True)
    verify = sub.add_parser("verify", help="check a receipt's signature (and envelope)")
    verify.add_argument("receipt", help="the receipt JSON file")
    verify.add_argument("platform_key", help="platform public key: .pem file, hex file or hex")
    verify.add_argument("--envelope", help="the envelope file the receipt is for")
    args = parser.parse_args(argv)
    try:
        key = load_platform_key(args.platform_key)
        text = Path(args.receipt).read_bytes()
    except (OSError, ValueError) as exc:
        print(f"FAILED: {exc}")
        return 1
    found = unwrap(text)
    problem = receipt_problem(found, key)
    receipt = found if isinstance(found, dict) else None
    if problem is None:
        receipt = receipt or json.loads(found)
    if problem is None and args.envelope:
        try:
            digest, size = file_digest(args.envelope)
        except OSError as exc:
            problem = f"cannot read the envelope: {exc}"
        else:
            if size != receipt["size"]:
                problem = f"the envelope is {size} bytes, the receipt says {receipt['size']}"
            elif not hmac.compare_digest(digest, receipt["sha256"]):
                problem = "the envelope's SHA-256 differs from the receipt's"
    if problem is not None:
        print(f"FAILED: {problem}")
        return 1
    print(f"OK: trade {receipt['trade']}, bidder {receipt['bidder']}, version {receipt['version']}, "
          f"received {receipt['received_at']}" + (", envelope matches" if args.envelope else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
