"""Demo data of land and property sales (trading/demo.py calls `load`): a sandbox land listing whose listing
closes ROUND_AFTER after `make run`, so its live round starts a few minutes after start-up with the demo
bidders qualified and quoted (a newcomer logs in as `bidder` and bids), and a property transfer in its
disclosure period.

Everything goes through the services the pages use: registration, the deposit recorded with the paying
account, qualification (the paddle is drawn), listing quotes at the increment. Runs inside the demo's
clock it sets itself (as bidding/award/demo.py does) and leaves the clock where it was.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from bidding.auctions import services as auctions
from bidding.deposits.services import record_deposit
from trading.clock import clock, now
from trading.extensions import db
from trading.trades import services as trades

#: the sandbox listing closes (and its live round can start) this long after the demo is loaded: after the
#: sandbox opening (trading.demo_stages.SANDBOX_OPENING_AFTER, 5 minutes), so the two do not collide
ROUND_AFTER = timedelta(minutes=7)
#: a sandbox trade's legal periods run this many times faster (as the sandbox tender's): the 20 days of
#: notice (O39 Art 8) take 10 minutes, the 10 days of listing (O39 Art 18) 5 minutes
ACCELERATOR = 2880
LAND_TITLE = "【沙箱】培训用模拟挂牌：城南 A-03 地块国有建设用地使用权"
LAND_START = Decimal("86000000.00")
LAND_INCREMENT = Decimal("500000.00")
LAND_DEPOSIT = Decimal("17200000.00")  # 20 % of the starting price
#: the live round of the demo: a 2-minute countdown and 3 minutes to confirm (the terms allow 30 s to 1 h;
#: real sales use 5 minutes each)
LAND_COUNTDOWN = 120
LAND_CONFIRM = 180
#: the demo bidders' listing quotes, in order (yuan above the starting price, in increments): `bidder` does
#: not lead at the close, so a newcomer logged in as `bidder` has a price to beat
LAND_QUOTES = (("bidder", 0), ("bidder2", 1), ("bidder3", 3))
PROPERTY_TITLE = "市属某国有企业持有的城西仓储物流有限公司60%股权转让"
PROPERTY_APPRAISAL = Decimal("31500000.00")
PROPERTY_DEPOSIT = Decimal("3000000.00")


def load(centres, orgs, users, loaded_at) -> None:
    """Both sales, each run from its notice; the clock is left where it was."""
    was_frozen, before = clock.frozen, clock.now()
    try:
        land_listing_round_soon(centres, orgs, users, loaded_at)
        property_in_disclosure(centres, orgs, users, loaded_at)
    finally:
        clock.freeze(before) if was_frozen else clock.unfreeze()


def _qualify(trade, staff, user, n: int):
    reg = auctions.register(user, trade)
    deposit = record_deposit(staff, trade, user.organisation_id, trade.bid_security,
                             payer_account=f"6217 0033 0000 {8000 + n:04d}")
    return auctions.qualify(staff, reg, deposit)


def land_listing_round_soon(centres, orgs, users, loaded_at):
    """The sandbox land listing: announced 40 minutes before the load, listing from 23 minutes before,
    closing ROUND_AFTER after; the three demo bidders qualified (deposits with their paying accounts) and
    quoted, `bidder3` leading."""
    close = (loaded_at + ROUND_AFTER).replace(microsecond=0)
    created = (loaded_at - timedelta(minutes=40)).replace(microsecond=0)
    clock.freeze(created)
    staff = users["staff.land"]
    trade = trades.create_trade(staff, {
        "centre_id": centres["LAND"].id, "method": "land_listing", "tenderer_id": orgs["transferor"].id,
        "title": LAND_TITLE, "estimated_price": LAND_START, "bid_security": LAND_DEPOSIT,
        "description": f"演示与培训用，不是真实交易。法定期限按{ACCELERATOR}倍加速：公告20日约10分钟，挂牌10日约5分钟。"
                       "住宅用地，面积28,650平方米，容积率≤2.2；挂牌截止后进入限时竞价，以竞买号牌出价。",
        "sandbox": True, "accelerator": ACCELERATOR,
        "issue_at": created + timedelta(minutes=1), "listing_from": created + timedelta(minutes=17),
        "bid_deadline": close})
    auctions.set_terms(staff, trade, LAND_INCREMENT, countdown_seconds=LAND_COUNTDOWN, confirm_seconds=LAND_CONFIRM)
    trades.move(trade, "submit", staff)
    trades.move(trade, "approve", users["decider"])
    trades.move(trade, "publish", staff)
    clock.freeze(created + timedelta(minutes=3))
    for n, (name, _steps) in enumerate(LAND_QUOTES):
        clock.advance(timedelta(minutes=1))
        _qualify(trade, staff, users[name], n)
    clock.freeze(created + timedelta(minutes=18))
    trades.advance_due()  # the listing period begins
    for name, steps in LAND_QUOTES:
        clock.advance(timedelta(minutes=2))
        auctions.quote(users[name], trade, LAND_START + steps * LAND_INCREMENT)
    db.session.commit()
    return trade


def property_in_disclosure(centres, orgs, users, loaded_at):
    """A state property transfer two days into its formal disclosure (O32 Art 13: at least 20 working days),
    the first reserve at the appraised value (O32 Art 17); one company applied, one qualified."""
    issue = (loaded_at - timedelta(days=2)).replace(microsecond=0)
    clock.freeze(issue - timedelta(days=1))
    staff = users["staff.prop"]
    trade = trades.create_trade(staff, {
        "centre_id": centres["PROP"].id, "method": "property_listing", "tenderer_id": orgs["transferor"].id,
        "title": PROPERTY_TITLE, "estimated_price": PROPERTY_APPRAISAL, "bid_security": PROPERTY_DEPOSIT,
        "description": "转让标的：城西仓储物流有限公司60%股权。"
                       "评估值以经核准的资产评估报告为准；两个及以上合格意向受让方的，进入网络竞价。",
        "issue_at": issue, "bid_deadline": issue + timedelta(days=35)})
    auctions.set_terms(staff, trade, Decimal("200000.00"), appraised_value=PROPERTY_APPRAISAL)
    trades.move(trade, "submit", staff)
    trades.move(trade, "approve", users["decider"])
    trades.move(trade, "publish", staff)
    clock.freeze(issue + timedelta(hours=20))
    _qualify(trade, staff, users["bidder5"], 10)
    clock.advance(timedelta(hours=3))
    auctions.register(users["bidder4"], trade)
    db.session.commit()
    return trade


def live_land_listing():
    """The demo's sandbox land listing (None once it is archived), for the summary `make run` prints."""
    import sqlalchemy as sa

    from trading.trades.models import Trade

    return db.session.scalar(sa.select(Trade).where(Trade.sandbox.is_(True), Trade.method == "land_listing")
                             .order_by(Trade.id.desc()))


def summary_line() -> str | None:
    """What `make run` prints about the live round: when the listing closes, who to log in as."""
    from trading.clock import local_tz

    trade = live_land_listing()
    if trade is None or trade.bid_deadline is None:
        return None
    at = trade.bid_deadline.astimezone(local_tz())
    left = int((trade.bid_deadline - now()).total_seconds() // 60)
    when = f"in {left} min" if left > 0 else "closed"
    return (f"Sandbox land listing: {trade.ref} closes at {at:%H:%M} Beijing time ({when}); then staff.land starts "
            f"its live round and bidder, bidder2, bidder3 bid at /trades/{trade.id}/auction.")
