"""The opening ceremony's shared pieces: its signals, finding a trade's ceremony, and the small
checks the starting, releasing, opening and signing steps all use."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from blinker import Namespace
from flask_babel import format_datetime, gettext as _

from bidding.ceremony.models import OpeningCeremony
from bidding.keyholders.models import OpeningKey, Side
from trading.errors import InvalidInput
from trading.extensions import db
from trading.trades.flows import TradeState
from trading.trades.models import Trade
from trading.trades.services import advance_trade

_signals = Namespace()
#: sender=Trade; kwargs: ceremony (OpeningCeremony), actor (User)
ceremony_completed = _signals.signal("ceremony-completed")
#: sender=Trade; kwargs: signature (RecordSignature), actor (User) - a supervisor signed the opening record
record_signed = _signals.signal("record-signed")


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
