"""Too few bids (Law 28, Reg 44; O87 41-44): the opening is not held, no bid is decrypted, and the
trade fails (流标) with the reason published (the failure notice, trading.notices)."""
from __future__ import annotations

import sqlalchemy as sa

from bidding.ceremony.models import CeremonyOutcome, OpeningCeremony
from bidding.ceremony.state import CEREMONY
from bidding.submission.models import Bid, BidState
from trading.accounts.models import User
from trading.clock import now
from trading.extensions import db
from trading.trades.models import Trade
from trading.trades.services import move


def minimum_bids(trade: Trade) -> tuple[int, str]:
    """The rule set's minimum number of bids and its source in the record's language (1 without one)."""
    limit = trade.rule_set.limit("min_bids")
    return (int(limit.value), f"（{limit.source.zh}）") if limit else (1, "")


def submitted_count(trade: Trade) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Bid).where(
        Bid.trade_id == trade.id, Bid.state == BidState.SUBMITTED)) or 0


def fail_if_too_few(actor: User, trade: Trade, ceremony: OpeningCeremony) -> bool:
    """When the staff open the bids: with fewer bids than the rule set's minimum the ceremony ends
    unopened, before any share is read: the opening key is never rebuilt, so no bid can be decrypted,
    and the move to failed erases the held shares. True if it failed."""
    minimum, source = minimum_bids(trade)
    count = submitted_count(trade)
    if count >= minimum:
        return False
    reason = f"递交投标文件的投标人{count}家，不足{minimum}家，不予开标，流标{source}"
    ceremony.outcome, ceremony.reason = CeremonyOutcome.TOO_FEW, reason
    ceremony.finished_at, ceremony.finished_by_id = now(), actor.id
    move(trade, "fail", actor, reason=reason, by=CEREMONY.key)
    return True
