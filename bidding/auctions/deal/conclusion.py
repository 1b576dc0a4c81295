"""The conclusion of a sale, in one service: the best offer (bidding.auctions.outcome) against the opened
reserve (bidding.auctions.reserve) decides between the `conclude` and `no_deal` moves, which on a sale belong
to this procedure alone (trading/trades/reserved.py). O39 Art. 19: at the listing close the highest quote at or
above the reserve wins, ties to the earliest; below the reserve, or no quote at all: no deal (Arts. 16, 19)."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from blinker import Namespace
from flask_babel import force_locale, gettext as _, lazy_gettext as _l

from bidding.auctions.deal.models import Deal, NoDealReason, Outcome
from bidding.auctions.live.models import RoundState
from bidding.auctions.live.services import round_of
from bidding.auctions.models import Registration
from bidding.auctions.outcome import Offer, best_offer
from bidding.auctions.reserve.services import opened_reserve, reserve_required
from bidding.auctions.services import is_sale, terms_of
from bidding.deposits.services import settle_deposit
from trading import texts
from trading.accounts.models import User
from trading.errors import IllegalMove
from trading.extensions import db, flush_unless_taken
from trading.notices.models import Notice, NoticeKind
from trading.pdf import yuan
from trading.permissions import require
from trading.texts import N_
from trading.trades.flows import Move, TradeState
from trading.trades.lifecycle import transition
from trading.trades.models import Trade
from trading.trades.reserved import Procedure

PROCEDURE = "deal"
DEAL = Procedure(PROCEDURE, _l("the deal procedure"), _l("Use the trade's deal page."))
CONCLUDING = (TradeState.LISTING, TradeState.TIMED_BIDDING)
HUNDREDTH = Decimal("0.01")

_signals = Namespace()
#: sender=Trade; kwargs: what ("concluded" | "no_deal" | "signed" | "refunded"), actor
deal_changed = _signals.signal("auction-deal-changed")

NO_DEAL_TEXTS = {
    NoDealReason.NO_OFFER: N_("No valid quote or bid was made by the close (MLR Order 39 Art. 19)."),
    NoDealReason.BELOW_RESERVE: N_("The highest offer is below the reserve price (MLR Order 39 Arts. 16, 19)."),
}


def reserved_to_deal(trade: Trade, move: Move) -> Procedure | None:
    """On a sale (the listing flow) a deal or no deal is decided by comparing the best offer with the reserve,
    never by hand on the generic transition page."""
    if move.name in ("conclude", "no_deal") and is_sale(trade):
        return DEAL
    return None


def deal_of(trade: Trade) -> Deal | None:
    return db.session.get(Deal, trade.id)


def percent_over(price: Decimal, base: Decimal | None) -> Decimal | None:
    """(price / base − 1) × 100, half up to 0.01 (the premium rate, 溢价率; the appreciation, 增值率)."""
    if base is None or base <= 0:
        return None
    return ((Decimal(price) / Decimal(base) - 1) * 100).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def decide(offer: Offer | None, reserve: Decimal | None) -> tuple[Outcome, NoDealReason | None]:
    """The rule alone: an offer at or above the reserve (or with no reserve) wins; else no deal, and why."""
    if offer is None:
        return Outcome.NO_DEAL, NoDealReason.NO_OFFER
    if reserve is not None and offer.amount < reserve:
        return Outcome.NO_DEAL, NoDealReason.BELOW_RESERVE
    return Outcome.CONCLUDED, None


def conclude(actor: User, trade: Trade) -> Deal:
    """End the sale after the close: make the `conclude` or `no_deal` move as the offers and the reserve
    decide, record the deal row (winner, price, basis, premium and appreciation), apply the winner's deposit
    to the price, issue the transaction confirmation signed by the platform, and publish the result."""
    require("deal.conclude", trade, user=actor)
    if not is_sale(trade):
        raise IllegalMove(_("Only a land or property sale ends with a deal."), code="not_a_sale")
    if deal_of(trade) is not None:
        raise IllegalMove(_("This sale has already ended."), code="deal_made")
    if trade.state not in CONCLUDING:
        raise IllegalMove(_("Cannot conclude a sale that is %(state)s.", state=trade.state.label), code="wrong_stage")
    rnd = round_of(trade)
    if rnd is not None and rnd.state is not RoundState.CLOSED:
        raise IllegalMove(_("The live round is still running: the sale ends after its last bid."),
                          code="round_running")
    offer = best_offer(trade)
    reserve = None
    if offer is not None and reserve_required(trade):
        reserve = opened_reserve(trade)
        if reserve is None:
            raise IllegalMove(_("The reserve price is still sealed: it is opened after the last bid, under the "
                                "supervisors; the deal is decided once it is open."), code="reserve_sealed")
    outcome, why = decide(offer, reserve)
    if outcome is Outcome.CONCLUDED:
        record = transition(trade, "conclude", actor, by=PROCEDURE)
    else:
        message = texts.message(NO_DEAL_TEXTS[why])
        with force_locale("zh_CN"):
            reason = texts.render(message)
        record = transition(trade, "no_deal", actor, by=PROCEDURE, reason=reason, reason_message=message)
    terms = terms_of(trade)
    appraised = terms.appraised_value if terms is not None else None
    deal = Deal(trade_id=trade.id, outcome=outcome, reason=why, starting_price=trade.estimated_price,
                appraised_value=appraised, reserve=reserve, decided_at=record.at, decided_by_id=actor.id)
    if offer is not None:
        deal.price, deal.basis, deal.offer_at, deal.paddle = offer.amount, offer.basis, offer.at, offer.paddle
    if outcome is Outcome.CONCLUDED:
        registration = db.session.get(Registration, offer.registration_id)
        deal.registration_id, deal.organisation_id = registration.id, registration.organisation_id
        deal.premium_percent = percent_over(offer.amount, trade.estimated_price)
        deal.appreciation_percent = percent_over(offer.amount, appraised)
    db.session.add(deal)
    trade_id = trade.id
    flush_unless_taken(lambda: db.session.get(Deal, trade_id) is not None,
                       IllegalMove(_("This sale has already ended."), code="deal_made"))
    if outcome is Outcome.CONCLUDED:
        from bidding.auctions.deal.confirmation import make_confirmation

        _apply_winner_deposit(actor, trade, deal)
        make_confirmation(trade, deal)
    publish_result(trade, deal)
    deal_changed.send(trade, what=outcome.value, actor=actor)
    return deal


def _apply_winner_deposit(actor: User, trade: Trade, deal: Deal) -> None:
    """The winner's deposit becomes part of the price (retained, with the note saying so)."""
    deposit = deal.registration.deposit if deal.registration is not None else None
    if deposit is None or deposit.settled_at is not None:
        return
    with force_locale("zh_CN"):
        note = _("Applied to the price of the deal (%(amount)s), MLR Order 39 Art. 21.", amount=yuan(deposit.amount))
    settle_deposit(actor, deposit, "retain", note)


def result_message(trade: Trade, deal: Deal) -> dict:
    """The public result: the winner and the price (a deal), or that there was none and why."""
    if deal.outcome is Outcome.CONCLUDED:
        lines = [texts.message(N_("Winner: %(winner)s (paddle %(paddle)d)"),
                               winner=texts.typed(deal.organisation.name), paddle=deal.paddle),
                 texts.message(N_("Deal price: %(price)s"), price=yuan(deal.price)),
                 texts.message(N_("Concluded on %(at)s."), at=texts.at(deal.decided_at))]
        return {"title": texts.message(N_("Transaction result: %(title)s"), title=trade.title), "body": lines}
    lines = [texts.message(NO_DEAL_TEXTS[deal.reason]),
             texts.message(N_("Recorded on %(at)s."), at=texts.at(deal.decided_at))]
    return {"title": texts.message(N_("No deal: %(title)s"), title=trade.title), "body": lines}


def publish_result(trade: Trade, deal: Deal) -> Notice:
    """Published at once, so well within the rule set's limit (land: 10 working days, O39 Art. 22)."""
    message = result_message(trade, deal)
    with force_locale("zh_CN"):
        title, body = texts.render(message["title"]), texts.render(message["body"])
    kind = NoticeKind.RESULT if deal.outcome is Outcome.CONCLUDED else NoticeKind.FAILURE
    notice = Notice(trade=trade, kind=kind, title=title[:250], body=body, published_at=deal.decided_at,
                    message=message)
    db.session.add(notice)
    db.session.flush()
    return notice


def deals_between(start, end) -> list[Deal]:
    """Deals decided in [start, end): what the statistics read (premium and appreciation per deal)."""
    return list(db.session.scalars(sa.select(Deal).where(Deal.decided_at >= start, Deal.decided_at < end)
                                   .order_by(Deal.decided_at)))
