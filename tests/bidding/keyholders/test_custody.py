"""Shamir sharing, the opening-key split, personal keys and sealed shares."""
from __future__ import annotations

import itertools
import os

import pytest

from bidding.crypto import envelope, shamir
from bidding.keyholders import keys

FAST = keys.Argon2Params(memory_kib=1024, iterations=1, lanes=1)
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

def test_enrol_unlock_and_wrong_passphrase():
    public, blob = keys.enrol_personal_key(PASS, params=FAST)
    assert len(public) == 65 and len(blob) == keys.BLOB_LEN == 159 and blob[:4] == b"PRPK"
    assert keys.personal_public_key(blob) == public
    assert keys.unlock_personal_key(blob, PASS).public_bytes == public
    with pytest.raises(keys.WrongPassphrase):
        keys.unlock_personal_key(blob, PASS + "!")
    tampered = blob[:14] + b"\x00\x00\x00\x02" + blob[18:]  # lanes 1 -> 2: AAD mismatch
    with pytest.raises(keys.WrongPassphrase):
        keys.unlock_personal_key(tampered, PASS)
    with pytest.raises(keys.KeyCustodyError):
        keys.unlock_personal_key(blob[:-1], PASS)


def test_passphrase_rules():
    with pytest.raises(keys.WeakPassphrase, match="at least 12") as info:
        keys.enrol_personal_key("short pass1", params=FAST)
    assert info.value.minimum == 12
    composed, decomposed = "caf\u00e9 au lait!!", "cafe\u0301 au lait!!"
    _, blob = keys.enrol_personal_key(composed, params=FAST)
    keys.unlock_personal_key(blob, decomposed)
    new = keys.change_passphrase(blob, composed, "another long passphrase", FAST)
    assert keys.personal_public_key(new) == keys.personal_public_key(blob)
    keys.unlock_personal_key(new, "another long passphrase")


def test_default_argon2_parameters_work():
    _, blob = keys.enrol_personal_key(PASS)
    assert blob[6:18] == bytes.fromhex("00010000" "00000003" "00000004")
    keys.unlock_personal_key(blob, PASS)


def test_sealed_share_opens_only_for_its_holder_and_context():
    sk = keys.generate_opening_key()
    _, ex, _ = keys.split_opening_key(sk, execute=(1, 1), supervise=(1, 1))
    public, blob = keys.enrol_personal_key(PASS, params=FAST)
    holder = keys.unlock_personal_key(blob, PASS)
    ctx = b"PRSB-v1 share|GC-2026-0001|7|execute"
    sealed = keys.seal_share(ex[0], public, ctx)
    assert keys.open_share(sealed, holder, ctx) == ex[0]
    assert keys.open_share(sealed, holder.private_key, ctx) == ex[0]
    assert code(keys.open_share, sealed, holder, ctx + b"x") == "share_unopenable"
    stranger = keys.unlock_personal_key(keys.enrol_personal_key(PASS, params=FAST)[1], PASS)
    assert code(keys.open_share, sealed, stranger, ctx) == "share_unopenable"
    assert code(keys.open_share, b"\x02" + sealed[1:], holder, ctx) == "bad_share"


def test_full_ceremony(opening_key):
    """Split, seal to holders, unlock with passphrases, rebuild, open a bid."""
    import io
    public, ex, sup = keys.create_opening_key(execute=(2, 3), supervise=(1, 2))
    holders = [keys.enrol_personal_key(f"passphrase of holder {i}", params=FAST) for i in range(5)]
    sealed = [keys.seal_share(s, holders[i][0], b"ctx%d" % i) for i, s in enumerate(ex + sup)]
    opened = [keys.open_share(sealed[i], keys.unlock_personal_key(holders[i][1],
                                                                 f"passphrase of holder {i}"),
                              b"ctx%d" % i) for i in (0, 2, 4)]
    sk = keys.rebuild_opening_key(opened[:2], opened[2:], public)
    out = io.BytesIO()
    envelope.seal([b"bid"], public_key=public, trade_ref="T", bidder_id="B", version=1, out=out)
    plain = io.BytesIO()
    envelope.open_envelope(io.BytesIO(out.getvalue()), sk, plain)
    assert plain.getvalue() == b"bid"
