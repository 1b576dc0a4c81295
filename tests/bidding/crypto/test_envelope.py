"""Envelope round trips, receipt checks (every error code) and tampering."""
from __future__ import annotations

import io
import os
import random
import struct
import tracemalloc

import pytest

from bidding.crypto import envelope as E
from bidding.keyholders import keys
from bidding.crypto.envelope_check import ReceiptCheck, check_envelope
from tests.bidding.conftest import BIDDER, TRADE

C = 1024


def open_bytes(env: bytes, key) -> bytes:
    out = io.BytesIO()
    E.open_envelope(io.BytesIO(env), key, out)
    return out.getvalue()


def check(env: bytes, key, *, trade=TRADE, bidder=BIDDER, version=1, max_size=10**9):
    return check_envelope(io.BytesIO(env), trade, bidder, version, E.fingerprint(key.public_key()),
                            max_size)


def code_of(fn, *args, **kwargs) -> str:
    with pytest.raises(E.EnvelopeError) as info:
        fn(*args, **kwargs)
    return info.value.code


def header_len(env: bytes) -> int:
    return len(E.parse_header(io.BytesIO(env)).header_bytes)


# --- round trips ------------------------------------------------------------------------------

@pytest.mark.parametrize("size", [0, 1, C - 1, C, 2 * C, 3 * C + 7, 1024 * 1024])
def test_round_trip(opening_key, seal_bytes, size):
    plaintext = os.urandom(size)
    env = seal_bytes(plaintext)
    chunks = max(1, -(-size // C))
    assert len(env) == header_len(env) + size + 16 * chunks
    header = check(env, opening_key)
    assert header.size == len(env) and header.trade_ref == TRADE and header.bidder_id == BIDDER
    opened = E.open_envelope_digest(io.BytesIO(env), opening_key, io.BytesIO())
    assert open_bytes(env, opening_key) == plaintext
    assert opened.plaintext_size == size
    assert opened.plaintext_sha256 == __import__("hashlib").sha256(plaintext).digest()


def test_default_chunk_and_iterable_pieces(opening_key):
    pieces = [os.urandom(n) for n in (1, 70000, 0, 65535, 3)]
    out = io.BytesIO()
    header = E.seal(iter(pieces), public_key=opening_key.public_key(), trade_ref=TRADE,
                    bidder_id=BIDDER, version=2, out=out)
    assert header.chunk_size == 65536 and header.version == 2
    assert open_bytes(out.getvalue(), opening_key) == b"".join(pieces)


def test_bid_records_round_trip(opening_key, seal_bytes, tmp_path):
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(300_000))
    form = {"price": "4815000.00", "duration_days": "360", "quality": "合格"}
    plain = b"".join(E.encode_bid(form, [("a.pdf", b"%PDF-1.7 x"), ("big.bin", path),
                                        ("s.txt", io.BytesIO(b"stream"))]))
    assert plain.startswith(b'\x01\x00\x04form')
    assert b'{"duration_days":"360","price":"4815000.00","quality":"\xe5\x90\x88\xe6\xa0\xbc"}' in plain
    got_form, files = E.decode_bid(io.BytesIO(open_bytes(seal_bytes(plain), opening_key)))
    assert got_form == form
    assert files == [("a.pdf", b"%PDF-1.7 x"), ("big.bin", path.read_bytes()), ("s.txt", b"stream")]


@pytest.mark.parametrize("form, code", [
    ({"price": "4815000.001"}, "bad_price"), ({"price": "-1.00"}, "bad_price"),
    ({"price": "0.00"}, "bad_price"), ({"price": "1e5"}, "bad_price"), ({"price": 12.5}, "bad_form"),
    ({"duration_days": "360"}, "bad_form"), ({"price": "1", "n": 3}, "bad_form"),
])
def test_bad_forms_are_refused(form, code):
    with pytest.raises(E.BidFormatError) as info:
        list(E.encode_bid(form))
    assert info.value.code == code


@pytest.mark.parametrize("plain, code", [
    (b"", "bad_record"), (b"\x02\x00\x04form", "bad_record"), (b"\x01\x00\x04form\x00", "truncated"),
    (b"\x01\x00\x04form" + struct.pack(">Q", 9) + b'{"a":"1"}', "bad_form"),
    (b"\x01\x00\x04form" + struct.pack(">Q", 29) + b'{"price":"1","price":"2.00"}x', "bad_form"),
    (b"\x01\x00\x04form" + struct.pack(">Q", 2**40), "form_too_large"),
])
def test_bad_plaintexts_are_refused(plain, code):
    with pytest.raises(E.BidFormatError) as info:
        E.decode_bid(io.BytesIO(plain))
    assert info.value.code == code


class _Pattern(io.RawIOBase):
    """A read-only stream of `size` pattern bytes, never held whole."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        n = min(len(buf), self.left, 4096)
        buf[:n] = bytes(range(256)) * (n // 256) + bytes(range(n % 256))
        self.left -= n
        return n


class _Hashing(io.RawIOBase):
    def __init__(self) -> None:
        self.hash, self.size = __import__("hashlib").sha256(), 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.hash.update(data)
        self.size += len(data)
        return len(data)


def test_streaming_keeps_memory_flat(opening_key, tmp_path):
    size = 24 * 1024 * 1024
    path = tmp_path / "bid.prsb"
    tracemalloc.start()
    try:
        with path.open("wb") as out:
            E.seal(_Pattern(size), public_key=opening_key.public_key(), trade_ref=TRADE,
                   bidder_id=BIDDER, version=1, out=out, plaintext_size=size)
        _, peak_seal = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        with path.open("rb") as fh:
            check_header = check_envelope(fh, TRADE, BIDDER, 1, E.fingerprint(opening_key.public_key()),
                                            10**10)
        sink = _Hashing()
        with path.open("rb") as fh:
            opened = E.open_envelope_digest(fh, opening_key, sink)
        _, peak_open = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert check_header.size == path.stat().st_size
    assert opened.plaintext_size == sink.size == size
    assert peak_seal < 4 * 1024 * 1024 and peak_open < 6 * 1024 * 1024


# --- receipt checks: every code ---------------------------------------------------------------

def _header_fields(env: bytes):
    h = E.parse_header(io.BytesIO(env))
    return h, env[len(h.header_bytes):]


def rewrite(env: bytes, *, trade=None, bidder=None, version=None, fp=None, chunk=None,
            declared=None, fmt=2) -> bytes:
    """Same sealed key and body under a rewritten header (`declared`: (body length, chunks))."""
    h, body = _header_fields(env)
    bound = (E.MAGIC + bytes([fmt]) + E.SUITE_IDS)
    for text in (trade or h.trade_ref, bidder or h.bidder_id):
        raw = text if isinstance(text, bytes) else text.encode()
        bound += struct.pack(">H", len(raw)) + raw
    bound += struct.pack(">I", version or h.version) + (fp or h.fingerprint)
    bound += struct.pack(">I", chunk or h.chunk_size)
    if fmt >= 2:
        plain = h.body_length - 16 * h.chunks  # a changed chunk size keeps a possible layout
        bound += struct.pack(">QQ", *(declared or E.body_layout(plain, chunk or h.chunk_size)))
    return bound + struct.pack(">H", len(h.sealed_key)) + h.sealed_key + body


def test_every_receipt_error_code(opening_key, seal_bytes):
    env = seal_bytes(b"x" * 3000)
    hlen = header_len(env)
    other = keys.generate_opening_key()
    cases = {
        "not_an_envelope": b"%PDF-1.7\n" + b"0" * 500,
        "unsupported_version": env[:4] + b"\x03" + env[5:],
        "unsupported_suite": env[:5] + b"\x00\x20" + env[7:],
        "wrong_trade": rewrite(env, trade="GC-2026-0002"),
        "wrong_bidder": rewrite(env, bidder="91350100MA2XYZ0999"),
        "wrong_version": rewrite(env, version=2),
        "wrong_key": seal_bytes(b"x", key=other),
        "bad_chunk_size": rewrite(env, chunk=512),
        "bad_sealed_key": env[:hlen - 113] + b"\x02" + env[hlen - 112:],
        "bad_header": rewrite(env, trade=b"GC-\xff"),
        "truncated": env[:30],
        "too_large": env,
    }
    for code, data in cases.items():
        kwargs = {"max_size": len(env) - 1} if code == "too_large" else {}
        assert code_of(check, data, opening_key, **kwargs) == code, code
    assert code_of(check, env[:hlen + 10], opening_key) == "truncated"
    assert code_of(check, env[:hlen + C + 16 + 5], opening_key) == "truncated"
    assert code_of(check, b"", opening_key) == "not_an_envelope"
    assert code_of(check, b"PR", opening_key) == "truncated"
    bad_le = env[:hlen - 115] + b"\x00\x70" + env[hlen - 113:]
    assert code_of(check, bad_le, opening_key) == "bad_sealed_key"
    # version 1 (no declared length) is still read, but no longer accepted on upload
    assert code_of(check, rewrite(env, fmt=1), opening_key) == "unsupported_version"
    assert E.parse_header(io.BytesIO(rewrite(env, fmt=1))).format_version == 1


def test_upload_cut_anywhere_or_extended_is_refused(opening_key, seal_bytes):
    """Version 2 declares the body, so the receipt check sees every cut, not only the ones that
    break the chunk arithmetic (a cut at a chunk boundary, or inside the last chunk, passed in v1)."""
    env = seal_bytes(os.urandom(3 * C + 100))
    hlen, step = header_len(env), C + 16
    assert E.parse_header(io.BytesIO(env)).body_length == len(env) - hlen
    assert E.parse_header(io.BytesIO(env)).chunks == 4
    for cut in [hlen, hlen + 1, hlen + step, hlen + 2 * step, hlen + 3 * step + 16, len(env) - 1,
                *range(hlen, len(env), 97)]:
        assert code_of(check, env[:cut], opening_key) == "truncated", cut
    assert code_of(check, env + b"\x00", opening_key) == "trailing_data"
    assert code_of(check, env + env[hlen:hlen + step], opening_key) == "trailing_data"
    # a header that declares an impossible body is damaged
    h = E.parse_header(io.BytesIO(env))
    for declared in [(h.body_length, h.chunks + 1), (h.body_length + step, h.chunks), (15, 1), (2 * step + 16, 3)]:
        assert code_of(check, rewrite(env, declared=declared), opening_key) == "bad_header", declared


def _fed(env: bytes, key, cuts: list[int]):
    """ReceiptCheck fed the envelope in pieces cut at these offsets (the network's pieces)."""
    check = ReceiptCheck(TRADE, BIDDER, 1, E.fingerprint(key.public_key()), 10**9)
    for start, end in zip([0, *cuts], [*cuts, len(env)]):
        check.feed(env[start:end])
    return check.finish()


def test_header_in_pieces(opening_key, seal_bytes):
    """The header is read from the first piece in place, or gathered over several pieces (only what
    it can still need is kept); whatever the cuts, the same header, the same refusals."""
    env = seal_bytes(os.urandom(3 * C))
    hlen = header_len(env)
    whole = E.parse_header(io.BytesIO(env))
    for cuts in ([], [1], [3, 4, 5], [hlen - 1], [hlen], [hlen + 1], list(range(1, hlen + 40, 7)), [10, len(env) - 1]):
        assert _fed(env, opening_key, cuts).header_bytes == whole.header_bytes, cuts
        assert code_of(_fed, env[:hlen - 1], opening_key, [5]) == "truncated"
        assert code_of(_fed, env + b"\x00", opening_key, cuts) == "trailing_data"
        assert code_of(_fed, rewrite(env, bidder="91350100MA2XYZ0999"), opening_key, cuts) == "wrong_bidder"
    # the longest header there can be (both texts 65535 bytes), over many pieces: read to its end
    longest = env[:11] + b"\xff\xff" + b"a" * 0xFFFF + b"\xff\xff" + b"a" * (E.MAX_HEADER + 10)
    assert code_of(_fed, longest, opening_key, list(range(1, len(longest), 4096))) == code_of(check, longest, opening_key)


def test_check_copies_and_hashes(opening_key, seal_bytes):
    env = seal_bytes(b"y" * 5000)
    copy = io.BytesIO()
    h = check_envelope(io.BytesIO(env), TRADE, BIDDER, 1, E.fingerprint_hex(opening_key.public_key()),
                         10**6, copy_to=copy)
    assert copy.getvalue() == env and h.sha256 == __import__("hashlib").sha256(env).digest()


# --- tampering --------------------------------------------------------------------------------

@pytest.mark.parametrize("change", [{"trade": "GC-2026-0002"}, {"trade": "GC-2026-00010"},
                                    {"bidder": "91350100MA2XYZ0999"}, {"version": 2},
                                    {"chunk": 2048}])
def test_moved_envelope_does_not_open(opening_key, seal_bytes, change):
    moved = rewrite(seal_bytes(b"bid" * 1000), **change)
    assert code_of(open_bytes, moved, opening_key) == "decrypt_failed"


def test_rewritten_fingerprint_is_wrong_key(opening_key, seal_bytes):
    moved = rewrite(seal_bytes(b"bid"), fp=bytes(32))
    assert code_of(open_bytes, moved, opening_key) == "wrong_key"
    other = keys.generate_opening_key()
    assert code_of(open_bytes, seal_bytes(b"bid"), other) == "wrong_key"


def test_bit_flips_anywhere_fail(opening_key, seal_bytes):
    env = seal_bytes(os.urandom(2 * C + 300))
    rng = random.Random(20260302)
    hlen = header_len(env)
    positions = list(range(hlen)) + rng.sample(range(hlen, len(env)), 150)
    for pos in positions:
        bit = 1 << rng.randrange(8)
        damaged = env[:pos] + bytes([env[pos] ^ bit]) + env[pos + 1:]
        with pytest.raises(E.EnvelopeError):
            open_bytes(damaged, opening_key)


def test_truncation_reordering_extension(opening_key, seal_bytes):
    env = seal_bytes(os.urandom(2 * C + 10))
    hlen, step = header_len(env), C + 16
    c0, c1, c2 = (env[hlen + i * step: hlen + (i + 1) * step] for i in range(3))
    head = env[:hlen]
    assert code_of(open_bytes, head + c0 + c1, opening_key) == "truncated"
    assert code_of(open_bytes, head, opening_key) == "truncated"
    assert code_of(open_bytes, head + c0 + c1 + c2[:-1], opening_key) == "decrypt_failed"
    assert code_of(open_bytes, head + c0 + c1 + c2[:10], opening_key) == "truncated"
    assert code_of(open_bytes, head + c1 + c0 + c2, opening_key) == "decrypt_failed"
    assert code_of(open_bytes, env + b"\x00", opening_key) == "decrypt_failed"
    for cut in range(0, len(env), 37):
        with pytest.raises(E.EnvelopeError):
            open_bytes(env[:cut], opening_key)
    exact = seal_bytes(os.urandom(2 * C))
    e0 = exact[hlen: hlen + step]
    assert code_of(open_bytes, exact + e0, opening_key) == "trailing_data"
    assert code_of(open_bytes, exact[:hlen + step], opening_key) == "truncated"


def test_load_public_key_forms(opening_key):
    from cryptography.hazmat.primitives import serialization
    pub = opening_key.public_key()
    pem = pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert E.fingerprint(E.load_public_key(pem)) == E.fingerprint(pub)
    assert E.fingerprint(E.load_public_key(E.public_key_bytes(pub).hex())) == E.fingerprint(pub)
    with pytest.raises(ValueError):
        E.load_public_key("not a key")
