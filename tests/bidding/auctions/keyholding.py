"""Keyholders of a land sale in tests: a land listing or auction seals its reserve to an opening key made at
approval (O39 Art 10), so the decision branch appoints enrolled keyholders before approving it."""
from __future__ import annotations

from flask import current_app

from bidding.keyholders import client as holder_side, services as keyholding

#: every land keyholder's passphrase in tests (their personal keys are made on "their machine": here)
LAND_PASSPHRASE = "land keyholder passphrase"


def enrol(user) -> None:
    """What the keyholder's machine does once: make the personal key, send the public and wrapped keys."""
    if keyholding.active_personal_key(user.id) is None:
        made = holder_side.enrol(LAND_PASSPHRASE, current_app.config["PERSONAL_KEY_ITERATIONS"])
        keyholding.enrol_personal_key(user, made.public_key, made.wrapped_key)


def appoint(decider, trade, executing: list, supervising: list) -> None:
    """Enrol the keyholders (if not yet) and have the decision branch appoint them."""
    for user in (*executing, *supervising):
        enrol(user)
    keyholding.appoint_keyholders(decider, trade, [u.id for u in executing], [u.id for u in supervising])


def opened_share(user, material: dict) -> bytes:
    """The keyholder's machine opens the share the platform handed out (the reserve's or a ceremony's)."""
    return holder_side.release(bytes.fromhex(material["wrapped_key"]), LAND_PASSPHRASE,
                               bytes.fromhex(material["sealed_share"]), material["context"].encode())
