"""The demo's sales (bidding/auctions/demo.py, loaded by `make run`): a sandbox land listing that closes a few
minutes after the load with the demo bidders qualified and quoted, and a property transfer in disclosure."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from bidding.auctions import services as auctions
from bidding.auctions.demo import (LAND_INCREMENT, LAND_QUOTES, LAND_START, LAND_TITLE, PROPERTY_APPRAISAL,
                                   PROPERTY_TITLE, ROUND_AFTER, summary_line)
from bidding.auctions.models import Registration, RegistrationStatus
from trading.accounts.models import User
from trading.trades.flows import TradeState
from trading.trades.models import Trade


def _user(db, username):
    return db.session.scalar(sa.select(User).where(User.username == username))


def test_the_land_listing_closes_minutes_after_the_load_with_the_demo_bidders_quoted(db, app, clock):
    from trading.demo import load_demo

    loaded_at = clock.now()
    load_demo()
    trade = db.session.scalar(sa.select(Trade).where(Trade.title == LAND_TITLE))
    assert trade.sandbox and trade.state is TradeState.LISTING and trade.is_public
    assert timedelta(minutes=3) <= trade.bid_deadline - loaded_at <= ROUND_AFTER
    # each demo bidder qualified with its deposit (the paying account kept) and a paddle; all quoted
    regs = {r.organisation_id: r for r in auctions.bidders(trade)}
    names = [name for name, _steps in LAND_QUOTES]
    assert sorted(regs) == sorted(_user(db, n).organisation_id for n in names)
    assert all(r.deposit.payer_account for r in regs.values())
    quotes = auctions.accepted_quotes(trade)
    assert [q.registration_id for q in quotes] == [regs[_user(db, n).organisation_id].id for n in names]
    top = LAND_START + max(steps for _n, steps in LAND_QUOTES) * LAND_INCREMENT
    assert auctions.current_price(trade) == top
    # the newcomer logged in as `bidder` does not lead: there is a price to beat
    assert quotes[-1].registration_id != regs[_user(db, "bidder").organisation_id].id
    assert f"/trades/{trade.id}/auction" in summary_line()


def test_the_property_transfer_is_in_disclosure(db, app, clock):
    from trading.demo import load_demo

    load_demo()
    trade = db.session.scalar(sa.select(Trade).where(Trade.title == PROPERTY_TITLE))
    assert trade.state is TradeState.ANNOUNCED and trade.is_public and trade.method == "property_listing"
    assert auctions.terms_of(trade).appraised_value == PROPERTY_APPRAISAL == trade.estimated_price
    statuses = sorted(r.status.value for r in db.session.scalars(
        sa.select(Registration).where(Registration.trade_id == trade.id)))
    assert statuses == [RegistrationStatus.APPLIED.value, RegistrationStatus.QUALIFIED.value]
    assert trade.bid_deadline > clock.now()


def test_a_newcomer_logged_in_as_bidder_enters_the_live_round_and_bids(db, app, client, clock):
    """After the close, staff.land starts the round; `bidder` confirms and bids over the API (as the page does)."""
    from bidding.auctions.live import services as live
    from trading.accounts.services import issue_token
    from trading.demo import load_demo

    load_demo()
    trade = db.session.scalar(sa.select(Trade).where(Trade.title == LAND_TITLE))
    clock.freeze(trade.bid_deadline + timedelta(seconds=30))
    live.start_round(_user(db, "staff.land"), trade)
    token, _row = issue_token(_user(db, "bidder"))
    db.session.commit()
    auth = {"Authorization": f"Bearer {token}"}
    assert client.post(f"/api/v1/trades/{trade.id}/auction/confirm", headers=auth).status_code == 201
    board = client.get(f"/api/v1/trades/{trade.id}/auction", headers=auth).get_json()
    assert board["state"] == "confirming"  # bidder2 and bidder3 have not confirmed: the window's end opens it
    clock.freeze(live.round_of(trade).confirm_until)
    live.run_due()
    db.session.commit()
    board = client.get(f"/api/v1/trades/{trade.id}/auction", headers=auth).get_json()
    assert board["state"] == "open" and board["my_paddle"] != board["leader_paddle"]
    amount = LAND_START + 4 * LAND_INCREMENT  # the leading quote plus one increment
    assert board["next_minimum"] == f"{amount:.2f}"
    done = client.post(f"/api/v1/trades/{trade.id}/auction/bids", headers=auth,
                       json={"amount": f"{amount:.2f}", "client_ref": "newcomer-1"})
    assert done.status_code == 201, done.get_json()
    assert done.get_json()["paddle"] == board["my_paddle"]
