"""The transaction confirmation (成交确认书): a canonical record of the deal (trading.canonical), its SHA-256,
the platform's Ed25519 signature over the record's bytes (the key receipts use: trading.platform_keys), and the
two parties' signatures over the hash with their own keys (trading/signing, kind "deal-confirmation"): the
winner's representative and the seller's. Complete when both have signed."""
from __future__ import annotations

import hashlib

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from flask_babel import force_locale, gettext as _

from bidding.auctions.deal.conclusion import deal_changed, deal_of
from bidding.auctions.deal.models import Confirmation, ConfirmationSignature, Deal, Party
from trading import texts
from trading.accounts.models import User
from trading.accounts.roles import Role
from trading.canonical import canonical_json
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db, flush_unless_taken
from trading.notices.models import Notification
from trading.permissions import require
from trading.platform_keys import services as platform_keys
from trading.signing.services import STATEMENTS, Expected, accept
from trading.signing.statements import iso
from trading.texts import N_
from trading.trades.models import Trade

FORMAT = "deal-confirmation/1"
KIND = "deal-confirmation"
PLATFORM_KEY = "receipt"  # the platform speaks with one published key per purpose; a confirmation is a receipt


def confirmation_of(trade: Trade) -> Confirmation | None:
    return db.session.scalar(sa.select(Confirmation).where(Confirmation.trade_id == trade.id))


def _s(value) -> str | None:
    return None if value is None else str(value)


def build_record(trade: Trade, deal: Deal) -> dict:
    """What the parties confirm, as plain JSON (amounts and percentages as decimal strings)."""
    deposit = deal.registration.deposit if deal.registration is not None else None
    applied = deposit.amount if deposit is not None and deposit.retained_at is not None else None
    buyer, seller = deal.organisation, trade.tenderer
    return {
        "format": FORMAT,
        "trade": {"id": trade.id, "ref": trade.ref, "title": trade.title, "rule_set": trade.method,
                  "kind": trade.rule_set.kind, "centre": trade.centre.code},
        "seller": {"name": seller.name, "credit_code": seller.credit_code},
        "buyer": {"name": buyer.name, "credit_code": buyer.credit_code, "paddle": deal.paddle},
        "price": str(deal.price),
        "basis": deal.basis,
        "offer_at": iso(deal.offer_at),
        "starting_price": str(deal.starting_price),
        "appraised_value": _s(deal.appraised_value),
        "premium_percent": _s(deal.premium_percent),
        "appreciation_percent": _s(deal.appreciation_percent),
        "deposit_applied": _s(applied),
        "balance_due": str(deal.price - (applied or 0)),
        "concluded_at": iso(deal.decided_at),
    }


def sha256_of(record: dict) -> str:
    return hashlib.sha256(canonical_json(record)).hexdigest()


def make_confirmation(trade: Trade, deal: Deal) -> Confirmation:
    """Fix the record and sign it with the platform's key (refused, 503, if this host's key is not the
    published one: the whole conclusion is then rolled back)."""
    record = build_record(trade, deal)
    data = canonical_json(record)
    key = platform_keys.signer(PLATFORM_KEY)
    row = Confirmation(trade_id=trade.id, record=record, sha256=hashlib.sha256(data).hexdigest(),
                       made_at=deal.decided_at, platform_signature=key.sign(data),
                       platform_key_id=platform_keys.key_id(platform_keys.raw_public(key)))
    db.session.add(row)
    db.session.flush()
    _tell_parties(trade, deal)
    return row


def _tell_parties(trade: Trade, deal: Deal) -> None:
    """The winner's bidders and the seller's members are told in the app that the confirmation awaits them."""
    message = {"subject": texts.message(N_("Transaction confirmation for %(ref)s"), ref=trade.ref),
               "body": [texts.message(N_("The transaction confirmation of %(title)s is ready: sign it for your side "
                                         "on the trade's deal page."), title=trade.title)]}
    with force_locale("zh_CN"):
        subject, body = texts.render(message["subject"]), texts.render(message["body"])
    people = [u for u in deal.organisation.members if u.has_role(Role.BIDDER)]
    people += [u for u in trade.tenderer.members if u.has_role(Role.TENDERER)]
    for user in people:
        db.session.add(Notification(user_id=user.id, trade_id=trade.id, kind="deal_confirmation",
                                    subject=subject[:250], body=body, message=message))
    db.session.flush()


def platform_signature_valid(row: Confirmation) -> bool:
    """The platform's signature verifies over the stored record with the published key."""
    try:
        platform_keys.public_key(PLATFORM_KEY).verify(bytes(row.platform_signature), canonical_json(row.record))
    except InvalidSignature:
        return False
    return sha256_of(row.record) == row.sha256


def party_of(user: User, trade: Trade) -> Party | None:
    """Which side `user` signs for: a bidder of the winning company, or a member of the seller (tenderer)."""
    deal = deal_of(trade)
    if deal is None or deal.organisation_id is None or not getattr(user, "is_authenticated", False):
        return None
    if user.organisation_id == deal.organisation_id and user.has_role(Role.BIDDER):
        return Party.BUYER
    if user.organisation_id == trade.tenderer_id and user.has_role(Role.TENDERER):
        return Party.SELLER
    return None


def _expectation(actor: User, trade: Trade) -> tuple[Expected, Party, Confirmation]:
    require("deal.sign", trade, user=actor)
    row = confirmation_of(trade)
    party = party_of(actor, trade)
    if row is None or party is None:
        raise IllegalMove(_("There is no transaction confirmation for you to sign."), code="no_confirmation")
    return (Expected({"trade": trade.ref, "trade_id": trade.id, "confirmation_sha256": row.sha256,
                      "party": party.value}), party, row)


def confirmation_statement(actor: User, params: dict) -> Expected:
    """trading.signing.STATEMENTS["deal-confirmation"]: this trade, this confirmation's hash, the signer's side."""
    trade = db.session.get(Trade, params.get("trade_id") or 0)
    if trade is None:
        raise InvalidInput({"trade_id": [_("is not a trade")]})
    return _expectation(actor, trade)[0]


STATEMENTS[KIND] = confirmation_statement


def unsigned_parties(row: Confirmation | None) -> list[Party]:
    done = {s.party for s in row.signatures} if row is not None else set()
    return [p for p in Party if p not in done]


def sign_confirmation(actor: User, trade: Trade, statement: str | None, signature) -> ConfirmationSignature:
    """A party signs the confirmation's SHA-256 with their own key, once per side; the second side completes it."""
    expected, party, row = _expectation(actor, trade)
    row_id = row.id
    before = lambda: db.session.scalar(sa.select(ConfirmationSignature.id).where(  # noqa: E731
        ConfirmationSignature.confirmation_id == row_id, ConfirmationSignature.party == party)) is not None
    already = IllegalMove(_("Your side has already signed this confirmation."), code="already_signed")
    if before():
        raise already
    signed = accept(actor, KIND, expected, statement, signature)
    sig = ConfirmationSignature(confirmation_id=row.id, party=party, user_id=actor.id,
                                confirmation_sha256=row.sha256, signed_at=now(), **signed.as_columns())
    db.session.add(sig)
    flush_unless_taken(before, already)  # both of one side's representatives at once: 409, not 500
    db.session.refresh(row)
    if not unsigned_parties(row) and row.completed_at is None:
        row.completed_at = sig.signed_at
        db.session.flush()
    deal_changed.send(trade, what="signed", actor=actor)
    return sig
