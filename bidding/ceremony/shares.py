"""Releasing a keyholder's share, and the store that holds released shares until the bids open.

Released shares are held between the release and the opening in the database, each sealed with
AES-256-GCM under a key derived (HKDF) from the platform's SECRET_KEY and the ceremony, so that
every worker process and host of the platform can complete the ceremony, and a restart loses
nothing. Shares can be released only after the ceremony started (never before the opening time),
and the held copies are erased in the transaction that opens the bids.
"""
from __future__ import annotations

import os
from datetime import timedelta

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
from trading.accounts.models import LoginAttempt, User
from trading.accounts.services import Throttled
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db
from trading.permissions import require
from trading.trades.flows import TradeState
from trading.trades.models import Trade


def _store_key(ceremony_id: int) -> AESGCM:
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"PRSB held shares v1",
                   info=f"ceremony:{ceremony_id}".encode()).derive(secret)
    return AESGCM(derived)


def _aad(ceremony_id: int, keyholder_id: int) -> bytes:
    return f"PRSB held share|{ceremony_id}|{keyholder_id}".encode()


def _seal_held(ceremony_id: int, keyholder_id: int, share: keys.KeyShare) -> bytes:
    nonce = os.urandom(12)
    return nonce + _store_key(ceremony_id).encrypt(nonce, share.to_bytes(), _aad(ceremony_id, keyholder_id))


def _open_held(ceremony_id: int, keyholder_id: int, sealed: bytes) -> keys.KeyShare:
    return keys.KeyShare.from_bytes(
        _store_key(ceremony_id).decrypt(sealed[:12], sealed[12:], _aad(ceremony_id, keyholder_id)))


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
            taken[row.keyholder_id] = _open_held(ceremony_id, row.keyholder_id, row.held_share)
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


def _passphrase_throttle(actor: User, trade: Trade) -> None:
    """A keyholder's session may not guess passphrases: after LOGIN_MAX_FAILURES wrong ones within
    LOGIN_WINDOW_SECONDS the release is refused for the rest of the window."""
    window = now() - timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    failures = db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt).where(
        LoginAttempt.username == f"passphrase:{actor.id}"[:64], LoginAttempt.remote_addr == f"trade:{trade.id}",
        LoginAttempt.at >= window)) or 0
    if failures >= current_app.config["LOGIN_MAX_FAILURES"]:
        raise Throttled(_("Too many wrong passphrases. Try again in %(m)d minutes.",
                          m=current_app.config["LOGIN_WINDOW_SECONDS"] // 60))


def release_share(actor: User, trade: Trade, passphrase: str) -> ShareRelease:
    """A keyholder unlocks their personal key and opens their share, held (sealed) until the bids open.

    Allowed only once the ceremony has started, which itself is refused before the opening time:
    no share exists outside its holder's passphrase before the legal moment of opening.
    """
    require("ceremony.release", trade, user=actor)
    holder = keyholder_of(actor, trade)
    _closed_at_deadline(trade)
    started = ceremony_of(trade)
    if (trade.state is not TradeState.OPENING or started is None or started.started_at is None
            or trade.opening_at is None or now() < trade.opening_at):
        raise IllegalMove(_("Shares are released once the opening has started and until the bids are opened."),
                          code="not_releasable")
    key = opening_key(trade)
    sealed = key and db.session.scalar(sa.select(SealedShare).where(SealedShare.opening_key_id == key.id,
                                                                    SealedShare.keyholder_id == holder.id))
    if sealed is None:
        raise IllegalMove(_("No share of this trade's opening key was sealed to you."), code="no_share")
    ceremony = ceremony_of(trade)
    if ceremony is None:
        ceremony = OpeningCeremony(trade_id=trade.id, created_at=now())
        db.session.add(ceremony)
        db.session.flush()
    if ceremony.finished_at is not None:
        raise IllegalMove(_("The bids have already been opened."), code="finished")
    if holder.id in held_keyholders(ceremony.id):
        raise IllegalMove(_("You have already released your share."), code="already_released")
    check_release(actor, trade, holder)  # ties checked again now; a timed-out ceremony takes no share
    personal = db.session.get(PersonalKey, sealed.personal_key_id)  # the key it was sealed to
    _passphrase_throttle(actor, trade)
    try:
        unlocked = keys.unlock_personal_key(personal.protected_key, passphrase or "")
    except keys.WrongPassphrase:
        # kept even though the request fails: guesses are counted across requests and workers
        db.session.rollback()
        db.session.add(LoginAttempt(username=f"passphrase:{actor.id}"[:64], remote_addr=f"trade:{trade.id}",
                                    at=now()))
        db.session.commit()
        raise InvalidInput({"passphrase": [_("this passphrase does not unlock your personal key")]}) from None
    try:
        share = keys.open_share(sealed.sealed, unlocked, share_context(trade, holder))
    except keys.KeyCustodyError as exc:
        raise IllegalMove(_("Your share cannot be opened (%(code)s); please contact the centre.", code=exc.code),
                          code=exc.code) from None
    finally:
        del unlocked
    if share.side != holder.side.value or share.key_fingerprint.hex() != key.fingerprint:
        raise IllegalMove(_("Your share belongs to another key or side."), code="share_mismatch")
    row = db.session.scalar(sa.select(ShareRelease).where(ShareRelease.ceremony_id == ceremony.id,
                                                          ShareRelease.keyholder_id == holder.id))
    if row is None:
        row = ShareRelease(ceremony_id=ceremony.id, keyholder_id=holder.id)
        db.session.add(row)
    row.held_share = _seal_held(ceremony.id, holder.id, share)
    del share
    row.released_at = now()  # a release again (e.g. after the platform secret changed): the latest counts
    db.session.flush()
    return row
