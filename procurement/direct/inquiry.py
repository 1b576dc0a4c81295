"""Inquiry (询价): each supplier gives one sealed quote that may not be changed (GPL Art. 40 (3): 一次报出不得更改的
价格; O74 Art. 46), opened by the ceremony; fewer than three quotes and the inquiry fails at the opening (O74 Art.
45, the rule set's `min_bids`, bidding.ceremony.too_few). The committee's pass/fail review (bidding.evaluation)
decides compliance; the ranking is bidding.scoring's lowest-price method over the compliant quotes (O74 Art. 49:
quality and service meeting the requirements, the lowest price). Equal lowest prices share rank one (O87 Art.
54 by analogy: O74 says nothing); the purchaser then names the winner among them with a recorded reason (its
decision on the results page, procurement.results), as no procurement rule set makes rank one win by itself."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from bidding.submission.models import Bid
from bidding.submission.services import bidder_check
from trading.extensions import db
from trading.trades.models import Trade

METHOD = "gp_inquiry"


def is_inquiry(trade: Trade) -> bool:
    return trade.method == METHOD


def one_quote(trade: Trade, organisation) -> str | None:
    """A supplier that has sealed a quote on an inquiry (kept or withdrawn) may not send another: the price is
    given once and not changed. An envelope whose answer was lost is not sent again: the bidder's page and the
    workspace show the quote and its receipt."""
    if not is_inquiry(trade):
        return None
    sent = db.session.scalar(sa.select(Bid.id).where(Bid.trade_id == trade.id, Bid.organisation_id == organisation.id)
                             .limit(1))
    if sent is None:
        return None
    return _("Your company has already sent its quote: on an inquiry each supplier quotes once and may not change "
             "the price (Government Procurement Law Art. 40; MOF Order 74 Art. 46).")


def install() -> None:
    """Called once by the app factory."""
    bidder_check(one_quote)
