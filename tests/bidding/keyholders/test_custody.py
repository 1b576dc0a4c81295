"""Shamir sharing, the opening-key split, personal keys and sealed shares."""
from __future__ import annotations

import hashlib
import itertools
import os
import struct

import pytest

from bidding.crypto import envelope, shamir
from bidding.keyholders import client as holder_side, keys

FAST = 1_000  # PBKDF2 iterations: real, cheap
PASS = "correct horse battery staple"


def test_gf_arithmetic():
    assert shamir.gf_mul(0x57, 0x83) == 0xC1  # FIPS-197 section 4.2
    assert sorted(shamir._EXP[:255]) == list(range(1, 256))
    for a in range(1, 256):
        assert shamir.gf_mul(a, shamir.gf_div(1, a)) == 1


@pytest.mark.parametrize("k, n", [(1, 1), (1, 3), (2, 2), (2, 5), (3, 5), (4, 6), (5, 5)])
def test_any_k_rebuild_fewer_do_not(k, n):
    secret = os.urandom(32)
    shares = shamir.split(secret, k, n)
    assert [s.x for s in shares] == list(range(1, n + 1))
    for subset in itertools.combinations(shares, k):
        assert shamir.combine(list(subset)) == secret
    assert shamir.combine(list(reversed(shares))) == secret
    if k > 1:
        for subset in itertools.combinations(shares, k - 1):
            with pytest.raises(shamir.ShamirError, match="needed"):
                shamir.combine(list(subset))
            # even told the wrong threshold, k-1 points give a wrong value, not the secret
            forged = [shamir.Share(s.x, s.y, k - 1) for s in subset]
            assert shamir.combine(forged) != secret


def test_k_minus_one_shares_say_nothing_about_a_byte():
    """With k=2, one share's byte is uniform whatever the secret: count over many splits."""
    counts = {0: [0] * 256, 255: [0] * 256}
    for secret in counts:
        for _ in range(256 * 40):
            counts[secret][shamir.split(bytes([secret]), 2, 3)[0].y[0]] += 1
    for secret in counts:
        assert min(counts[secret]) > 10 and max(counts[secret]) < 80


@pytest.mark.parametrize("args", [(b"s", 0, 3), (b"s", 4, 3), (b"s", 2, 256), (b"", 1, 1)])
def test_split_refuses_bad_parameters(args):
    with pytest.raises(shamir.ShamirError):
        shamir.split(*args)


def test_combine_refuses_duplicates_and_mixtures():
    a = shamir.split(b"secret", 2, 3)
    with pytest.raises(shamir.ShamirError, match="twice"):
        shamir.combine([a[0], a[0]])
    with pytest.raises(shamir.ShamirError, match="thresholds"):
        shamir.combine([a[0], shamir.split(b"secret", 3, 3)[1]])
    assert shamir.Share.from_bytes(a[1].to_bytes()) == a[1]
    with pytest.raises(shamir.ShamirError):
        shamir.Share.from_bytes(b"\x02\x00abc")


# --- the opening key --------------------------------------------------------------------------

def same(a, b) -> bool:
    return a.private_numbers().private_value == b.private_numbers().private_value


def test_split_and_rebuild_opening_key():
    sk = keys.generate_opening_key()
    public, ex, sup = keys.split_opening_key(sk, execute=(2, 3), supervise=(2, 3))
    assert envelope.fingerprint(public) == envelope.fingerprint(sk.public_key())
    for e in itertools.combinations(ex, 2):
        for s in itertools.combinations(sup, 2):
            assert same(keys.rebuild_opening_key(list(e), list(s), public), sk)
    raw = envelope.public_key_bytes(public)
    assert same(keys.rebuild_opening_key(ex, sup, raw), sk)
    assert all(keys.KeyShare.from_bytes(x.to_bytes()) == x for x in ex + sup)


def code(fn, *args, **kwargs) -> str:
    with pytest.raises(keys.KeyCustodyError) as info:
        fn(*args, **kwargs)
    return info.value.code


def test_rebuild_refusals():
    sk = keys.generate_opening_key()
    public, ex, sup = keys.split_opening_key(sk, execute=(3, 4), supervise=(2, 2))
    assert code(keys.rebuild_opening_key, ex[:2], sup, public) == "not_enough_execute_shares"
    assert code(keys.rebuild_opening_key, ex[:3], sup[:1], public) == "not_enough_supervise_shares"
    assert code(keys.rebuild_opening_key, [], sup, public) == "not_enough_execute_shares"
    assert code(keys.rebuild_opening_key, ex, sup, public,
                supervise_threshold=3) == "not_enough_supervise_shares"
    other = keys.generate_opening_key().public_key()
    assert code(keys.rebuild_opening_key, ex, sup, other) == "share_for_other_key"
    assert code(keys.rebuild_opening_key, sup, ex, public) == "wrong_side"
    assert code(keys.rebuild_opening_key, ex[:3] + ex[:1], sup, public) == "bad_shares"
    # shares of another split of the same key, mixed in: the rebuilt key is wrong and refused
    _, ex2, _ = keys.split_opening_key(sk, execute=(3, 4), supervise=(2, 2))
    assert code(keys.rebuild_opening_key, ex[:2] + ex2[2:3], sup, public) == "wrong_key"
    with pytest.raises(keys.KeyCustodyError):
        keys.split_opening_key(sk, execute=(0, 0), supervise=(1, 1))


# --- personal keys and sealed shares ----------------------------------------------------------

def _legacy_blob(private, passphrase: str) -> bytes:
    """A version 1 blob as the platform made it before 0013 (Argon2id, server side), for the
    re-enrolment path: only the keyholder's tools still open it."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    salt, nonce = os.urandom(16), os.urandom(12)
    head = struct.pack(">4sBBIII16s65s12s", b"PRPK", 1, 1, 1024, 1, 1, salt,
                       envelope.public_key_bytes(private.public_key()), nonce)
    key = Argon2id(salt=salt, length=32, iterations=1, lanes=1, memory_cost=1024).derive(passphrase.encode())
    return head + AESGCM(key).encrypt(nonce, private.private_numbers().private_value.to_bytes(32, "big"), head)


def test_enrol_unwrap_and_wrong_passphrase():
    made = holder_side.enrol(PASS, FAST)
    public, blob = made.public_key, made.wrapped_key
    assert len(public) == 65 and len(blob) == keys.BLOB_V2_LEN == 151 and blob[:6] == b"PRPK\x02\x02"
    assert blob[6:10] == FAST.to_bytes(4, "big")
    assert keys.personal_public_key(blob) == public
    assert made.fingerprint == hashlib.sha256(public).hexdigest()
    assert envelope.public_key_bytes(holder_side.unwrap(blob, PASS).public_key()) == public
    with pytest.raises(holder_side.WrongPassphrase):
        holder_side.unwrap(blob, PASS + "!")
    tampered = blob[:6] + (FAST + 1).to_bytes(4, "big") + blob[10:]  # iterations changed: AAD mismatch
    with pytest.raises(holder_side.WrongPassphrase):
        holder_side.unwrap(tampered, PASS)
    with pytest.raises(keys.KeyCustodyError):
        holder_side.unwrap(blob[:-1], PASS)


def test_passphrase_rules():
    with pytest.raises(keys.WeakPassphrase, match="at least 12") as info:
        holder_side.enrol("short pass1", FAST)
    assert info.value.minimum == 12
    composed, decomposed = "caf\u00e9 au lait!!", "cafe\u0301 au lait!!"
    blob = holder_side.enrol(composed, FAST).wrapped_key
    holder_side.unwrap(blob, decomposed)
    new = holder_side.change_passphrase(blob, composed, "another long passphrase", FAST)
    assert keys.personal_public_key(new) == keys.personal_public_key(blob)
    holder_side.unwrap(new, "another long passphrase")


def test_default_pbkdf2_iterations():
    blob = holder_side.enrol(PASS).wrapped_key
    assert blob[6:10] == (600_000).to_bytes(4, "big") == keys.MIN_PBKDF2_ITERATIONS.to_bytes(4, "big")
    holder_side.unwrap(blob, PASS)


def test_what_the_platform_checks_without_the_passphrase():
    made = holder_side.enrol(PASS, FAST)
    keys.check_client_blob(made.public_key, made.wrapped_key, FAST)
    keys.check_client_blob(made.public_key, None, FAST)  # the wrapped key kept offline
    other = holder_side.enrol(PASS, FAST)

    def refused(public, blob, minimum=FAST):
        with pytest.raises(keys.KeyCustodyError) as info:
            keys.check_client_blob(public, blob, minimum)
        return info.value.code

    assert refused(made.public_key, other.wrapped_key) == "bad_key_blob"  # another key's blob
    assert refused(made.public_key, made.wrapped_key, FAST + 1) == "weak_key_blob"
    assert refused(b"\x04" + bytes(64), None) == "bad_public_key"  # not on the curve
    assert refused(made.public_key[:33], None) == "bad_public_key"
    legacy = _legacy_blob(holder_side.unwrap(made.wrapped_key, PASS), PASS)
    assert refused(made.public_key, legacy) == "bad_key_blob"  # made where the platform saw the passphrase


def test_legacy_blob_opens_on_the_holders_side_and_rewraps():
    private = keys.generate_opening_key()
    legacy = _legacy_blob(private, PASS)
    assert keys.parse_key_blob(legacy).version == 1
    assert holder_side.unwrap(legacy, PASS).private_numbers() == private.private_numbers()
    fresh = holder_side.change_passphrase(legacy, PASS, "a new long passphrase", FAST)
    assert keys.parse_key_blob(fresh).version == 2
    assert holder_side.unwrap(fresh, "a new long passphrase").private_numbers() == private.private_numbers()


def test_sealed_share_opens_only_for_its_holder_and_context():
    sk = keys.generate_opening_key()
    _, ex, _ = keys.split_opening_key(sk, execute=(1, 1), supervise=(1, 1))
    made = holder_side.enrol(PASS, FAST)
    holder = holder_side.unwrap(made.wrapped_key, PASS)
    ctx = b"PRSB-v1 share|GC-2026-0001|7|execute"
    sealed = keys.seal_share(ex[0], made.public_key, ctx)
    assert holder_side.open_share(sealed, holder, ctx) == ex[0]
    assert holder_side.release(made.wrapped_key, PASS, sealed, ctx) == ex[0].to_bytes()
    assert code(holder_side.open_share, sealed, holder, ctx + b"x") == "share_unopenable"
    stranger = holder_side.unwrap(holder_side.enrol(PASS, FAST).wrapped_key, PASS)
    assert code(holder_side.open_share, sealed, stranger, ctx) == "share_unopenable"
    assert code(holder_side.open_share, b"\x02" + sealed[1:], holder, ctx) == "bad_share"
    # the commitment tells this share from any other bytes, without opening anything
    commitment = keys.share_commitment(ex[0], ctx)
    assert keys.share_commitment(ex[0].to_bytes(), ctx) == commitment
    assert keys.share_commitment(ex[0], ctx + b"x") != commitment


def test_full_ceremony(opening_key):
    """Split, seal to holders, unlock with passphrases on the holders' side, rebuild, open a bid."""
    import io
    public, ex, sup = keys.create_opening_key(execute=(2, 3), supervise=(1, 2))
    holders = [holder_side.enrol(f"passphrase of holder {i}", FAST) for i in range(5)]
    sealed = [keys.seal_share(s, holders[i].public_key, b"ctx%d" % i) for i, s in enumerate(ex + sup)]
    opened = [keys.KeyShare.from_bytes(holder_side.release(holders[i].wrapped_key, f"passphrase of holder {i}",
                                                           sealed[i], b"ctx%d" % i)) for i in (0, 2, 4)]
    sk = keys.rebuild_opening_key(opened[:2], opened[2:], public)
    out = io.BytesIO()
    envelope.seal([b"bid"], public_key=public, trade_ref="T", bidder_id="B", version=1, out=out)
    plain = io.BytesIO()
    envelope.open_envelope(io.BytesIO(out.getvalue()), sk, plain)
    assert plain.getvalue() == b"bid"
