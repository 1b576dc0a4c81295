"""Shared fixtures for the sealed-bid core: one opening key and a helper to seal bytes."""
from __future__ import annotations

import io

import pytest

from bidding import envelope, keys

TRADE, BIDDER = "GC-2026-0001", "91350100MA2XYZ0123"


@pytest.fixture(scope="session")
def opening_key():
    return keys.generate_opening_key()


@pytest.fixture(scope="session")
def seal_bytes(opening_key):
    def seal(plaintext: bytes, *, chunk_size: int = 1024, trade: str = TRADE, bidder: str = BIDDER,
             version: int = 1, key=None) -> bytes:
        out = io.BytesIO()
        envelope.seal([plaintext], public_key=(key or opening_key).public_key(), trade_ref=trade,
                      bidder_id=bidder, version=version, chunk_size=chunk_size, out=out)
        return out.getvalue()
    return seal
