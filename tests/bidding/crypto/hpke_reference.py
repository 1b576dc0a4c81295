"""An independent RFC 9180 base-mode HPKE Seal/Open for DHKEM(P-256, HKDF-SHA256), HKDF-SHA256 and
AES-GCM, written from the RFC's pseudocode with plain primitives (ECDH, HMAC, AESGCM).

Why: `cryptography`'s HPKE always draws a fresh ephemeral key, so it cannot rebuild a fixed test
vector; this one takes the ephemeral key as input. It is a test tool, not production code.
"""
from __future__ import annotations

import hashlib
import hmac
import struct

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEM_P256 = 0x0010
KDF_SHA256 = 0x0001
AEAD_AES128GCM, AEAD_AES256GCM = 0x0001, 0x0002
_NK = {AEAD_AES128GCM: 16, AEAD_AES256GCM: 32}
_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt or b"\x00" * 32, ikm, hashlib.sha256).digest()


def _expand(prk: bytes, info: bytes, length: int) -> bytes:
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def _labeled_extract(suite_id: bytes, salt: bytes, label: bytes, ikm: bytes) -> bytes:
    return _extract(salt, b"HPKE-v1" + suite_id + label + ikm)


def _labeled_expand(suite_id: bytes, prk: bytes, label: bytes, info: bytes, length: int) -> bytes:
    return _expand(prk, struct.pack(">H", length) + b"HPKE-v1" + suite_id + label + info, length)


KEM_SUITE = b"KEM" + struct.pack(">H", KEM_P256)


def derive_key_pair(ikm: bytes) -> ec.EllipticCurvePrivateKey:
    """DeriveKeyPair for P-256 (RFC 9180 section 7.1.3)."""
    dkp_prk = _labeled_extract(KEM_SUITE, b"", b"dkp_prk", ikm)
    for counter in range(256):
        candidate = _labeled_expand(KEM_SUITE, dkp_prk, b"candidate", bytes([counter]), 32)
        value = int.from_bytes(candidate, "big")  # bitmask 0xff for P-256
        if 0 < value < _N:
            return ec.derive_private_key(value, ec.SECP256R1())
    raise ValueError("DeriveKeyPairError")


def _point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def _shared_secret(dh: bytes, enc: bytes, pk_rm: bytes) -> bytes:
    eae_prk = _labeled_extract(KEM_SUITE, b"", b"eae_prk", dh)
    return _labeled_expand(KEM_SUITE, eae_prk, b"shared_secret", enc + pk_rm, 32)


def encap(pk_r: ec.EllipticCurvePublicKey, sk_e: ec.EllipticCurvePrivateKey) -> tuple[bytes, bytes]:
    dh = sk_e.exchange(ec.ECDH(), pk_r)
    enc = _point(sk_e.public_key())
    return _shared_secret(dh, enc, _point(pk_r)), enc


def decap(enc: bytes, sk_r: ec.EllipticCurvePrivateKey) -> bytes:
    pk_e = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), enc)
    return _shared_secret(sk_r.exchange(ec.ECDH(), pk_e), enc, _point(sk_r.public_key()))


def key_schedule(shared_secret: bytes, info: bytes, aead_id: int) -> dict[str, bytes]:
    """Base mode: psk and psk_id empty."""
    suite_id = b"HPKE" + struct.pack(">HHH", KEM_P256, KDF_SHA256, aead_id)
    psk_id_hash = _labeled_extract(suite_id, b"", b"psk_id_hash", b"")
    info_hash = _labeled_extract(suite_id, b"", b"info_hash", info)
    context = b"\x00" + psk_id_hash + info_hash
    secret = _labeled_extract(suite_id, shared_secret, b"secret", b"")
    return {
        "key_schedule_context": context,
        "secret": secret,
        "key": _labeled_expand(suite_id, secret, b"key", context, _NK[aead_id]),
        "base_nonce": _labeled_expand(suite_id, secret, b"base_nonce", context, 12),
    }


def seal(pk_r: ec.EllipticCurvePublicKey, info: bytes, aad: bytes, pt: bytes,
         sk_e: ec.EllipticCurvePrivateKey, aead_id: int = AEAD_AES256GCM) -> bytes:
    """Single-shot Seal with a given ephemeral key: enc ‖ ct (sequence number 0)."""
    shared, enc = encap(pk_r, sk_e)
    ks = key_schedule(shared, info, aead_id)
    return enc + AESGCM(ks["key"]).encrypt(ks["base_nonce"], pt, aad)


def open_(sk_r: ec.EllipticCurvePrivateKey, info: bytes, aad: bytes, enc_ct: bytes,
          aead_id: int = AEAD_AES256GCM) -> bytes:
    enc, ct = enc_ct[:65], enc_ct[65:]
    ks = key_schedule(decap(enc, sk_r), info, aead_id)
    return AESGCM(ks["key"]).decrypt(ks["base_nonce"], ct, aad)
