"""The opening ceremony (不见面开标): shares released, the key rebuilt in memory, every bid opened
(O20 Art 29-32), the opening record written, hashed and signed by the supervisors.

This module starts the ceremony and shows its state; the steps live beside it: state.py (signals,
lookups), shares.py (releasing and holding shares), opening.py (opening the bids, the record),
objections.py (objections and the supervisors' signatures), exits.py (restarting, failing, postponing
and timing out a stalled opening). Callers import them from here.
"""
from __future__ import annotations

import json

from flask_babel import gettext as _

import bidding.ceremony.permissions  # noqa: F401  (registers the ceremony permissions)
from bidding.ceremony.models import OpeningCeremony
from bidding.ceremony.objections import answer_objection, lodge_objection, sign_record  # noqa: F401
from bidding.ceremony.opening import complete_ceremony, opening_record  # noqa: F401
from bidding.ceremony.permissions import keyholder_of  # noqa: F401
from bidding.ceremony.shares import (held_keyholders, on_trade_moved, release_share, sealed_share_for,  # noqa: F401
                                     wipe_shares)
from bidding.ceremony.exits import fail_opening, postpone_opening, restart_ceremony, time_out_due, timeout  # noqa: F401
from bidding.ceremony.state import (CEREMONY, MAX_TEXT, _closed_at_deadline, _when, ceremony_completed,  # noqa: F401
                                    ceremony_exited, ceremony_of, eligible_signer, record_signed)
from bidding.keyholders.models import Side
from bidding.keyholders.services import keyholders, opening_key
from trading.accounts.models import User
from trading.clock import now
from trading.errors import IllegalMove
from trading.extensions import db
from trading.permissions import can, require
from trading.trades.models import Trade
from trading.trades.services import move


def start_ceremony(actor: User, trade: Trade) -> OpeningCeremony:
    """Executing staff start the opening, never before the opening time by the server's clock,
    however many shares have been released; the trade moves closed → opening."""
    require("ceremony.run", trade, user=actor)
    _closed_at_deadline(trade)
    if trade.opening_at is None or now() < trade.opening_at:
        raise IllegalMove(_("Not yet: the opening starts at %(when)s (server time).", when=_when(trade.opening_at)),
                          code="too_early")
    if opening_key(trade) is None:
        raise IllegalMove(_("This trade has no opening key: it took no electronic bids."), code="no_key")
    ceremony = ceremony_of(trade)
    if ceremony is not None and ceremony.started_at is not None:
        raise IllegalMove(_("The opening has already started."), code="already_started")
    move(trade, "start_opening", actor, by=CEREMONY.key)
    if ceremony is None:
        ceremony = OpeningCeremony(trade_id=trade.id, created_at=now())
        db.session.add(ceremony)
    ceremony.started_at, ceremony.started_by_id = now(), actor.id
    db.session.flush()
    return ceremony


# ---- the live state ---------------------------------------------------------------------------------

def ceremony_view(viewer: User, trade: Trade) -> dict:
    """What a permitted viewer sees. Until the record exists, who bid stays with those allowed the
    bidder list (trade.bidders); a bidder always sees their own objections."""
    require("ceremony.view", trade, user=viewer)
    ceremony = ceremony_of(trade)
    key = opening_key(trade)
    out: dict = {"trade_ref": trade.ref, "state": trade.state.value, "opening_at": trade.opening_at,
                 "started": bool(ceremony and ceremony.started_at), "started_at": ceremony and ceremony.started_at,
                 "finished_at": ceremony and ceremony.finished_at,
                 "outcome": ceremony.outcome.value if ceremony and ceremony.outcome else None,
                 "reason": ceremony and ceremony.reason_text, "releases": [], "objections": [], "entries": None,
                 "record_sha256": ceremony and ceremony.record_sha256, "signatures": [],
                 "timed_out_at": ceremony and ceremony.timed_out_at, "times_out_at": None,
                 "exits": [{"kind": e.kind.value, "reason": e.reason_text, "at": e.at, "shares_erased": e.shares_erased,
                            "by": e.actor.display_name if e.actor else None, "new_opening_at": e.new_opening_at}
                           for e in (ceremony.exits if ceremony else [])]}
    limit = timeout()
    if ceremony is not None and ceremony.is_open and ceremony.timed_out_at is None and limit is not None:
        out["times_out_at"] = ceremony.started_at + limit
    if key is None:
        return out
    held = held_keyholders(ceremony.id) if ceremony else set()
    holders = {h.id: h for h in keyholders(trade)}
    released = {r.keyholder_id: r for r in (ceremony.releases if ceremony else [])}
    opened = bool(ceremony and ceremony.record_sha256)  # the bids were opened (not: the opening failed unopened)
    for side, threshold in ((Side.EXECUTE, key.execute_threshold), (Side.SUPERVISE, key.supervise_threshold)):
        ids = [hid for hid, h in holders.items() if h.side is side]
        out.setdefault("sides", {})[side.value] = {
            "threshold": threshold, "holders": len(ids),
            "released": sum(1 for hid in ids if hid in held or (opened and hid in released)),
        }
    out["releases"] = [{"keyholder": holders[hid].user.display_name, "side": holders[hid].side.value,
                        "released_at": row.released_at, "held": hid in held}
                       for hid, row in released.items() if hid in holders]
    insider = can(viewer, "trade.bidders", trade)
    for o in (ceremony.objections if ceremony else []):
        own = viewer.organisation_id == o.organisation_id
        out["objections"].append({
            "id": o.id, "bidder": o.organisation.name if (opened or insider or own) else None, "own": own,
            "text": o.text, "at": o.at, "answer": o.answer, "answered_at": o.answered_at})
    if opened:
        from bidding.ceremony.opening import entry_reason

        codes = [b.get("reason_code") for b in json.loads(ceremony.record)["bids"]] if ceremony.record else []
        codes += [None] * (len(ceremony.entries) - len(codes))
        out["entries"] = [{"bidder": e.organisation.name, "status": e.status.value,
                           "price": f"{e.price:.2f}" if e.price is not None else None, "figures": e.figures,
                           "plaintext_sha256": e.plaintext_sha256,
                           "reason": entry_reason(code, e.status.value, e.reason)}
                          for e, code in zip(ceremony.entries, codes)]
        out["signatures"] = [{"supervisor": s.user.display_name, "signed_at": s.signed_at, "dissent": s.dissent,
                              "record_sha256": s.record_sha256, "counts": eligible_signer(trade, s.user_id)}
                             for s in ceremony.signatures]
    return out
