"""Operations on key custody: appointing keyholders, enrolling personal keys, and the opening key
made and split at approval (its fingerprint published with the notice)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext as _

from bidding.crypto import envelope
from bidding.keyholders import keys
from bidding.keyholders.models import Keyholder, KeyOrigin, OpeningKey, PersonalKey, SealedShare, Side
from trading import texts
from trading.accounts import policy
from trading.accounts.models import User
from trading.accounts.roles import Role
from trading.clock import now
from trading.errors import DomainError, IllegalMove, InvalidInput, NotAllowed
from trading.extensions import db
from trading.permissions import require
from trading.texts import N_
from trading.trades.flows import TradeState
from trading.trades.models import Trade

class PassphraseNotAccepted(DomainError):
    """A client still sends a passphrase: the platform no longer takes one (docs/key-custody.md)."""

    status = 410
    code = "passphrase_not_accepted"


def refuse_passphrase(data: dict) -> None:
    """Turn away a request that carries a passphrase, before anything reads it, with the way forward."""
    if "passphrase" in data:
        raise PassphraseNotAccepted(_(
            "The platform no longer accepts passphrases. Your personal key is made and opened on your own "
            "machine: use the page in your browser, or the offline tool `python -m bidding.keyholders.cli`, "
            "and send only the public key (enrolment) or your opened share (opening)."))


DUTY = {Side.EXECUTE: "executing_keyholder", Side.SUPERVISE: "supervising_keyholder"}


def needs_opening_key(trade: Trade) -> bool:
    """Electronic sealed bids (not on paper), or a sealed reserve price (a land sale, O39 Art 10): the trade
    gets keyholders before approval and an opening key at approval."""
    rules = trade.rule_set
    return (rules.takes_sealed_bids and not trade.paper_bids) or rules.sealed_reserve

# ---- keyholders and personal keys -------------------------------------------------------------

def appoint_keyholders(actor: User, trade: Trade, execute_ids: list[int], supervise_ids: list[int]) -> list[Keyholder]:
    """The decision branch names k-of-n executing and m-of-p supervising keyholders before approval."""
    require("trade.keyholders", trade, user=actor)
    if trade.state not in (TradeState.DRAFT, TradeState.SUBMITTED):
        raise IllegalMove(_("Keyholders are appointed before the trade is approved."))
    if not needs_opening_key(trade):
        raise IllegalMove(_("This trade takes no electronic bids: it has no opening key and no keyholders."),
                          code="no_electronic_bids")
    errors: dict[str, list[str]] = {}
    k, m = trade.centre.keyholders_execute, trade.centre.keyholders_supervise
    if len(set(execute_ids)) < k:
        errors["execute"] = [_("appoint at least %(n)d executing keyholders", n=k)]
    if len(set(supervise_ids)) < m:
        errors["supervise"] = [_("appoint at least %(n)d supervising keyholders", n=m)]
    if set(execute_ids) & set(supervise_ids):
        errors["supervise"] = [_("one person cannot hold both halves of the key")]
    if errors:
        raise InvalidInput(errors)
    db.session.execute(sa.delete(Keyholder).where(Keyholder.trade_id == trade.id))
    rows = []
    for side, ids in ((Side.EXECUTE, execute_ids), (Side.SUPERVISE, supervise_ids)):
        for uid in dict.fromkeys(ids):
            user = db.session.get(User, uid)
            if user is None:
                raise InvalidInput({side.value: [_("no such user: %(id)s", id=uid)]})
            policy.join(user, trade, DUTY[side])
            row = Keyholder(trade_id=trade.id, user_id=user.id, side=side, appointed_by_id=actor.id,
                            appointed_at=now())
            db.session.add(row)
            rows.append(row)
    db.session.flush()
    return rows


def keyholder_view(trade: Trade) -> list[Keyholder]:
    """Keyholders with an `enrolled` flag for display."""
    rows = keyholders(trade)
    for row in rows:
        row.enrolled = active_personal_key(row.user_id) is not None
    return rows


def keyholders(trade: Trade) -> list[Keyholder]:
    return list(db.session.scalars(sa.select(Keyholder).where(Keyholder.trade_id == trade.id)
                                   .order_by(Keyholder.side, Keyholder.id)))


def active_personal_key(user_id: int) -> PersonalKey | None:
    """The key new shares are sealed to: the latest not retired, made on the holder's machine (a key the
    platform made before 0013, having seen its passphrase, does not count: its holder re-enrols)."""
    return db.session.scalar(sa.select(PersonalKey).where(PersonalKey.user_id == user_id,
                                                          PersonalKey.retired_at.is_(None),
                                                          PersonalKey.origin == KeyOrigin.CLIENT)
                             .order_by(PersonalKey.id.desc()))


def enrol_personal_key(user: User, public_key: bytes, wrapped_key: bytes | None = None) -> PersonalKey:
    """Record a personal key made on the holder's machine; the previous one is retired.

    The platform receives the public key and, if the holder keeps it here, the private key wrapped
    under their passphrase on their machine. It never receives the passphrase, so all it can check
    is that the public key is a P-256 point and the wrapped key is a version 2 blob of that key
    with at least the configured PBKDF2 cost."""
    if not (user.centres_for(Role.CENTRE_STAFF) or user.centres_for(Role.ADMIN_SUPERVISOR)
            or user.centres_for(Role.SOCIAL_SUPERVISOR)):
        raise NotAllowed(_("Only executing staff and supervisors hold opening keys."))
    try:
        keys.check_client_blob(public_key, wrapped_key, current_app.config["PERSONAL_KEY_ITERATIONS"])
    except keys.KeyCustodyError as exc:
        field = "public_key" if exc.code == "bad_public_key" else "wrapped_key"
        message = {
            "bad_public_key": _("must be a 65-byte uncompressed P-256 point (04 ‖ X ‖ Y), in hex"),
            "weak_key_blob": _("must use at least %(n)d PBKDF2 iterations",
                               n=current_app.config["PERSONAL_KEY_ITERATIONS"]),
        }.get(exc.code, _("must be a version 2 personal key blob of the same public key, wrapped on your "
                          "own machine"))
        raise InvalidInput({field: [message]}) from None
    old = active_personal_key(user.id)
    if old is not None:
        old.retired_at = now()
    row = PersonalKey(user_id=user.id, public_key=bytes(public_key),
                      protected_key=bytes(wrapped_key) if wrapped_key is not None else None,
                      origin=KeyOrigin.CLIENT, created_at=now())
    db.session.add(row)
    db.session.flush()
    return row


# ---- the opening key ----------------------------------------------------------------------------

def share_context(trade: Trade, holder: Keyholder) -> bytes:
    """What a share is sealed for: the trade and the holder (the holder's machine needs it to open it)."""
    return f"PRSB-v1 share|{trade.ref}|{holder.user_id}|{holder.side.value}".encode()


def create_opening_key(trade: Trade) -> OpeningKey | None:
    """Generate the key pair, split the private key (A xor B, each Shamir-split) and seal each share
    to its holder. The whole private key is never stored and leaves this function's memory."""
    holders = keyholders(trade)
    if not holders:
        return None
    by_side = {s: [h for h in holders if h.side is s] for s in Side}
    personal = {}
    for h in holders:
        pk = active_personal_key(h.user_id)
        if pk is None:
            raise IllegalMove(_("Keyholder %(name)s has not enrolled a personal key yet.",
                                name=h.user.display_name), code="keyholder_not_enrolled")
        personal[h.id] = pk
    k = min(trade.centre.keyholders_execute, len(by_side[Side.EXECUTE]))
    m = min(trade.centre.keyholders_supervise, len(by_side[Side.SUPERVISE]))
    private = keys.generate_opening_key()
    public, exec_shares, sup_shares = keys.split_opening_key(
        private, execute=(k, len(by_side[Side.EXECUTE])), supervise=(m, len(by_side[Side.SUPERVISE])))
    del private
    raw = envelope.public_key_bytes(public)
    row = OpeningKey(trade_id=trade.id, public_key=raw, fingerprint=envelope.fingerprint(public).hex(),
                     execute_threshold=k, supervise_threshold=m, created_at=now())
    db.session.add(row)
    for side, shares in ((Side.EXECUTE, exec_shares), (Side.SUPERVISE, sup_shares)):
        for holder, share in zip(by_side[side], shares):
            pk, context = personal[holder.id], share_context(trade, holder)
            row.shares.append(SealedShare(
                keyholder_id=holder.id, personal_key_id=pk.id, side=side,
                sealed=keys.seal_share(share, pk.public_key, context),
                commitment=keys.share_commitment(share, context),
                holder_fingerprint=keys.personal_fingerprint(pk.public_key)))
    db.session.flush()
    return row


def check_keyholders_ready(trade: Trade, at=None) -> None:
    """Guard of the approval of a trade whose method takes sealed bids ("keyholders_ready"): its keyholders
    are appointed to the centre's k-of-n and m-of-p rule and each has enrolled a personal key, since
    approval makes the opening key and seals a share to each of them. Else the bids could never be
    opened: approval is refused, naming the rule."""
    if not needs_opening_key(trade):
        return
    holders = keyholders(trade)
    k, m = trade.centre.keyholders_execute, trade.centre.keyholders_supervise
    appointed = {side: sum(1 for h in holders if h.side is side) for side in Side}
    bids = trade.rule_set.takes_sealed_bids
    if appointed[Side.EXECUTE] < k or appointed[Side.SUPERVISE] < m:
        raise IllegalMove((_(
            "This method takes sealed bids: before approval the decision branch appoints the keyholders "
            "(this centre's keyholder rule: at least %(k)d executing and %(m)d supervising keyholders; "
            "appointed: %(e)d and %(s)d).", k=k, m=m, e=appointed[Side.EXECUTE], s=appointed[Side.SUPERVISE])
            if bids else _(
            "The reserve price of this sale is sealed (O39 Art 10): before approval the decision branch appoints "
            "the keyholders who will open it (this centre's keyholder rule: at least %(k)d executing and %(m)d "
            "supervising keyholders; appointed: %(e)d and %(s)d).", k=k, m=m, e=appointed[Side.EXECUTE],
            s=appointed[Side.SUPERVISE])),
            code="keyholders_missing")
    waiting = [h.user.display_name for h in holders if active_personal_key(h.user_id) is None]
    if waiting:
        raise IllegalMove((_(
            "This method takes sealed bids: every keyholder enrols a personal key before approval "
            "(keyholder rule); not enrolled yet: %(names)s.", names=_(", ").join(waiting)) if bids else _(
            "The reserve price of this sale is sealed: every keyholder enrols a personal key before approval "
            "(keyholder rule); not enrolled yet: %(names)s.", names=_(", ").join(waiting))),
            code="keyholder_not_enrolled")


def install_guards() -> None:
    """Register the approval guard the tender flow names (idempotent)."""
    from trading.trades.lifecycle import GUARDS

    from trading.trades.models import ELECTRONIC_BID_CHECKS

    GUARDS.setdefault("keyholders_ready", check_keyholders_ready)
    if _has_opening_key not in ELECTRONIC_BID_CHECKS:
        ELECTRONIC_BID_CHECKS.append(_has_opening_key)


def _has_opening_key(trade: Trade) -> bool:
    return opening_key(trade) is not None


_OPENING_KEY = sa.select(OpeningKey).where(OpeningKey.trade_id == sa.bindparam("trade_id"))  # built once


def opening_key(trade: Trade) -> OpeningKey | None:
    return db.session.scalar(_OPENING_KEY, {"trade_id": trade.id})


def on_trade_moved(trade: Trade, move: str, **_kw) -> None:
    """Signal listener: approving a sealed-bid trade, or a sale with a sealed reserve, creates its opening key
    in the same transaction."""
    if move == "approve" and needs_opening_key(trade) and opening_key(trade) is None:
        create_opening_key(trade)


def publish_fingerprint(trade: Trade, actor, record) -> None:
    """Publishing a sealed-bid trade publishes its opening key's fingerprint with the notice, so
    every bidder can check the key their envelope is sealed to, and the fingerprint of each
    keyholder's personal key the shares were sealed to, so a keyholder whose key was swapped sees it
    before any bid is sealed (after_move consequence of publish)."""
    from trading.notices.models import Notice, NoticeKind

    from bidding.keyholders.schemas import published_holder_keys

    key = opening_key(trade)
    if key is None:
        return
    notice = db.session.scalar(sa.select(Notice).where(Notice.trade_id == trade.id,
                                                       Notice.kind == NoticeKind.ANNOUNCEMENT)
                               .order_by(Notice.id.desc()))
    if notice is None or key.fingerprint in notice.body:
        return
    lines = [texts.message(N_("Opening public key fingerprint (SHA-256): %(fingerprint)s"), fingerprint=key.fingerprint),
             texts.message(N_("Opening public key: %(url)s"), url=f"/api/v1/trades/{trade.id}/opening-key")]
    counts = {"execute": 0, "supervise": 0}
    for entry in published_holder_keys(key):
        counts[entry["side"]] += 1
        line = (N_("Executing keyholder %(n)d, personal key fingerprint (SHA-256): %(fingerprint)s")
                if entry["side"] == "execute" else
                N_("Supervising keyholder %(n)d, personal key fingerprint (SHA-256): %(fingerprint)s"))
        lines.append(texts.message(line, n=counts[entry["side"]], fingerprint=entry["fingerprint"]))
    stored = dict(notice.message or {})
    stored["body"] = list(stored.get("body") or [texts.typed(notice.body)]) + lines
    notice.message = stored
    with force_locale("zh_CN"):  # the stored text, in the platform's language
        notice.body += "\n" + texts.render(lines)


def publish_sealed_tender(trade: Trade, *, clerk: User, decider: User, executing: list[User],
                          supervising: list[User]) -> Trade:
    """The road of a sealed-bid tender to market: the decision branch appoints the keyholders (who
    must have enrolled), the clerk submits, the decision branch approves (which makes and splits
    the opening key), the clerk publishes. Demo data, benchmarks and end-to-end tests share it."""
    from trading.trades.services import move

    appoint_keyholders(decider, trade, [u.id for u in executing], [u.id for u in supervising])
    for name, actor in (("submit", clerk), ("approve", decider), ("publish", clerk)):
        move(trade, name, actor)
    return trade
