"""Releasing a keyholder's share, and the store that holds released shares until the bids open.

Released shares are held between the release and the opening in the database, each sealed with
AES-256-GCM under a key derived (HKDF) from the platform's SECRET_KEY and the ceremony, so that
every worker process and host of the platform can complete the ceremony, and a restart loses
nothing. Shares can be released only after the ceremony started (never before the opening time),
and the held copies are erased in the transaction that opens the bids.
"""
from __future__ import annotations

import hmac
import os

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from flask_babel import gettext as _

from bidding.ceremony.models import OpeningCeremony, ShareRelease
from bidding.ceremony.permissions import keyholder_of
from bidding.ceremony.state import _closed_at_deadline, ceremony_of, check_release
from bidding.keyholders import keys
from bidding.keyholders.models import PersonalKey, SealedShare
from bidding.keyholders.services import opening_key, share_context
from trading.accounts.models import User
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db
from trading.permissions import require
from trading.trades.flows import TradeState
from trading.trades.models import Trade


def _store_key(ceremony_id: int, scope: str = "ceremony") -> AESGCM:
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"PRSB held shares v1",
                   info=f"{scope}:{ceremony_id}".encode()).derive(secret)
    return AESGCM(derived)


def _aad(ceremony_id: int, keyholder_id: int, scope: str = "ceremony") -> bytes:
    if scope == "ceremony":
        return f"PRSB held share|{ceremony_id}|{keyholder_id}".encode()
    return f"PRSB held share|{scope}|{ceremony_id}|{keyholder_id}".encode()


def seal_held(ceremony_id: int, keyholder_id: int, share: keys.KeyShare, scope: str = "ceremony") -> bytes:
    """A released share sealed for holding; `scope` keeps another holder of shares (the sealed reserve's
    opening, scope "reserve" with the trade's id) apart from the ceremonies."""
    nonce = os.urandom(12)
    return nonce + _store_key(ceremony_id, scope).encrypt(nonce, share.to_bytes(),
                                                           _aad(ceremony_id, keyholder_id, scope))


def open_held(ceremony_id: int, keyholder_id: int, sealed: bytes, scope: str = "ceremony") -> keys.KeyShare:
    return keys.KeyShare.from_bytes(
        _store_key(ceremony_id, scope).decrypt(sealed[:12], sealed[12:], _aad(ceremony_id, keyholder_id, scope)))


def held_keyholders(ceremony_id: int) -> set[int]:
    """Keyholder ids whose released share is held for the ceremony."""
    return set(db.session.scalars(sa.select(ShareRelease.keyholder_id).where(
        ShareRelease.ceremony_id == ceremony_id, ShareRelease.held_share.is_not(None))))


def _take_shares(ceremony_id: int) -> tuple[dict[int, keys.KeyShare], list[ShareRelease]]:
    """Open the held shares. Rows that no longer open (sealed under another secret) are erased at once
    so their keyholders can release again; the others are erased by the caller when the bids open."""
    rows = db.session.scalars(sa.select(ShareRelease).where(
        ShareRelease.ceremony_id == ceremony_id, ShareRelease.held_share.is_not(None)).with_for_update()).all()
    taken, kept = {}, []
    for row in rows:
        try:
            taken[row.keyholder_id] = open_held(ceremony_id, row.keyholder_id, row.held_share)
            kept.append(row)
        except (InvalidTag, ValueError):
            row.held_share = None
    db.session.flush()
    return taken, kept


def wipe_shares(ceremony_id: int) -> None:
    """Erase a ceremony's held shares."""
    db.session.execute(sa.update(ShareRelease).where(ShareRelease.ceremony_id == ceremony_id)
                       .values(held_share=None))


def on_trade_moved(trade: Trade, new_state=None, **_kw) -> None:
    """Signal listener: a suspended, cancelled or failed trade keeps no released share."""
    if new_state in (TradeState.SUSPENDED, TradeState.CANCELLED, TradeState.FAILED):
        ceremony = ceremony_of(trade)
        if ceremony is not None:
            wipe_shares(ceremony.id)


def _releasable(actor: User, trade: Trade):
    """The keyholder and their sealed share, once the ceremony has started (never before the opening
    time) and until the bids are opened; otherwise a clear refusal."""
    require("ceremony.release", trade, user=actor)
    holder = keyholder_of(actor, trade)
    _closed_at_deadline(trade)
    ceremony = ceremony_of(trade)
    if (trade.state is not TradeState.OPENING or ceremony is None or ceremony.started_at is None
            or trade.opening_at is None or now() < trade.opening_at):
        raise IllegalMove(_("Shares are released once the opening has started and until the bids are opened."),
                          code="not_releasable")
    if ceremony.finished_at is not None:
        raise IllegalMove(_("The bids have already been opened."), code="finished")
    key, sealed, personal = holder_share(trade, holder)
    return holder, ceremony, key, sealed, personal


def holder_share(trade: Trade, holder) -> tuple:
    """(opening key, sealed share, personal key it was sealed to) of a keyholder, refused when no share was
    sealed to them or the personal key on record is not the one the share was sealed to."""
    key = opening_key(trade)
    sealed = key and db.session.scalar(sa.select(SealedShare).where(SealedShare.opening_key_id == key.id,
                                                                    SealedShare.keyholder_id == holder.id))
    if sealed is None:
        raise IllegalMove(_("No share of this trade's opening key was sealed to you."), code="no_share")
    personal = db.session.get(PersonalKey, sealed.personal_key_id)  # the key it was sealed to
    if sealed.holder_fingerprint and keys.personal_fingerprint(personal.public_key) != sealed.holder_fingerprint:
        raise IllegalMove(_("The personal key on record is not the one your share was sealed to and whose "
                            "fingerprint the notice published: the share is not handed out. Tell the "
                            "supervisors."), code="key_swapped")
    return key, sealed, personal


def sealed_share_for(actor: User, trade: Trade) -> dict:
    """What the keyholder's machine needs to open its share: the sealed share, the context it was
    sealed for, the public key (and fingerprint, as published) it was sealed to, and the wrapped
    private key if the holder keeps it here. Nothing in it opens without the holder's passphrase."""
    holder, _ceremony, key, sealed, personal = _releasable(actor, trade)
    return share_material(trade, holder, key, sealed, personal)


def share_material(trade: Trade, holder, key, sealed: SealedShare, personal: PersonalKey) -> dict:
    """The keyholder's share as handed out (sealed_share_for, the sealed reserve's opening)."""
    return {"trade_ref": trade.ref, "side": holder.side.value, "opening_key_fingerprint": key.fingerprint,
            "context": share_context(trade, holder).decode(), "sealed_share": sealed.sealed.hex(),
            "holder_public_key": personal.public_key.hex(),
            "holder_fingerprint": keys.personal_fingerprint(personal.public_key),
            "wrapped_key": personal.protected_key.hex() if personal.protected_key else None,
            "key_origin": personal.origin.value}


def released_share(raw: bytes, trade: Trade, holder, key, sealed: SealedShare) -> keys.KeyShare:
    """The released bytes as a share of this trade's key, this holder's side, and (where a commitment
    was stored when it was sealed) exactly the share sealed to this holder: never someone else's
    share or a made-up point."""
    try:
        share = keys.KeyShare.from_bytes(raw)
    except (keys.KeyCustodyError, ValueError):
        raise InvalidInput({"share": [_("is not an opening-key share (PRKS version 1, 72 bytes)")]}) from None
    if share.key_fingerprint.hex() != key.fingerprint:
        raise InvalidInput({"share": [_("belongs to another trade's opening key")]})
    if share.side != holder.side.value:
        raise InvalidInput({"share": [_("is a share of the other side of the key")]})
    if sealed.commitment is not None and not hmac.compare_digest(
            keys.share_commitment(share, share_context(trade, holder)), sealed.commitment):
        raise InvalidInput({"share": [_("is not the share sealed to you for this trade")]})
    return share


def release_share(actor: User, trade: Trade, share_bytes: bytes) -> ShareRelease:
    """A keyholder's machine opened their share and sends it; it is checked against the commitment
    stored when it was sealed and held (sealed) until the bids open.

    Allowed only once the ceremony has started, which itself is refused before the opening time.
    The platform never sees the passphrase or the personal private key (docs/key-custody.md).
    """
    holder, ceremony, key, sealed, _personal = _releasable(actor, trade)
    if holder.id in held_keyholders(ceremony.id):
        raise IllegalMove(_("You have already released your share."), code="already_released")
    check_release(actor, trade, holder)  # ties checked again now; a timed-out ceremony takes no share
    share = released_share(bytes(share_bytes), trade, holder, key, sealed)
    row = db.session.scalar(sa.select(ShareRelease).where(ShareRelease.ceremony_id == ceremony.id,
                                                          ShareRelease.keyholder_id == holder.id))
    if row is None:
        row = ShareRelease(ceremony_id=ceremony.id, keyholder_id=holder.id)
        db.session.add(row)
    row.held_share = seal_held(ceremony.id, holder.id, share)
    del share
    row.released_at = now()  # a release again (e.g. after the platform secret changed): the latest counts
    db.session.flush()
    return row
