"""What the deal's pages and API show, as plain data: the deal, its confirmation and signatures, the deposits.
Only callers who passed `deal.view` (the parties, the centre's staff and supervisors) or `deal.deposits` (the
staff) get here; the public reads the result notice."""
from __future__ import annotations

import base64

from flask_babel import gettext as _

from bidding.auctions.deal.conclusion import NO_DEAL_TEXTS, deal_of
from bidding.auctions.deal.confirmation import confirmation_of, unsigned_parties
from bidding.auctions.deal.refunds import deposit_lines
from trading.trades.models import Trade


def _s(value) -> str | None:
    return None if value is None else str(value)


def confirmation_view(trade: Trade) -> dict | None:
    row = confirmation_of(trade)
    if row is None:
        return None
    return {"record": row.record, "sha256": row.sha256, "made_at": row.made_at, "platform_key_id": row.platform_key_id,
            "platform_signature": bytes(row.platform_signature).hex(), "completed_at": row.completed_at,
            "waiting_for": [p.value for p in unsigned_parties(row)],
            "signatures": [{"party": s.party.value, "user": s.user.display_name, "signed_at": s.signed_at,
                            "confirmation_sha256": s.confirmation_sha256, "key_fingerprint": s.key_fingerprint,
                            "statement": s.statement,
                            "signature": base64.b64encode(bytes(s.signature)).decode() if s.signature else None}
                           for s in row.signatures]}


def deal_view(trade: Trade) -> dict | None:
    deal = deal_of(trade)
    if deal is None:
        return None
    return {"trade_id": trade.id, "outcome": deal.outcome.value, "reason": deal.reason.value if deal.reason else None,
            "reason_text": _(NO_DEAL_TEXTS[deal.reason]) if deal.reason else None, "paddle": deal.paddle,
            "winner": deal.organisation.name if deal.organisation is not None else None, "price": _s(deal.price),
            "basis": deal.basis, "offer_at": deal.offer_at, "starting_price": str(deal.starting_price),
            "appraised_value": _s(deal.appraised_value), "premium_percent": _s(deal.premium_percent),
            "appreciation_percent": _s(deal.appreciation_percent), "decided_at": deal.decided_at,
            "confirmation": confirmation_view(trade)}


def deposits_view(trade: Trade) -> list[dict]:
    return [{"id": line.deposit.id, "organisation": line.deposit.organisation.name, "paddle": line.paddle,
             "amount": str(line.deposit.amount), "paid_at": line.deposit.paid_at, "winner": line.winner,
             "state": line.state, "due": line.due, "refunded_at": line.deposit.refunded_at,
             "retained_at": line.deposit.retained_at, "note": line.deposit.note} for line in deposit_lines(trade)]
