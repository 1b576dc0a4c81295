"""What each reader sees of a negotiation: the whole of it (panel, clerk, supervisors) or one supplier's part."""
from __future__ import annotations

from bidding.keyholders.services import opening_key
from procurement.negotiation import quotes, services
from trading.accounts.models import User
from trading.permissions import require
from trading.trades.models import Trade


def overview(viewer: User, trade: Trade) -> dict:
    require("negotiation.view", trade, user=viewer)
    row = services.negotiation_of(trade)
    experts, reps = services.panel_counts(trade)
    out_by_org = {x.organisation_id: x for x in services.exclusions(trade)}
    return {
        "trade_id": trade.id, "method": trade.method, "started": row is not None,
        "round_no": row.round_no if row else None,
        "panel": {"experts": experts, "representatives": reps, "breaches": services.panel_breaches(trade)},
        "suppliers": [{"organisation_id": o.id, "name": o.name, "still_in": o.id not in out_by_org,
                       "set_aside_reason": out_by_org[o.id].reason if o.id in out_by_org else None}
                      for o in services.suppliers(trade)],
        "changes": services.changes(trade), "call": services.call_of(trade), "quotes": quotes.quotes(trade),
        "releases": quotes.release_counts(trade), "opening": quotes.opening_record(trade),
    }


def own_view(viewer: User, trade: Trade) -> dict:
    require("negotiation.supplier", trade, user=viewer)
    org_id = viewer.organisation_id
    row = services.negotiation_of(trade)
    key = opening_key(trade)
    credit = viewer.organisation.credit_code or ""
    return {
        "trade_id": trade.id, "organisation_id": org_id, "still_in": org_id in services.remaining(trade),
        "round_no": row.round_no if row else None, "thread": services.own_thread(viewer, trade),
        "changes": services.changes_for(viewer, trade), "call": services.call_of(trade),
        "quotes": quotes.quotes(trade, org_id), "opening_key": key.public_key.hex() if key else None,
        "fingerprint": key.fingerprint if key else None, "bidder_field": quotes.bidder_field(credit),
        "next_seq": quotes.next_seq(trade, org_id),
    }
