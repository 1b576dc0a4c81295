"""Shared fixtures for sealed bids: one opening key, a helper to seal bytes, and enrolled keyholders."""
from __future__ import annotations

import io

import pytest

from flask import current_app

from bidding.crypto import envelope
from bidding.keyholders import client as holder_side, keys

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


def enrol(client, name: str, passphrase: str | None = None) -> holder_side.Enrolment:
    """What a keyholder's machine does: make the key there, send the public and wrapped keys."""
    made = holder_side.enrol(passphrase or PASSPHRASES[name], current_app.config["PERSONAL_KEY_ITERATIONS"])
    response = client.post("/api/v1/me/personal-key", json={"public_key": made.public_key.hex(),
                                                            "wrapped_key": made.wrapped_key.hex()},
                           headers=api_headers(client, name))
    assert response.status_code == 201, response.get_json()
    return made


def release(client, trade, who: str, passphrase: str | None = None):
    """What a keyholder's machine does at the opening: fetch the sealed share and wrapped key, open
    the share with the passphrase there, send only the share. Returns the refusing or the release response."""
    headers = api_headers(client, who)
    fetched = client.get(f"/api/v1/trades/{trade.id}/ceremony/share", headers=headers)
    if fetched.status_code != 200:
        return fetched
    material = fetched.get_json()
    share = holder_side.release(bytes.fromhex(material["wrapped_key"]), passphrase or PASSPHRASES[who],
                                bytes.fromhex(material["sealed_share"]), material["context"].encode())
    return client.post(f"/api/v1/trades/{trade.id}/ceremony/shares", json={"share": share.hex()}, headers=headers)


def opened_share(user, trade, passphrase: str | None = None) -> bytes:
    """The share as the keyholder's machine opens it from what the platform hands out (service level)."""
    from bidding.ceremony.services import sealed_share_for

    material = sealed_share_for(user, trade)
    return holder_side.release(bytes.fromhex(material["wrapped_key"]), passphrase or PASSPHRASES[user.username],
                               bytes.fromhex(material["sealed_share"]), material["context"].encode())


@pytest.fixture
def keyholding(db, users, make_user, client):
    """A second WORKS clerk, and personal keys made on the keyholders' side and enrolled through the API."""
    users["staff2"] = make_user("staff2", (Role.CENTRE_STAFF, "WORKS"))
    for name in PASSPHRASES:
        enrol(client, name)
    return users
