"""The trade's opening key and its custody, and the keyholders' personal keys.

Why this shape (ARCHITECTURE.md, "Sealed bids"): the opening private key must never exist whole
outside the opening ceremony, and neither the executing staff nor the supervisors may open bids
alone. So the 32-byte scalar is split as sk = A xor B with A random: A is Shamir-split k-of-n
among the executing keyholders, B m-of-p among the supervising ones. Each share travels sealed
(HPKE) to its holder's personal key, whose private half is kept only under a passphrase.

Share encoding (`KeyShare.to_bytes`, what gets sealed):
    "PRKS" ‖ 0x01 ‖ side (0x01 execute, 0x02 supervise) ‖ opening-key fingerprint (32)
    ‖ k (1) ‖ x (1) ‖ y (32)
Sealed share: 0x01 ‖ HPKE base-mode Seal (same suite as envelopes) of the share encoding, with
    info = "PRKS-v1 share" ‖ len(context) (2) ‖ context ‖ SHA-256(holder's SEC1 public key)
so a share opens only for the trade/holder context it was sealed for and only with that key.

Personal keys are made, wrapped and used only on the keyholder's own machine (the browser,
static/js/keyholder-keys.js, or the offline `python -m bidding.keyholders.cli`, which share
bidding/keyholders/client.py's format); the platform stores the public key and, if the holder
sends it, the wrapped key below, and checks only what it can check without the passphrase
(docs/key-custody.md). At release the holder's machine opens its share and sends the share
encoding; the platform compares it with `share_commitment`, stored when the share was sealed.

Personal key blob, version 2 (made on the holder's machine), 151 bytes, integers big-endian:
    0   4   magic "PRPK"             4   1   blob version 0x02
    5   1   KDF 0x02 = PBKDF2-HMAC-SHA256 (RFC 8018)
    6   4   iterations (600,000 by default; the platform refuses fewer than it is configured for)
    10  16  salt                     26  65  public key, uncompressed SEC1 P-256
    91  12  AES-GCM nonce
    103 48  AES-256-GCM(key = PBKDF2-HMAC-SHA256(UTF-8(NFC(passphrase)), salt, iterations, 32 bytes),
            nonce, aad = bytes 0..102).encrypt(the 32-byte private scalar)
Version 1 (159 bytes: KDF 0x01 = Argon2id with m, t, p as three 4-byte fields, then salt, public
key, nonce, ciphertext, aad = bytes 0..110) was made on the platform from a passphrase it received;
it is no longer accepted for enrolment, and only the offline tool still opens one (for shares
sealed to such a key before re-enrolment).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import struct
import unicodedata
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec

from bidding.crypto import shamir
from bidding.crypto.envelope import SUITE, fingerprint, public_key_bytes

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
MIN_PASSPHRASE = 12
SIDES = {"execute": 1, "supervise": 2}


class WeakPassphrase(ValueError):
    """The passphrase is shorter than the minimum (counted in characters after NFC)."""

    def __init__(self, minimum: int = MIN_PASSPHRASE) -> None:
        super().__init__(f"the passphrase must be at least {minimum} characters long")
        self.minimum = minimum


class KeyCustodyError(ValueError):
    """A refused custody step; `code` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


# --- the opening key --------------------------------------------------------------------------

@dataclass(frozen=True)
class KeyShare:
    """A Shamir share of A (side "execute") or B ("supervise"), tied to one opening key."""
    side: str
    key_fingerprint: bytes
    share: shamir.Share

    def to_bytes(self) -> bytes:
        return (b"PRKS\x01" + bytes([SIDES[self.side]]) + self.key_fingerprint
                + self.share.to_bytes())

    @classmethod
    def from_bytes(cls, data: bytes) -> KeyShare:
        if len(data) != 4 + 1 + 1 + 32 + 2 + 32 or data[:5] != b"PRKS\x01":
            raise KeyCustodyError("bad_share", "not a version 1 opening-key share")
        side = {v: k for k, v in SIDES.items()}.get(data[5])
        if side is None:
            raise KeyCustodyError("bad_share", "unknown share side")
        return cls(side, bytes(data[6:38]), shamir.Share.from_bytes(data[38:]))


def generate_opening_key() -> ec.EllipticCurvePrivateKey:
    """A fresh P-256 key pair for one trade (HPKE DHKEM(P-256))."""
    return ec.generate_private_key(ec.SECP256R1())


def _scalar(private_key: ec.EllipticCurvePrivateKey) -> bytes:
    return private_key.private_numbers().private_value.to_bytes(32, "big")


def _from_scalar(raw: bytes) -> ec.EllipticCurvePrivateKey:
    value = int.from_bytes(raw, "big")
    if not 0 < value < P256_ORDER:
        raise KeyCustodyError("wrong_key", "the rebuilt value is not a P-256 private key")
    return ec.derive_private_key(value, ec.SECP256R1())


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def split_opening_key(private_key: ec.EllipticCurvePrivateKey, execute: tuple[int, int],
                      supervise: tuple[int, int]
                      ) -> tuple[ec.EllipticCurvePublicKey, list[KeyShare], list[KeyShare]]:
    """sk = A xor B; A split k-of-n (execute), B m-of-p (supervise). Keep nothing else."""
    public = private_key.public_key()
    key_fp = fingerprint(public)
    sk = _scalar(private_key)
    a = secrets.token_bytes(32)
    b = _xor(sk, a)
    try:
        exec_shares = [KeyShare("execute", key_fp, s) for s in shamir.split(a, *execute)]
        sup_shares = [KeyShare("supervise", key_fp, s) for s in shamir.split(b, *supervise)]
    except shamir.ShamirError as exc:
        raise KeyCustodyError("bad_threshold", str(exc)) from None
    return public, exec_shares, sup_shares


def create_opening_key(execute: tuple[int, int], supervise: tuple[int, int]
                       ) -> tuple[ec.EllipticCurvePublicKey, list[KeyShare], list[KeyShare]]:
    """Generate and split in one step, so no caller ever holds the whole private key."""
    return split_opening_key(generate_opening_key(), execute, supervise)


def _public(key: ec.EllipticCurvePublicKey | bytes) -> ec.EllipticCurvePublicKey:
    if isinstance(key, (bytes, bytearray, memoryview)):
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), bytes(key))
    return key


def _combine_side(shares: list[KeyShare], side: str, key_fp: bytes, threshold: int | None) -> bytes:
    for share in shares:
        if share.side != side:
            raise KeyCustodyError("wrong_side", f"a {share.side} share was given as a {side} share")
        if not hmac.compare_digest(share.key_fingerprint, key_fp):
            raise KeyCustodyError("share_for_other_key", "a share belongs to another opening key")
    needed = max(shares[0].share.k if shares else 1, threshold or 1)
    if len(shares) < needed or not shares:
        raise KeyCustodyError(f"not_enough_{side}_shares",
                              f"{len(shares)} {side} share(s) released, {needed} needed")
    try:
        return shamir.combine([s.share for s in shares])
    except shamir.ShamirError as exc:
        raise KeyCustodyError("bad_shares", f"{side} shares: {exc}") from None


def rebuild_opening_key(exec_shares: list[KeyShare], sup_shares: list[KeyShare],
                        expected_public_key: ec.EllipticCurvePublicKey | bytes, *,
                        execute_threshold: int | None = None,
                        supervise_threshold: int | None = None) -> ec.EllipticCurvePrivateKey:
    """Rebuild sk in memory; refuses unless both thresholds are met and it matches the notice.

    The thresholds travel in the shares; pass the recorded ones too so a caller's own record
    of k and m is enforced as well.
    """
    expected_fp = fingerprint(_public(expected_public_key))
    a = _combine_side(list(exec_shares), "execute", expected_fp, execute_threshold)
    b = _combine_side(list(sup_shares), "supervise", expected_fp, supervise_threshold)
    private = _from_scalar(_xor(a, b))
    if not hmac.compare_digest(fingerprint(private.public_key()), expected_fp):
        raise KeyCustodyError("wrong_key", "the shares do not rebuild the published opening key "
                              "(a share is damaged or from another split)")
    return private


# --- personal keys: what the platform may check without the passphrase -------------------------

@dataclass(frozen=True)
class KeyBlob:
    """A parsed personal key blob (either version); `head` is the AAD of `sealed`."""
    version: int
    kdf: int
    params: tuple[int, ...]  # v1: (memory KiB, iterations, lanes); v2: (iterations,)
    salt: bytes
    public_key: bytes
    nonce: bytes
    head: bytes
    sealed: bytes


_BLOB_V1 = struct.Struct(">4sBBIII16s65s12s")  # up to the ciphertext: 111 bytes
_BLOB_V2 = struct.Struct(">4sBBI16s65s12s")    # up to the ciphertext: 103 bytes
BLOB_V1_LEN = _BLOB_V1.size + 48
BLOB_V2_LEN = _BLOB_V2.size + 48
KDF_ARGON2ID, KDF_PBKDF2_SHA256 = 1, 2
#: the fewest PBKDF2 iterations a client-made blob may use (OWASP 2023 for PBKDF2-HMAC-SHA256)
MIN_PBKDF2_ITERATIONS = 600_000
MAX_PBKDF2_ITERATIONS = 50_000_000


def parse_key_blob(blob: bytes) -> KeyBlob:
    """Parse either version of the blob; nothing is decrypted (that happens on the holder's machine)."""
    blob = bytes(blob)
    if blob[:5] == b"PRPK\x02" and len(blob) == BLOB_V2_LEN:
        _m, version, kdf, iterations, salt, public, nonce = _BLOB_V2.unpack(blob[:_BLOB_V2.size])
        if kdf != KDF_PBKDF2_SHA256 or not 1 <= iterations <= MAX_PBKDF2_ITERATIONS:
            raise KeyCustodyError("bad_key_blob", "a version 2 blob uses PBKDF2-HMAC-SHA256 with a sane "
                                  "iteration count")
        return KeyBlob(2, kdf, (iterations,), salt, public, nonce, blob[:_BLOB_V2.size], blob[_BLOB_V2.size:])
    if blob[:5] == b"PRPK\x01" and len(blob) == BLOB_V1_LEN:
        _m, version, kdf, m, t, p, salt, public, nonce = _BLOB_V1.unpack(blob[:_BLOB_V1.size])
        if kdf != KDF_ARGON2ID:
            raise KeyCustodyError("bad_key_blob", "a version 1 blob uses Argon2id")
        return KeyBlob(1, kdf, (m, t, p), salt, public, nonce, blob[:_BLOB_V1.size], blob[_BLOB_V1.size:])
    raise KeyCustodyError("bad_key_blob", f"not a personal key blob (version 2 is {BLOB_V2_LEN} bytes, "
                          f"version 1 {BLOB_V1_LEN})")


def personal_public_key(blob: bytes) -> bytes:
    """The SEC1 public key stored in a blob (no passphrase needed)."""
    return parse_key_blob(blob).public_key


def personal_fingerprint(public: bytes) -> str:
    """SHA-256 of the 65-byte SEC1 public key, hex: what the notice publishes for each keyholder."""
    return hashlib.sha256(bytes(public)).hexdigest()


def check_public_key(raw: bytes) -> ec.EllipticCurvePublicKey:
    """A 65-byte uncompressed SEC1 P-256 point on the curve (the point at infinity cannot be
    encoded so), or KeyCustodyError("bad_public_key")."""
    raw = bytes(raw)
    if len(raw) != 65 or raw[0] != 4:
        raise KeyCustodyError("bad_public_key", "a personal public key is a 65-byte uncompressed P-256 point "
                              "(04 ‖ X ‖ Y)")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        raise KeyCustodyError("bad_public_key", "the personal public key is not a point on P-256") from None


def check_client_blob(public: bytes, blob: bytes | None, min_iterations: int = MIN_PBKDF2_ITERATIONS) -> None:
    """What the platform checks of a key enrolled from the holder's machine: the public key is a
    P-256 point; the wrapped key, if sent, is a version 2 blob of that same public key with at least
    `min_iterations` of PBKDF2. (Whether the passphrase is good, only the holder can know.)"""
    check_public_key(public)
    if blob is None:
        return
    parsed = parse_key_blob(blob)
    if parsed.version != 2:
        raise KeyCustodyError("bad_key_blob", "enrol a version 2 blob, wrapped on your own machine")
    if parsed.params[0] < min_iterations:
        raise KeyCustodyError("weak_key_blob", f"the wrapped key uses {parsed.params[0]} PBKDF2 iterations, "
                              f"at least {min_iterations} are needed")
    if not hmac.compare_digest(parsed.public_key, bytes(public)):
        raise KeyCustodyError("bad_key_blob", "the wrapped key belongs to another public key")


def check_passphrase(passphrase: str) -> None:
    """At least MIN_PASSPHRASE characters (code points) after NFC, as the browser counts them."""
    if not isinstance(passphrase, str) or len(unicodedata.normalize("NFC", passphrase)) < MIN_PASSPHRASE:
        raise WeakPassphrase(MIN_PASSPHRASE)


# --- shares sealed to keyholders --------------------------------------------------------------

def share_info(holder_public: ec.EllipticCurvePublicKey, context: bytes) -> bytes:
    """The HPKE info a share is sealed with (module docstring): binds it to its context and holder key."""
    if len(context) > 0xFFFF:
        raise ValueError("the share context is too long")
    return (b"PRKS-v1 share" + struct.pack(">H", len(context)) + bytes(context)
            + fingerprint(holder_public))


def seal_share(share: KeyShare, holder_public_key: ec.EllipticCurvePublicKey | bytes,
               context: bytes) -> bytes:
    """Seal one share to a keyholder; `context` should name the trade and the holder."""
    public = _public(holder_public_key)
    return b"\x01" + SUITE.encrypt(share.to_bytes(), public, info=share_info(public, context))


def share_commitment(share: KeyShare | bytes, context: bytes) -> bytes:
    """SHA-256("PRKS-v1 commitment" ‖ len(context) (2) ‖ context ‖ share encoding): stored beside the
    sealed share, so at release the platform can tell the holder's own share from any other bytes
    without being able to open it (the share is 32 bytes of field values: its hash gives nothing away)."""
    raw = share.to_bytes() if isinstance(share, KeyShare) else bytes(share)
    return hashlib.sha256(b"PRKS-v1 commitment" + struct.pack(">H", len(context)) + bytes(context) + raw).digest()
