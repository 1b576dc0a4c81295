"""Ways out of an opening that stalls (keyholders absent), each erasing the held shares:

- restart (executing staff): the ceremony starts over and the keyholders release again;
- fail (decision branch): the trade fails (流标) without its bids opened; bids left undecrypted
  through no fault of their bidders count as withdrawn (O20 Art 31), so too few remain (Law 28);
- postpone (decision branch): back to closed with a new opening time, announced publicly;
- time-out (the scheduler): CEREMONY_TIMEOUT_MINUTES after the start (or restart) without the bids
  opened, the held shares are erased and the ceremony takes no share until one of the above.

Each is recorded as a CeremonyExit with its reason (the audit log captures the row in the same
transaction) and announced by the `ceremony_exited` signal.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext as _

from bidding.ceremony.models import CeremonyExit, CeremonyOutcome, ExitKind, OpeningCeremony, ShareRelease
from bidding.ceremony.state import CEREMONY, _text, ceremony_exited
from trading import texts
from trading.accounts import policy
from trading.accounts.models import User
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db
from trading.notices.models import Notice, NoticeKind
from trading.permissions import require
from trading.texts import N_
from trading.trades.flows import TradeState
from trading.trades.models import Trade
from trading.trades.services import move


def timeout() -> timedelta | None:
    """The configured time-out (None: disabled by a value of 0 or less)."""
    minutes = int(current_app.config.get("CEREMONY_TIMEOUT_MINUTES") or 0)
    return timedelta(minutes=minutes) if minutes > 0 else None


def _under_way(trade: Trade) -> OpeningCeremony:
    """The trade's ceremony, locked, if it is started and its bids are not opened yet."""
    ceremony = db.session.scalar(sa.select(OpeningCeremony).where(OpeningCeremony.trade_id == trade.id)
                                 .with_for_update().execution_options(populate_existing=True))
    if (ceremony is None or ceremony.started_at is None or ceremony.finished_at is not None
            or trade.state is not TradeState.OPENING):
        raise IllegalMove(_("There is no opening under way on this trade."), code="not_opening")
    return ceremony


def _erase(ceremony: OpeningCeremony, *, forget_releases: bool) -> int:
    """Erase the held shares; with `forget_releases` also who released (a fresh start). Returns how
    many shares were held."""
    held = db.session.scalar(sa.select(sa.func.count()).select_from(ShareRelease).where(
        ShareRelease.ceremony_id == ceremony.id, ShareRelease.held_share.is_not(None))) or 0
    for row in list(ceremony.releases):
        row.held_share = None
        if forget_releases:
            ceremony.releases.remove(row)  # delete-orphan: the audit log keeps the deleted rows
    db.session.flush()
    return held


def _exit(ceremony: OpeningCeremony, trade: Trade, kind: ExitKind, reason: str, actor: User | None, erased: int,
          **times) -> CeremonyExit:
    row = CeremonyExit(ceremony=ceremony, kind=kind, reason=reason, actor_id=actor.id if actor else None,
                       at=now(), shares_erased=erased, **times)
    db.session.add(row)
    db.session.flush()
    ceremony_exited.send(trade, ceremony=ceremony, exit=row, actor=actor)
    return row


def restart_ceremony(actor: User, trade: Trade, reason: str | None) -> CeremonyExit:
    """Executing staff start the opening over: the held shares are erased, whoever released must
    release again, and the time-out counts from now."""
    require("ceremony.restart", trade, user=actor)
    reason = _text(reason, "reason")
    ceremony = _under_way(trade)
    policy.join(actor, trade, "executor")
    erased = _erase(ceremony, forget_releases=True)
    ceremony.started_at, ceremony.started_by_id, ceremony.timed_out_at = now(), actor.id, None
    return _exit(ceremony, trade, ExitKind.RESTART, reason, actor, erased)


def fail_opening(actor: User, trade: Trade, reason: str | None) -> CeremonyExit:
    """The decision branch fails the opening (流标) with its reason; the bids stay sealed."""
    require("ceremony.decide", trade, user=actor)
    reason = _text(reason, "reason")
    ceremony = _under_way(trade)
    erased = _erase(ceremony, forget_releases=False)
    move(trade, "fail_opening", actor, reason=reason, by=CEREMONY.key)
    at = now()
    ceremony.outcome, ceremony.reason = CeremonyOutcome.NOT_OPENED, reason
    ceremony.finished_at, ceremony.finished_by_id = at, actor.id
    return _exit(ceremony, trade, ExitKind.FAIL, reason, actor, erased)


def postpone_opening(actor: User, trade: Trade, reason: str | None, opening_at: datetime | None) -> CeremonyExit:
    """The decision branch postpones the opening to `opening_at`: the trade goes back to closed, the
    ceremony back to not started, and the new time is announced in a public notice."""
    require("ceremony.decide", trade, user=actor)
    reason = _text(reason, "reason")
    if opening_at is None:
        raise InvalidInput({"opening_at": [_("the new opening time is required")]})
    if opening_at.tzinfo is None:
        raise InvalidInput({"opening_at": [_("give the time with its time zone")]})
    if opening_at <= now():
        raise InvalidInput({"opening_at": [_("must be later than now")]})
    ceremony = _under_way(trade)
    erased = _erase(ceremony, forget_releases=True)
    move(trade, "postpone_opening", actor, reason=reason, by=CEREMONY.key)
    old = trade.opening_at
    trade.opening_at = opening_at
    ceremony.started_at, ceremony.started_by_id, ceremony.timed_out_at = None, None, None
    _announce_postponement(trade, old, opening_at, reason)
    return _exit(ceremony, trade, ExitKind.POSTPONE, reason, actor, erased, old_opening_at=old,
                 new_opening_at=opening_at)


def _announce_postponement(trade: Trade, old: datetime | None, new: datetime, reason: str) -> Notice:
    """The public notice of the new opening time (延期开标公告), in the platform's official language."""
    message = {"title": texts.message(N_("Postponed opening: %(title)s"), title=trade.title),
               "body": texts.message(N_("The opening of %(ref)s set for %(old)s is postponed to %(new)s.\n"
                                        "Reason: %(reason)s"), ref=trade.ref, old=texts.at(old), new=texts.at(new),
                                     reason=reason)}
    with force_locale("zh_CN"):  # the stored text, in the platform's official language
        title, body = texts.render(message["title"]), texts.render(message["body"])
    notice = Notice(trade=trade, kind=NoticeKind.POSTPONEMENT, title=title[:250], body=body, published_at=now(),
                    message=message)
    db.session.add(notice)
    db.session.flush()
    return notice


def time_out_due(at: datetime | None = None) -> list[str]:
    """The scheduler's tick: every opening under way for longer than the time-out has its held shares
    erased and takes none until staff restart it (or the decision branch fails or postpones it)."""
    limit = timeout()
    if limit is None:
        return []
    at = at or now()
    stalled = db.session.scalars(
        sa.select(OpeningCeremony).join(Trade, Trade.id == OpeningCeremony.trade_id).where(
            OpeningCeremony.started_at.is_not(None), OpeningCeremony.started_at <= at - limit,
            OpeningCeremony.finished_at.is_(None), OpeningCeremony.timed_out_at.is_(None),
            Trade.state == TradeState.OPENING).order_by(OpeningCeremony.id)).all()
    done = []
    for ceremony in stalled:
        erased = _erase(ceremony, forget_releases=False)
        ceremony.timed_out_at = at
        message = texts.message(N_("The bids were not opened within %(minutes)d minutes of the start (%(start)s): "
                                   "the released shares are erased."), minutes=int(limit.total_seconds() // 60),
                                start=texts.at(ceremony.started_at))
        with force_locale("zh_CN"):
            reason = texts.render(message)
        _exit(ceremony, ceremony.trade, ExitKind.TIMEOUT, reason, None, erased).reason_message = message
        done.append(ceremony.trade.ref)
    db.session.commit()
    return done
