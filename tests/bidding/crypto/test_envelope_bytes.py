"""open_envelope_bytes (the ceremony's in-memory reader) agrees with the streaming reader on every
envelope, whole, cut, extended, reordered or flipped; decode_bid_to can skip files unread."""
from __future__ import annotations

import hashlib
import io
import os
import random

import pytest

from bidding.crypto import envelope as E
from bidding.crypto import records

C = 1024


def _streamed(env: bytes, key):
    try:
        opened = E.open_envelope_digest(io.BytesIO(env), key, out := io.BytesIO())
    except E.EnvelopeError as exc:
        return ("error", exc.code)
    return ("ok", opened.header.header_hash, out.getvalue(), opened.plaintext_sha256)


def _in_memory(env: bytes, key, into=None):
    digest = hashlib.sha256()
    try:
        header, plain = E.open_envelope_bytes(env, key, into=into, digest=digest)
    except E.EnvelopeError as exc:
        return ("error", exc.code)
    return ("ok", header.header_hash, bytes(plain), digest.digest())


def _variants(env: bytes, rng: random.Random):
    head = len(E.parse_header(io.BytesIO(env)).header_bytes)
    yield env
    yield env[:-1]
    yield env[:head]
    yield env[:head + 10]
    yield env + b"x"
    yield env + env[head:head + C + 16]
    body = env[head:]
    chunks = [body[i:i + C + 16] for i in range(0, len(body), C + 16)]
    if len(chunks) > 1:
        yield env[:head] + b"".join(chunks[1:] + chunks[:1])
        yield env[:head] + b"".join(chunks[:-1])
    for _ in range(6):
        at = rng.randrange(len(env))
        yield env[:at] + bytes([env[at] ^ (1 << rng.randrange(8))]) + env[at + 1:]


@pytest.mark.parametrize("size", [0, 1, C - 1, C, C + 1, 3 * C, 5 * C + 7])
def test_in_memory_reader_agrees_with_the_streaming_one(opening_key, seal_bytes, size):
    rng = random.Random(size)
    reused = bytearray(10 * C)  # a buffer reused from an earlier, larger envelope
    for env in _variants(seal_bytes(os.urandom(size)), rng):
        expected = _streamed(env, opening_key)
        assert _in_memory(env, opening_key) == expected
        assert _in_memory(env, opening_key, into=reused) == expected
        assert _in_memory(memoryview(env), opening_key) == expected


def test_another_key_does_not_open(seal_bytes):
    from bidding.keyholders import keys

    env = seal_bytes(b"abc")
    assert _in_memory(env, keys.generate_opening_key()) == ("error", "wrong_key")


def test_skipping_files_gives_the_same_entries_and_refuses_a_cut_file():
    plain = b"".join(records.encode_bid({"price": "12.00"}, [("a.bin", b"a" * 3000), ("b.txt", b"")]))
    _, read = records.decode_bid_to(io.BytesIO(plain), lambda name, size: io.BytesIO(), hash_files=False)
    _, skipped = records.decode_bid_to(io.BytesIO(plain), None, hash_files=False)
    assert skipped == read
    with pytest.raises(records.BidFormatError) as info:
        records.decode_bid_to(io.BytesIO(plain[:-20]), None, hash_files=False)
    assert info.value.code == "truncated"
    with pytest.raises(TypeError):
        records.decode_bid_to(io.BytesIO(plain), None)
