"""A sale's disclosed terms: set while drafting, fixed by the notice, changed only by an amendment that
restarts the disclosure (O32 Art 20; O39 Art 8), and the increment the staff may change during the listing.

The disclosed terms are the starting price (the trade's `estimated_price`), the deposit (its
`bid_security`), the increment, the appraisal, and the timeline. An amendment is published as a
clarification (trading.notices) and reported as a trade edit (`trade_edited`), as any change to a
published trade is: e-supervision and the audit log already follow both.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from bidding.auctions.models import MAX_TEXT, AuctionTerms, IncrementChange, ListingQuote
from bidding.auctions.signals import increment_changed, terms_amended
from trading import texts
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db
from trading.notices.models import Notice, NoticeKind
from trading.notices.services import publish_clarification
from trading.permissions import require
from trading.rules.days import at_local_time, load_calendar
from trading.rules.model import MinPeriod
from trading.signals import trade_edited
from trading.texts import N_
from trading.trades.flows import TradeState
from trading.trades.lifecycle import check_timeline
from trading.trades.models import Trade
from trading.types import to_money

#: the largest amount a sale takes (yuan): far above any real price, well inside what the database holds
MAX_AMOUNT = Decimal("1000000000000.00")
#: the trade's own fields among the disclosed terms (the others are AuctionTerms')
TRADE_TERMS = ("estimated_price", "bid_security")
SALE_TERMS = ("increment", "appraised_value", "round_at")


def is_sale(trade: Trade) -> bool:
    """A trade sold to the highest bidder (the listing flow: land listing and auction, property)."""
    return trade.rule_set.flow == "listing"


def terms_of(trade: Trade) -> AuctionTerms | None:
    return db.session.get(AuctionTerms, trade.id)


def parse_amount(errors: dict, field: str, value, *, optional: bool = False) -> Decimal | None:
    """An amount of yuan above zero, exact to the fen, or an error on `field` (nothing raised yet)."""
    if value in (None, "") and optional:
        return None
    try:
        amount = to_money(value)
    except (TypeError, ValueError):
        errors[field] = [_("must be an amount such as 1250000.00")]
        return None
    if amount <= 0:
        errors[field] = [_("must be more than zero")]
    elif amount > MAX_AMOUNT:
        errors[field] = [_("may not exceed %(n)s", n=MAX_AMOUNT)]
    return amount


def set_terms(actor, trade: Trade, increment, appraised_value=None, countdown_seconds: int | None = None,
              confirm_seconds: int | None = None, round_at: datetime | None = None,
              control_change: bool | None = None) -> AuctionTerms:
    """Create or change the terms while the trade is a draft (afterwards: `amend`, which restarts the
    disclosure; during the listing the increment alone: `change_increment`)."""
    require("auctions.manage", trade, user=actor)
    if not is_sale(trade):
        raise IllegalMove(_("Only land and property sales have sale terms."), code="not_a_sale")
    if trade.state is not TradeState.DRAFT:
        raise IllegalMove(_("The terms are disclosed: change them by an amendment, which restarts the "
                            "disclosure period."), code="terms_disclosed")
    errors: dict[str, list[str]] = {}
    increment = parse_amount(errors, "increment", increment)
    appraised_value = parse_amount(errors, "appraised_value", appraised_value, optional=True)
    for field, value in (("countdown_seconds", countdown_seconds), ("confirm_seconds", confirm_seconds)):
        if value is not None and not 30 <= value <= 3600:
            errors[field] = [_("between 30 and 3600 seconds")]
    if errors:
        raise InvalidInput(errors)
    terms = terms_of(trade)
    if terms is None:
        terms = AuctionTerms(trade_id=trade.id, increment=increment)
        db.session.add(terms)
    terms.increment = increment
    terms.appraised_value = appraised_value
    if countdown_seconds is not None:
        terms.countdown_seconds = countdown_seconds
    if confirm_seconds is not None:
        terms.confirm_seconds = confirm_seconds
    if round_at is not None:
        terms.round_at = round_at
    if control_change is not None:
        terms.control_change = control_change
    db.session.flush()
    return terms


def on_publish(trade: Trade, actor, record) -> None:
    """The notice fixes the disclosed terms (trading.trades.lifecycle.after_move("publish"))."""
    terms = terms_of(trade) if is_sale(trade) else None
    if terms is not None and terms.disclosed_at is None:
        terms.disclosed_at = record.at
        db.session.flush()


# ---- amendments --------------------------------------------------------------------------------

class _Restarted:
    """The trade's milestones as the rules read them, with the disclosure starting again at `at`."""

    def __init__(self, trade: Trade, at: datetime) -> None:
        self.sandbox, self.accelerator = trade.sandbox, trade.accelerator
        self.values = {name: trade.milestone(name) for name in ("issue_at", "docs_until", "bid_deadline",
                                                                  "opening_at", "listing_from")}
        self.values["issue_at"] = at

    def milestone(self, name: str):
        return self.values.get(name)


def restarted_timeline(trade: Trade, at: datetime) -> dict[str, datetime]:
    """The milestones that must move so that every minimum period of the rule set (trading/rules/sets.py)
    holds again counted from `at`, each kept at its local time of day; {} when none must move.

    The periods are applied in the rule set's order, so a moved listing start carries the listing's
    end with it (land: 20 days of announcement, then 10 of listing)."""
    facts = _Restarted(trade, at)
    calendar = load_calendar()
    for rule in trade.rule_set.rules:
        if not isinstance(rule, MinPeriod) or rule.check(facts, calendar) is None:
            continue
        start, end = facts.milestone(rule.start), facts.milestone(rule.end)
        if trade.sandbox and trade.accelerator > 1:
            facts.values[rule.end] = rule.earliest_end(start, calendar, trade.accelerator)
        else:
            facts.values[rule.end] = at_local_time(rule.last_day(start, calendar), end)
    return {name: value for name, value in facts.values.items()
            if name != "issue_at" and value != trade.milestone(name)}


def amend(actor, trade: Trade, changes: dict, title: str, body: str):
    """Change disclosed terms after the notice: applied, the disclosure restarted (the listing start and
    the deadline move so the rule set's minimum periods hold again from now), published as a clarification
    that says so, and reported as a trade edit. Returns the clarification."""
    require("auctions.manage", trade, user=actor)
    terms = terms_of(trade)
    if terms is None or not is_sale(trade):
        raise IllegalMove(_("Only land and property sales have sale terms."), code="not_a_sale")
    at = now()
    if trade.state not in (TradeState.ANNOUNCED, TradeState.LISTING) or (
            trade.bid_deadline is not None and at >= trade.bid_deadline):
        raise IllegalMove(_("Terms can be amended only while the sale is announced or listing, before its "
                            "deadline."), code="not_amendable")
    if trade.state is TradeState.LISTING and "listing_from" in trade.rule_set.milestones:
        raise IllegalMove(_("The listing has begun: its terms cannot restart; suspend or cancel the sale "
                            "instead."), code="listing_started")
    if db.session.scalar(sa.select(ListingQuote.id).where(ListingQuote.trade_id == trade.id,
                                                         ListingQuote.seq.is_not(None)).limit(1)):
        raise IllegalMove(_("Quotes were made on these terms: they cannot change now."), code="quotes_made")
    errors: dict[str, list[str]] = {}
    wanted: dict = {}
    for field in ("estimated_price", "increment"):
        if changes.get(field) is not None:
            wanted[field] = parse_amount(errors, field, changes[field])
    for field in ("bid_security", "appraised_value"):
        if field in changes:
            wanted[field] = parse_amount(errors, field, changes[field], optional=True)
    if changes.get("round_at") is not None:
        wanted["round_at"] = changes["round_at"]
    if not (title or "").strip():
        errors["title"] = [_("a title is required")]
    if len(body or "") > MAX_TEXT:
        errors["body"] = [_("at most %(n)d characters", n=MAX_TEXT)]
    if errors:
        raise InvalidInput(errors)
    owners = {field: trade if field in TRADE_TERMS else terms for field in wanted}
    edits = {field: (getattr(owners[field], field), value) for field, value in wanted.items()
             if getattr(owners[field], field) != value}
    if not edits:
        raise InvalidInput({"changes": [_("nothing differs from the disclosed terms")]})
    old_security, new_security = edits.get("bid_security", (None, None))
    if new_security is not None and (old_security is None or new_security > old_security) and _qualified(trade):
        raise IllegalMove(_("Deposits were confirmed at the disclosed amount: the deposit cannot rise now."),
                          code="deposits_confirmed")
    for field, (_old, value) in edits.items():  # refused above: nothing changed; from here on it applies
        setattr(owners[field], field, value)
    moved = restarted_timeline(trade, at)
    for name, value in moved.items():
        edits[name] = (trade.milestone(name), value)
        setattr(trade, name, value)
    if terms.round_at is not None and trade.bid_deadline is not None and terms.round_at < trade.bid_deadline:
        old_deadline = edits.get("bid_deadline", (trade.bid_deadline,))[0]
        edits["round_at"] = (terms.round_at, terms.round_at + (trade.bid_deadline - old_deadline))
        terms.round_at = edits["round_at"][1]
    check_timeline(trade)  # every rule of the set, not only the periods moved above
    terms.amendments += 1
    terms.disclosed_at = at
    trade.updated_at = at
    db.session.flush()
    trade_edited.send(trade, changes=edits, actor=actor)
    clarification = publish_clarification(actor, trade, title.strip(), _restart_text(trade, edits, body))
    if "bid_deadline" in edits:
        clarification.old_deadline, clarification.new_deadline = edits["bid_deadline"]
    notice = db.session.scalar(sa.select(Notice).where(Notice.trade_id == trade.id,
                                                       Notice.kind == NoticeKind.CLARIFICATION)
                               .order_by(Notice.id.desc()).limit(1))
    notice.message = {"title": texts.typed(title.strip()), "body": _restart_message(trade, edits, body)}
    _tell_registrants(trade, clarification, notice.message)
    db.session.flush()
    terms_amended.send(trade, terms=terms, changes=edits, actor=actor)
    return clarification


def _qualified(trade: Trade) -> bool:
    from bidding.auctions.models import Registration, RegistrationStatus

    return db.session.scalar(sa.select(Registration.id).where(
        Registration.trade_id == trade.id, Registration.status == RegistrationStatus.QUALIFIED).limit(1)) is not None


def _tell_registrants(trade: Trade, clarification, message: dict) -> int:
    """Each company that applied (and has not withdrawn or been refused) is told in the app, as the
    clarification tells those who downloaded the documents; nobody is told twice."""
    from flask_babel import force_locale

    from bidding.auctions.models import Registration, RegistrationStatus
    from trading.notices.models import Download, Notification

    told = set(db.session.scalars(sa.select(Download.user_id).where(Download.trade_id == trade.id,
                                                                   Download.user_id.is_not(None))))
    applicants = set(db.session.scalars(sa.select(Registration.applicant_id).where(
        Registration.trade_id == trade.id,
        Registration.status.in_((RegistrationStatus.APPLIED, RegistrationStatus.QUALIFIED))))) - told
    stored = {"subject": texts.message(N_("Clarification %(n)d to %(ref)s: %(title)s"), n=clarification.number,
                                       ref=trade.ref, title=clarification.title), "body": message["body"]}
    with force_locale("zh_CN"):
        subject, body = texts.render(stored["subject"]), texts.render(stored["body"])
    for uid in sorted(applicants):
        db.session.add(Notification(user_id=uid, trade_id=trade.id, kind="clarification", subject=subject[:250],
                                    body=body, message=stored))
    clarification.notified += len(applicants)
    return len(applicants)


#: the disclosed terms as an amendment's lines name them
TERM_LABELS = {
    "estimated_price": N_("Starting price"), "bid_security": N_("Deposit"), "increment": N_("Increment"),
    "appraised_value": N_("Appraised value"), "round_at": N_("Live round opens"),
    "listing_from": N_("Listing starts"), "bid_deadline": N_("Listing closes"),
}
texts.register_label("sale_term", lambda code: _(TERM_LABELS[code]) if code in TERM_LABELS else code)


def _shown(value):
    if isinstance(value, datetime):
        return texts.at(value)
    return "—" if value is None else str(value)


def _restart_message(trade: Trade, edits: dict, body: str) -> list:
    """The amendment's text as stored messages: what the staff wrote, each change, and the restart."""
    lines = [texts.typed(body.strip()), texts.typed("")] if (body or "").strip() else []
    for field, (old, new) in edits.items():
        lines.append(texts.message(N_("%(term)s: %(old)s → %(new)s"), term=texts.label("sale_term", field),
                                   old=_shown(old), new=_shown(new)))
    lines.append(texts.message(N_("The disclosed terms changed: the disclosure period restarts from this "
                                  "amendment (%(source)s)."), source=texts.label("sale_period_source", trade.method)))
    return lines


def _restart_text(trade: Trade, edits: dict, body: str) -> str:
    """The same, in the platform's official language, as the clarification's stored text."""
    from flask_babel import force_locale

    with force_locale("zh_CN"):
        return texts.render(_restart_message(trade, edits, body))


def _period_source(method: str) -> str:
    """The source of a method's first minimum period (the disclosure), in the reader's language."""
    from trading.rules.model import registry

    rules = registry.get(method).rules if method in registry else ()
    first = next((r for r in rules if isinstance(r, MinPeriod)), None)
    return str(first.source) if first is not None else "—"


texts.register_label("sale_period_source", _period_source)


# ---- the increment during the listing ----------------------------------------------------------

def change_increment(actor, trade: Trade, increment, reason: str) -> IncrementChange:
    """The staff change the increment during the listing (local rules let the centre adjust it while quotes
    are taken): logged with the reason, public on the price board; the next quote climbs by the new step."""
    require("auctions.manage", trade, user=actor)
    terms = terms_of(trade)
    if terms is None:
        raise IllegalMove(_("Only land and property sales have sale terms."), code="not_a_sale")
    at = now()
    if trade.state is not TradeState.LISTING or (trade.bid_deadline is not None and at >= trade.bid_deadline):
        raise IllegalMove(_("The increment changes this way only during the listing (before it, by an "
                            "amendment)."), code="not_listing")
    errors: dict[str, list[str]] = {}
    new = parse_amount(errors, "increment", increment)
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("say why the increment changes")]
    elif len(reason) > MAX_TEXT:
        errors["reason"] = [_("at most %(n)d characters", n=MAX_TEXT)]
    if new is not None and "increment" not in errors and new == terms.increment:
        errors["increment"] = [_("this is the increment already")]
    if errors:
        raise InvalidInput(errors)
    change = IncrementChange(trade_id=trade.id, old_increment=terms.increment, new_increment=new, reason=reason,
                             actor_id=actor.id, at=at)
    terms.increment = new
    db.session.add(change)
    db.session.flush()
    increment_changed.send(trade, change=change, actor=actor)
    return change


def increment_changes(trade: Trade) -> list[IncrementChange]:
    return list(db.session.scalars(sa.select(IncrementChange).where(IncrementChange.trade_id == trade.id)
                                   .order_by(IncrementChange.id)))


def timeline(trade: Trade) -> dict[str, datetime | None]:
    """What the price board shows of the timeline."""
    return {"listing_from": trade.listing_from, "bid_deadline": trade.bid_deadline}

