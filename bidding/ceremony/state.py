"""The opening ceremony's shared pieces: its signals, finding a trade's ceremony, the moves reserved
to it, who may sign its record, and the small checks the starting, releasing, opening and signing
steps all use."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from blinker import Namespace
from flask_babel import format_datetime, gettext as _, lazy_gettext as _l

from bidding.ceremony.models import OpeningCeremony
from bidding.keyholders.models import Keyholder, OpeningKey, Side
from trading.accounts import policy
from trading.errors import IllegalMove, InvalidInput, NotAllowed
from trading.extensions import db
from trading.trades.flows import Move, TradeState
from trading.trades.models import Trade
from trading.trades.reserved import Procedure
from trading.trades.services import advance_trade

_signals = Namespace()
#: sender=Trade; kwargs: ceremony (OpeningCeremony), actor (User)
ceremony_completed = _signals.signal("ceremony-completed")
#: sender=Trade; kwargs: signature (RecordSignature), actor (User) - a supervisor signed the opening record
record_signed = _signals.signal("record-signed")
#: sender=Trade; kwargs: ceremony, exit (CeremonyExit), actor (User, None for the time-out) - the
#: opening was restarted, failed, postponed or timed out (bidding.ceremony.exits)
ceremony_exited = _signals.signal("ceremony-exited")


MAX_TEXT = 4000


def ceremony_of(trade: Trade) -> OpeningCeremony | None:
    return db.session.scalar(sa.select(OpeningCeremony).where(OpeningCeremony.trade_id == trade.id))


def _when(at: datetime | None) -> str:
    return format_datetime(at, "yyyy-MM-dd HH:mm:ss") if at else "—"


def _needed(key: OpeningKey, sides: dict[int, Side], held: set[int]) -> dict[Side, int]:
    """How many more shares of each side are needed, counting only the shares held in memory."""
    count = {s: sum(1 for hid in held if sides.get(hid) is s) for s in Side}
    return {Side.EXECUTE: max(0, key.execute_threshold - count[Side.EXECUTE]),
            Side.SUPERVISE: max(0, key.supervise_threshold - count[Side.SUPERVISE])}


def _text(value: str | None, field: str, *, required: bool = True) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise InvalidInput({field: [_("may not be empty")]})
        return None
    if len(value) > MAX_TEXT:
        raise InvalidInput({field: [_("at most %(n)d characters", n=MAX_TEXT)]})
    return value


def _closed_at_deadline(trade: Trade) -> None:
    """The tick may lag the deadline: make the platform's due moves (bidding → closed) first."""
    if trade.state in (TradeState.ANNOUNCED, TradeState.BIDDING):
        advance_trade(trade)


# ---- the moves only the ceremony makes ------------------------------------------------------------

CEREMONY = Procedure("opening_ceremony", _l("the opening ceremony"),
                     _l("Use the opening ceremony page (or its API) instead."))
#: oversight that may still stop an opening from outside: a supervisor's pause, the decision
#: branch's cancellation (both erase the held shares: shares.on_trade_moved)
FREE_FROM_OPENING = frozenset({"suspend", "cancel"})


def reserved_to_ceremony(trade: Trade, move: Move) -> Procedure | None:
    """For a trade that takes sealed bids (it has an opening key), the moves into the opening and out
    of it belong to the ceremony: starting, opening the bids, failing or postponing the opening."""
    into = move.to is TradeState.OPENING
    out = move.sources == (TradeState.OPENING,) or (
        trade.state is TradeState.OPENING and TradeState.OPENING in move.sources
        and move.name not in FREE_FROM_OPENING)
    if not (into or out):
        return None
    has_key = db.session.scalar(sa.select(OpeningKey.id).where(OpeningKey.trade_id == trade.id))
    return CEREMONY if has_key is not None else None


# ---- who signs the record --------------------------------------------------------------------------

#: callables (trade, user_id) -> True when that user is a supervisor drawn for the trade who has not
#: stepped aside; monitor.supervisors fills it at app start (bidding cannot read the draws itself)
drawn_supervisor_checks: list[Callable[[Trade, int], bool]] = []


def add_drawn_supervisor_check(check: Callable[[Trade, int], bool]) -> None:
    if check not in drawn_supervisor_checks:
        drawn_supervisor_checks.append(check)


def eligible_signer(trade: Trade, user_id: int) -> bool:
    """A record signature counts only from a drawn, non-recused supervisor or an appointed
    (supervising) keyholder of the trade."""
    keyholder = db.session.scalar(sa.select(Keyholder.id).where(
        Keyholder.trade_id == trade.id, Keyholder.user_id == user_id, Keyholder.side == Side.SUPERVISE))
    return keyholder is not None or any(check(trade, user_id) for check in drawn_supervisor_checks)


def check_signer(actor, trade: Trade) -> None:
    """Refuse a signature that would not count (403), then re-check the person's ties now: a company
    of theirs may have bid or paid a deposit since they were drawn or appointed."""
    if not eligible_signer(trade, actor.id):
        raise NotAllowed(_("Only the supervisors drawn for this trade who have not stepped aside, and its "
                           "appointed supervising keyholders, sign the opening record."), code="not_a_signer")
    policy.check_participation(actor, trade, "supervisor")


def check_release(actor, trade: Trade, holder: Keyholder) -> None:
    """At a release: an opening that timed out takes no share until it is restarted, and the
    keyholder's ties are checked again (a company of theirs may have bid since the appointment)."""
    check_not_timed_out(ceremony_of(trade))
    duty = "executing_keyholder" if holder.side is Side.EXECUTE else "supervising_keyholder"
    policy.check_participation(actor, trade, duty)


def check_not_timed_out(ceremony: OpeningCeremony | None) -> None:
    if ceremony is not None and ceremony.timed_out_at is not None:
        raise IllegalMove(_("The opening timed out at %(when)s and the released shares were erased. The centre "
                            "staff must restart it, or the decision branch fail or postpone it.",
                            when=_when(ceremony.timed_out_at)), code="timed_out")
