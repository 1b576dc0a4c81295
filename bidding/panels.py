"""The workspace panels of bidding's people: a bidder's bids with their receipts, a keyholder's openings.

The composition root registers them (trading.accounts.landing); the workspace shows those that have
something for the person signed in. A bidder sees only their own company's bids (docs/privacy.md).
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import render_template

from bidding.keyholders.models import Keyholder
from bidding.keyholders.services import active_personal_key
from bidding.submission.models import Bid
from trading.accounts.models import OrgKind
from trading.accounts.roles import Role
from trading.extensions import db
from trading.trades.flows import TradeState
from trading.trades.models import Trade

#: stages in which a keyholder still has something to do (enrol, watch the bids come in, open)
KEYHOLDER_STAGES = (TradeState.SUBMITTED, TradeState.APPROVED, TradeState.ANNOUNCED, TradeState.BIDDING,
                    TradeState.CLOSED, TradeState.OPENING)


def my_bids_panel(user):
    """Every bid of the person's company, newest trade first, each with its signed receipt."""
    org = user.organisation
    if not user.has_role(Role.BIDDER) or org is None or org.kind is not OrgKind.BIDDER:
        return None
    rows = db.session.execute(sa.select(Bid, Trade).join(Trade, Trade.id == Bid.trade_id)
                              .where(Bid.organisation_id == org.id)
                              .order_by(Bid.received_at.desc(), Bid.id.desc()).limit(200)).all()
    return render_template("bidding/_my_bids.html", rows=rows, organisation=org)


def keyholder_panel(user):
    """The openings the person holds a share of, while there is still something to do."""
    rows = db.session.execute(sa.select(Keyholder, Trade).join(Trade, Trade.id == Keyholder.trade_id)
                              .where(Keyholder.user_id == user.id, Trade.state.in_(KEYHOLDER_STAGES))
                              .order_by(Trade.opening_at, Trade.id)).all()
    if not rows:
        return None
    return render_template("bidding/_keyholder_duties.html", rows=rows,
                           enrolled=active_personal_key(user.id) is not None)
