"""Build the envelope test vectors from fixed inputs: `python -m tests.bidding.crypto.make_vector`.

tests/bidding/crypto/vectors/envelope-v2.json is the current format (what sealers write);
envelope-v1.json the previous one, which the platform still opens (bids received before v2).

Every input is derived from a fixed label, so running it again gives the same bytes. The
envelope is built with the independent HPKE reference (it accepts a fixed ephemeral key) and the
envelope module's body writer; test_vector.py rebuilds it and opens it with bidding.crypto.envelope.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec

from bidding.crypto import envelope
from tests.bidding.crypto import hpke_reference

VECTOR_DIR = Path(__file__).parent / "vectors"
VECTOR_PATH = VECTOR_DIR / "envelope-v2.json"
VECTOR_PATHS = {1: VECTOR_DIR / "envelope-v1.json", 2: VECTOR_PATH}
TRADE_REF = "GC-2026-0001"
BIDDER_ID = "91350100MA2XYZ0123"
VERSION = 1
CHUNK_SIZE = 1024
FORM = {"duration_days": "360", "price": "4815000.00", "quality": "合格"}
FILE_NAME = "报价说明.txt"


def _label(text: str) -> bytes:
    return hashlib.sha256(b"PRSB-v1 test vector: " + text.encode()).digest()


def _key(text: str) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int.from_bytes(_label(text), "big"), ec.SECP256R1())


def file_data() -> bytes:
    """2 500 bytes of text: with the form, the plaintext spans three 1 024-byte chunks."""
    line = "Line {:04d}: delivery in 360 days, price 4815000.00 yuan, quality 合格.\n"
    text = "".join(line.format(i) for i in range(60)).encode("utf-8")
    return text[:2500]


def build_vector(format_version: int = envelope.FORMAT_VERSION) -> dict:
    opening = _key("opening private key")
    ephemeral = _key("HPKE ephemeral private key")
    file_key = _label("file key")
    public = opening.public_key()
    plaintext = b"".join(envelope.encode_bid(FORM, [(FILE_NAME, file_data())]))
    bound = envelope.build_bound_header(TRADE_REF, BIDDER_ID, VERSION, envelope.fingerprint(public),
                                        CHUNK_SIZE, format_version=format_version,
                                        plaintext_size=len(plaintext) if format_version >= 2 else None)
    sealed_key = hpke_reference.seal(public, bound, b"", file_key, ephemeral)
    out = io.BytesIO()
    header = envelope.write_envelope([plaintext], bound_header=bound, file_key=file_key,
                                     sealed_key=sealed_key, out=out)
    env = out.getvalue()
    out = {
        "description": f"PRSB envelope format v{format_version} test vector (docs/sealed-bid-format.md); "
                       "all byte strings in lowercase hex",
        "format_version": format_version,
        "suite": {"kem_id": 16, "kdf_id": 1, "aead_id": 2},
        "opening_private_key": opening.private_numbers().private_value.to_bytes(32, "big").hex(),
        "opening_public_key": envelope.public_key_bytes(public).hex(),
        "fingerprint": envelope.fingerprint_hex(public),
        "trade_ref": TRADE_REF,
        "bidder_id": BIDDER_ID,
        "version": VERSION,
        "chunk_size": CHUNK_SIZE,
        "file_key": file_key.hex(),
        "hpke_ephemeral_private_key": ephemeral.private_numbers().private_value.to_bytes(32, "big").hex(),
        "form": FORM,
        "files": [{"name": FILE_NAME, "data": file_data().hex()}],
        "plaintext": plaintext.hex(),
        "bound_header": bound.hex(),
        "sealed_key": sealed_key.hex(),
        "header_hash": header.header_hash.hex(),
        "chunks": -(-len(plaintext) // CHUNK_SIZE),
        "envelope": env.hex(),
        "envelope_sha256": hashlib.sha256(env).hexdigest(),
    }
    if format_version >= 2:
        out["body_length"] = header.body_length
        out["content_digest"] = f"sha-256=:{base64.b64encode(hashlib.sha256(env).digest()).decode()}:"
    return out


def main() -> None:
    VECTOR_DIR.mkdir(exist_ok=True)
    for version, path in VECTOR_PATHS.items():
        path.write_text(json.dumps(build_vector(version), indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
