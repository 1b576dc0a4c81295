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

Personal key blob (`protect_private_key`), 159 bytes, integers big-endian:
    0   4   magic "PRPK"             4   1   blob version 0x01
    5   1   KDF 0x01 = Argon2id (RFC 9106, version 0x13)
    6   4   memory cost m in KiB     10  4   iterations t          14  4   lanes p
    18  16  salt                     34  65  public key, uncompressed SEC1 P-256
    99  12  AES-GCM nonce
    111 48  AES-256-GCM(key = Argon2id(UTF-8(NFC(passphrase)), salt, m, t, p, 32 bytes), nonce,
            aad = bytes 0..110).encrypt(the 32-byte private scalar)
The parameters travel with the blob (they can be raised later without breaking old blobs) and
are bound by the AAD; the public key is readable without the passphrase.
"""
from __future__ import annotations

import hmac
import secrets
import struct
import unicodedata
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

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


class WrongPassphrase(ValueError):
    """The passphrase does not unlock this personal key."""


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


# --- personal keys ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Argon2Params:
    """Argon2id cost; the default is RFC 9106's second recommended option (64 MiB, t=3, p=4)."""
    memory_kib: int = 64 * 1024
    iterations: int = 3
    lanes: int = 4

    def check(self) -> None:
        if not (1 <= self.lanes <= 64 and 8 * self.lanes <= self.memory_kib <= 4 * 1024 * 1024
                and 1 <= self.iterations <= 32):
            raise KeyCustodyError("bad_key_blob", f"unreasonable Argon2id parameters {self}")


DEFAULT_ARGON2 = Argon2Params()
_BLOB_HEAD = struct.Struct(">4sBBIII16s65s12s")  # up to the ciphertext: 111 bytes
BLOB_LEN = _BLOB_HEAD.size + 48


def _normalise(passphrase: str) -> bytes:
    """NFC first, so the same passphrase typed with another input method gives the same bytes."""
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def _kdf(passphrase: str, salt: bytes, params: Argon2Params) -> bytes:
    params.check()
    return Argon2id(salt=salt, length=32, iterations=params.iterations, lanes=params.lanes,
                    memory_cost=params.memory_kib).derive(_normalise(passphrase))


@dataclass(frozen=True)
class PersonalKey:
    """A keyholder's unlocked P-256 key pair (lives only for one ceremony step)."""
    private_key: ec.EllipticCurvePrivateKey

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self.private_key.public_key()

    @property
    def public_bytes(self) -> bytes:
        return public_key_bytes(self.public_key)


def check_passphrase(passphrase: str) -> None:
    if not isinstance(passphrase, str) or len(unicodedata.normalize("NFC", passphrase)) < MIN_PASSPHRASE:
        raise WeakPassphrase(MIN_PASSPHRASE)


def protect_private_key(private_key: ec.EllipticCurvePrivateKey, passphrase: str,
                        params: Argon2Params = DEFAULT_ARGON2) -> bytes:
    """The blob described in the module docstring."""
    check_passphrase(passphrase)
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    head = _BLOB_HEAD.pack(b"PRPK", 1, 1, params.memory_kib, params.iterations, params.lanes,
                           salt, public_key_bytes(private_key.public_key()), nonce)
    key = _kdf(passphrase, salt, params)
    return head + AESGCM(key).encrypt(nonce, _scalar(private_key), head)


def enrol_personal_key(passphrase: str, *, params: Argon2Params = DEFAULT_ARGON2
                       ) -> tuple[bytes, bytes]:
    """A new personal key: (65-byte SEC1 public key, protected blob). Nothing else survives."""
    check_passphrase(passphrase)
    private = ec.generate_private_key(ec.SECP256R1())
    return public_key_bytes(private.public_key()), protect_private_key(private, passphrase, params)


def _parse_blob(blob: bytes) -> tuple[Argon2Params, bytes, bytes, bytes, bytes, bytes]:
    if len(blob) != BLOB_LEN:
        raise KeyCustodyError("bad_key_blob", f"a personal key blob is {BLOB_LEN} bytes")
    magic, version, kdf, m, t, p, salt, public, nonce = _BLOB_HEAD.unpack(blob[:_BLOB_HEAD.size])
    if magic != b"PRPK" or version != 1 or kdf != 1:
        raise KeyCustodyError("bad_key_blob", "not a version 1 Argon2id personal key blob")
    return Argon2Params(m, t, p), salt, public, nonce, blob[:_BLOB_HEAD.size], blob[_BLOB_HEAD.size:]


def personal_public_key(blob: bytes) -> bytes:
    """The SEC1 public key stored in a blob (no passphrase needed)."""
    return _parse_blob(blob)[2]


def unlock_personal_key(blob: bytes, passphrase: str) -> PersonalKey:
    """Decrypt the private key; WrongPassphrase if the passphrase (or the blob) is wrong."""
    params, salt, public, nonce, head, sealed = _parse_blob(blob)
    try:
        raw = AESGCM(_kdf(passphrase, salt, params)).decrypt(nonce, sealed, head)
    except InvalidTag:
        raise WrongPassphrase("wrong passphrase for this personal key") from None
    key = PersonalKey(_from_scalar(raw))
    if not hmac.compare_digest(key.public_bytes, public):
        raise KeyCustodyError("bad_key_blob", "the blob's public key does not match its private key")
    return key


def change_passphrase(blob: bytes, old: str, new: str,
                      params: Argon2Params = DEFAULT_ARGON2) -> bytes:
    """Re-protect the same key under a new passphrase (the shares sealed to it stay valid)."""
    return protect_private_key(unlock_personal_key(blob, old).private_key, new, params)


# --- shares sealed to keyholders --------------------------------------------------------------

def _share_info(holder_public: ec.EllipticCurvePublicKey, context: bytes) -> bytes:
    if len(context) > 0xFFFF:
        raise ValueError("the share context is too long")
    return (b"PRKS-v1 share" + struct.pack(">H", len(context)) + bytes(context)
            + fingerprint(holder_public))


def seal_share(share: KeyShare, holder_public_key: ec.EllipticCurvePublicKey | bytes,
               context: bytes) -> bytes:
    """Seal one share to a keyholder; `context` should name the trade and the holder."""
    public = _public(holder_public_key)
    return b"\x01" + SUITE.encrypt(share.to_bytes(), public, info=_share_info(public, context))


def open_share(sealed: bytes, holder_private_key: ec.EllipticCurvePrivateKey | PersonalKey,
               context: bytes) -> KeyShare:
    """Open a sealed share with the holder's unlocked key and the same context."""
    private = (holder_private_key.private_key if isinstance(holder_private_key, PersonalKey)
               else holder_private_key)
    if not sealed or sealed[0] != 1:
        raise KeyCustodyError("bad_share", "not a version 1 sealed share")
    try:
        raw = SUITE.decrypt(bytes(sealed[1:]), private,
                            info=_share_info(private.public_key(), context))
    except (InvalidTag, ValueError):
        raise KeyCustodyError("share_unopenable", "this share was not sealed to this key for "
                              "this trade and holder") from None
    return KeyShare.from_bytes(raw)
