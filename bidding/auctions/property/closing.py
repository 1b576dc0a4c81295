"""The end of a property transfer's disclosure (O32; Enterprise State-owned Assets Law 54-55): two or more
qualified transferees bid against each other in the live round (start_timed_bidding), exactly one may take
the transfer by agreement (协议转让) at not less than the reserve, none: the disclosure is extended (or the
reserve lowered, services.change_reserve) or the sale ends without a deal.

The negotiated price is an offer the deal reads through bidding.auctions.outcome (basis "negotiated")."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from bidding.auctions import outcome
from bidding.auctions.property.models import DisclosureExtension, NegotiatedTransfer
from bidding.auctions.property.services import (DISCLOSING, _check_may_redisclose, _limit, _money, _publish,
                                                _require_property, _source)
from bidding.auctions.services import bidders
from trading import texts
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db
from trading.notices.models import NoticeKind
from trading.pdf import yuan
from trading.permissions import require
from trading.texts import N_
from trading.trades.models import Trade

RUNNING, COMPETITIVE, NEGOTIATED, NONE, DONE = "running", "competitive", "negotiated", "none", "done"


def path_of(trade: Trade, at: datetime | None = None) -> str:
    """Where the sale goes at its disclosure's end: "running" (not yet at the deadline), "competitive"
    (two or more qualified transferees), "negotiated" (one), "none", or "done" (past the listing stage)."""
    at = at or now()
    if trade.state not in DISCLOSING:
        return DONE
    if trade.bid_deadline is None or at < trade.bid_deadline:
        return RUNNING
    count = len(bidders(trade))
    if count >= int(_limit(trade, "competitive_bidding").value):
        return COMPETITIVE
    return NEGOTIATED if count == 1 else NONE


def _require_path(trade: Trade, wanted: str) -> None:
    found = path_of(trade)
    if found == wanted:
        return
    if found == RUNNING:
        raise IllegalMove(_("Not yet: the disclosure runs until its deadline."), code="disclosure_running")
    messages = {
        COMPETITIVE: _("Two or more qualified transferees bid against each other (%(source)s)."),
        NEGOTIATED: _("Exactly one qualified transferee: a negotiated transfer at not less than the reserve "
                      "(%(source)s)."),
        NONE: _("No qualified transferee: extend the disclosure, lower the reserve, or end without a deal "
                "(%(source)s)."),
        DONE: _("The disclosure is over for this trade (%(source)s)."),
    }
    raise IllegalMove(messages[found] % {"source": _source(trade, "competitive_bidding")}, code=f"path_{found}")


def start_competition(actor, trade: Trade):
    """Two or more qualified transferees: the live timed round (bidding/auctions/live, which makes the flow's
    start_timed_bidding move). Every qualified transferee enters it, as in an auction: a property
    transfer's competition is among all who qualified, not only those who quoted during the disclosure."""
    from bidding.auctions.live.services import start_round

    require("property.manage", trade, user=actor)
    _require_property(trade)
    _require_path(trade, COMPETITIVE)
    return start_round(actor, trade, kind="auction")


def negotiated_of(trade: Trade) -> NegotiatedTransfer | None:
    return db.session.get(NegotiatedTransfer, trade.id)


def record_negotiated(actor, trade: Trade, price) -> NegotiatedTransfer:
    """The sole qualified transferee takes the transfer by agreement at `price`, not less than the reserve
    (the public starting price): the offer the deal concludes on."""
    require("property.manage", trade, user=actor)
    _require_property(trade)
    if negotiated_of(trade) is not None:
        raise IllegalMove(_("The negotiated price is recorded already."), code="negotiated")
    _require_path(trade, NEGOTIATED)
    errors: dict[str, list[str]] = {}
    amount = _money(price, "price", errors)
    if errors:
        raise InvalidInput(errors)
    reserve = trade.estimated_price
    if amount < reserve:
        raise InvalidInput({"price": [_("a negotiated transfer may not be below the transfer reserve %(reserve)s "
                                        "(%(source)s)", reserve=yuan(reserve),
                                        source=_source(trade, "competitive_bidding"))]})
    reg = bidders(trade)[0]
    row = NegotiatedTransfer(trade_id=trade.id, registration_id=reg.id, paddle=reg.paddle, price=amount,
                             reserve=reserve, recorded_by_id=actor.id, recorded_at=now())
    db.session.add(row)
    db.session.flush()
    return row


def negotiated_offer(trade: Trade) -> outcome.Offer | None:
    """The negotiated price as the offer the deal reads (registered with bidding.auctions.outcome)."""
    row = negotiated_of(trade) if trade.rule_set.kind == "property" else None
    if row is None:
        return None
    return outcome.Offer(row.registration_id, row.paddle, row.price, row.recorded_at, "negotiated")


outcome.register_offer_source(negotiated_offer)


def extensions_of(trade: Trade) -> list[DisclosureExtension]:
    return list(db.session.scalars(sa.select(DisclosureExtension).where(DisclosureExtension.trade_id == trade.id)
                                   .order_by(DisclosureExtension.id)))


def extend_disclosure(actor, trade: Trade, bid_deadline: datetime | None, reason: str | None) -> DisclosureExtension:
    """No qualified transferee at the deadline: the disclosure runs on to `bid_deadline`, published (O32 Art 18)."""
    require("property.manage", trade, user=actor)
    terms = _require_property(trade)
    at = now()
    if trade.state not in DISCLOSING:
        raise IllegalMove(_("The disclosure is over for this trade."), code="too_late")
    _check_may_redisclose(trade, at)
    errors: dict[str, list[str]] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("say why the disclosure is extended")]
    if bid_deadline is None:
        errors["bid_deadline"] = [_("set the new end of the disclosure")]
    elif bid_deadline <= at:
        errors["bid_deadline"] = [_("must be in the future")]
    if errors:
        raise InvalidInput(errors)
    message = {
        "title": texts.message(N_("Disclosure extended: %(title)s"), title=trade.title),
        "body": [texts.message(N_("No qualified transferee came forward by %(old)s; the disclosure runs on until "
                                  "%(new)s at the same reserve %(price)s."), old=texts.at(trade.bid_deadline),
                               new=texts.at(bid_deadline), price=yuan(trade.estimated_price)),
                 texts.message(N_("Reason: %(reason)s"), reason=texts.typed(reason))],
    }
    notice = _publish(trade, NoticeKind.REDISCLOSURE, message, at)
    row = DisclosureExtension(trade_id=trade.id, old_deadline=trade.bid_deadline, new_deadline=bid_deadline,
                              reason=reason[:2000], notice_id=notice.id, extended_by_id=actor.id, extended_at=at)
    trade.bid_deadline = bid_deadline
    terms.disclosed_at = at
    db.session.add(row)
    db.session.flush()
    return row


def end_without_deal(actor, trade: Trade):
    """No qualified transferee and no new disclosure: the sale ends without a deal, through the deal's own
    procedure (bidding/auctions/deal: with no offer it records no deal, with its reason, and publishes it)."""
    from bidding.auctions.deal.conclusion import conclude

    require("property.manage", trade, user=actor)
    _require_property(trade)
    _require_path(trade, NONE)
    return conclude(actor, trade)


def overview(trade: Trade) -> dict:
    """What the property page and the API show: the reserve and its history, the path at the deadline."""
    from bidding.auctions.property import services

    terms = services._require_property(trade)
    pre = services.pre_disclosure_of(trade)
    path = path_of(trade)
    appraised = terms.appraised_value
    return {
        "trade_id": trade.id, "state": trade.state.value, "path": path, "control_change": terms.control_change,
        "appraised_value": appraised, "reserve": trade.estimated_price,
        "consent_floor": services.consent_floor(trade, appraised) if appraised is not None else None,
        "bid_deadline": trade.bid_deadline,
        # how many qualified transferees came forward is told once the disclosure is over
        "transferees": len(bidders(trade)) if path not in (RUNNING,) else None,
        "pre_disclosure": None if pre is None else {
            "notice_id": pre.notice_id, "published_at": pre.published_at,
            "formal_from": services.period_end(trade, pre.published_at, "pre_disclosure")},
        "changes": services.changes_of(trade), "consents": services.consents_of(trade),
        "extensions": extensions_of(trade), "negotiated": negotiated_of(trade),
    }
