"""Shared fixtures for sealed bids: one opening key, a helper to seal bytes, and enrolled keyholders."""
from __future__ import annotations

import io

import pytest

from bidding.crypto import envelope
from bidding.keyholders import keys

from tests.conftest import api_headers
from trading.accounts.roles import Role

TRADE, BIDDER = "GC-2026-0001", "91350100MA2XYZ0123"
PASSPHRASES = {"staff": "staff passphrase 1", "staff2": "staff2 passphrase 2", "supervisor": "supervisor pass 3"}


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


@pytest.fixture
def keyholding(db, users, make_user, client):
    """A second WORKS clerk, and personal keys enrolled by the three keyholders through the API."""
    users["staff2"] = make_user("staff2", (Role.CENTRE_STAFF, "WORKS"))
    for name, phrase in PASSPHRASES.items():
        response = client.post("/api/v1/me/personal-key", json={"passphrase": phrase},
                               headers=api_headers(client, name))
        assert response.status_code == 201, response.get_json()
    return users
