"""A state property transfer's own steps before and during its disclosure (O32; RULES.md "State property
rights"): the pre-disclosure of a transfer that changes control, the transfer reserve (转让底价: the public
starting price, the trade's `estimated_price`) and its changes, the decision branch's written consent to a
reserve below 90% of the appraisal. The numbers come from the property_listing rule set's limits
(trading/rules/sets.py); its `Provided` rules are checked here, where the facts are kept.

What happens at the disclosure's end (competition, negotiated transfer, extension, no deal) is in
closing.py.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import BinaryIO

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext as _

from bidding.auctions.models import AuctionTerms
from bidding.auctions.property.models import PreDisclosure, ReserveChange, ReserveConsent
from bidding.auctions.services import bidders, terms_of
from trading import texts
from trading.accounts import policy
from trading.blobs import BlobRefused, blob_store
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db
from trading.notices.models import Notice, NoticeKind
from trading.notices.services import ALLOWED_TYPES, SAFE_NAME
from trading.pdf import yuan
from trading.permissions import require
from trading.rules.days import WorkCalendar, load_calendar, local_date
from trading.rules.model import Violation, rule_check
from trading.texts import N_
from trading.trades.flows import TradeState
from trading.trades.models import Trade
from trading.types import to_money

BEFORE_DISCLOSURE = (TradeState.DRAFT, TradeState.SUBMITTED, TradeState.APPROVED)
DISCLOSING = (TradeState.ANNOUNCED, TradeState.LISTING)


def is_property(trade: Trade) -> bool:
    return trade.rule_set.kind == "property"


def _limit(trade: Trade, code: str):
    return trade.rule_set.limit(code)


def _days(trade: Trade, code: str) -> int:
    return int(_limit(trade, code).value)


def _source(trade: Trade, code: str) -> str:
    return str(_limit(trade, code).source)


def _rule_source(trade: Trade, code: str) -> str:
    return str(next(r.source for r in trade.rule_set.rules if r.code == code))


def _require_property(trade: Trade) -> AuctionTerms:
    terms = terms_of(trade) if is_property(trade) else None
    if terms is None:
        raise IllegalMove(_("This is not a state property transfer with its sale terms."), code="not_property")
    return terms


def period_end(trade: Trade, start: datetime, code: str, calendar: WorkCalendar | None = None):
    """The last day of the limit `code`'s working-day period after `start` (the start day not counted)."""
    calendar = calendar or load_calendar()
    return calendar.period_end(local_date(start), _days(trade, code), True)


def _runs_until(trade: Trade, start: datetime, end: datetime | None, code: str, calendar: WorkCalendar) -> bool:
    """Whether `end` falls on or after the last day of the period `code` from `start` (a sandbox trade runs
    the period `accelerator` times faster, as MinPeriod does)."""
    if end is None:
        return False
    last = period_end(trade, start, code, calendar)
    if trade.sandbox and trade.accelerator > 1:
        return end >= start + timedelta(days=(last - local_date(start)).days) / trade.accelerator
    return local_date(end) >= last


def _money(value, field: str, errors: dict) -> Decimal | None:
    try:
        amount = to_money(value)
    except (TypeError, ValueError):
        errors[field] = [_("must be an amount such as 1250000.00")]
        return None
    if amount <= 0:
        errors[field] = [_("must be more than zero")]
        return None
    return amount


def _publish(trade: Trade, kind: NoticeKind, message: dict, at: datetime) -> Notice:
    with force_locale("zh_CN"):  # the stored text, in the platform's official language
        title, body = texts.render(message["title"]), texts.render(message["body"])
    notice = Notice(trade=trade, kind=kind, title=title[:250], body=body, published_at=at, message=message)
    db.session.add(notice)
    db.session.flush()
    return notice


# ---- pre-disclosure (O32 Art 13) -------------------------------------------------------------------

def pre_disclosure_of(trade: Trade) -> PreDisclosure | None:
    return db.session.get(PreDisclosure, trade.id)


def pre_disclose(actor, trade: Trade) -> PreDisclosure:
    """Publish the pre-disclosure notice of a transfer that changes control, before the formal disclosure;
    the formal disclosure may start once its 20 working days have run (O32 Art 13)."""
    require("property.manage", trade, user=actor)
    terms = _require_property(trade)
    if not terms.control_change:
        raise IllegalMove(_("Only a transfer that changes control is pre-disclosed (%(source)s).",
                            source=_source(trade, "pre_disclosure")), code="no_control_change")
    if trade.state not in BEFORE_DISCLOSURE:
        raise IllegalMove(_("The pre-disclosure comes before the formal disclosure."), code="disclosed")
    if pre_disclosure_of(trade) is not None:
        raise IllegalMove(_("This transfer is pre-disclosed already."), code="pre_disclosed")
    at = now()
    earliest = period_end(trade, at, "pre_disclosure")
    message = {
        "title": texts.message(N_("Pre-disclosure: %(title)s"), title=trade.title),
        "body": [texts.typed(trade.description), texts.typed(""),
                 texts.message(N_("Transferor: %(name)s"), name=texts.typed(trade.tenderer.name)),
                 texts.message(N_("The transfer changes control of the enterprise; its formal disclosure starts "
                                  "on %(day)s at the earliest (%(days)s working days after this pre-disclosure)."),
                               day=earliest.isoformat(), days=_days(trade, "pre_disclosure"))],
    }
    notice = _publish(trade, NoticeKind.PRE_DISCLOSURE, message, at)
    pre = PreDisclosure(trade_id=trade.id, notice_id=notice.id, published_at=at, published_by_id=actor.id)
    db.session.add(pre)
    db.session.flush()
    return pre


def public_pre_disclosures(limit: int = 100) -> list[Notice]:
    """The latest pre-disclosure notices: public from the moment they are published, before the trade is."""
    return list(db.session.scalars(sa.select(Notice).where(Notice.kind == NoticeKind.PRE_DISCLOSURE)
                                   .order_by(Notice.published_at.desc(), Notice.id.desc()).limit(limit)))


@rule_check("property.pre_disclosure")
def _check_pre_disclosure(rule, trade, calendar: WorkCalendar) -> Violation | None:
    """A transfer that changes control: its pre-disclosure first, then 20 working days, then the formal
    disclosure (issue_at). Missing, it is "required" (a draft may be edited before it)."""
    if getattr(trade, "id", None) is None or not isinstance(trade, Trade):
        return None
    terms = terms_of(trade)
    if terms is None or not terms.control_change:
        return None
    pre = pre_disclosure_of(trade)
    days = _days(trade, "pre_disclosure")
    if pre is None:
        return Violation(rule.field, "required", _(
            "a transfer that changes control is pre-disclosed first, at least %(days)s working days before the "
            "formal disclosure (%(source)s)", days=days, source=str(rule.source)))
    if trade.issue_at is None or _runs_until(trade, pre.published_at, trade.issue_at, "pre_disclosure", calendar):
        return None
    return Violation(rule.field, rule.code, _(
        "the formal disclosure may start on %(day)s at the earliest: %(days)s working days after the "
        "pre-disclosure of %(pre)s (%(source)s)", day=period_end(trade, pre.published_at, "pre_disclosure",
                                                                calendar).isoformat(),
        days=days, pre=local_date(pre.published_at).isoformat(), source=str(rule.source)))


# ---- the transfer reserve and its changes (O32 Art 17-18) ------------------------------------------

def changes_of(trade: Trade) -> list[ReserveChange]:
    return list(db.session.scalars(sa.select(ReserveChange).where(ReserveChange.trade_id == trade.id)
                                   .order_by(ReserveChange.id)))


def consents_of(trade: Trade) -> list[ReserveConsent]:
    return list(db.session.scalars(sa.select(ReserveConsent).where(ReserveConsent.trade_id == trade.id)
                                   .order_by(ReserveConsent.id)))


def consent_floor(trade: Trade, appraised: Decimal) -> Decimal:
    """The lowest reserve without the approving body's written consent: 90% of the appraisal (O32 Art 18)."""
    share = Decimal(_limit(trade, "consent_below").value)
    return (appraised * share / 100).quantize(Decimal("0.01"))


def covering_consent(trade: Trade, price: Decimal) -> ReserveConsent | None:
    """The latest consent that allows `price` (its lowest price at or below it)."""
    return db.session.scalar(sa.select(ReserveConsent).where(
        ReserveConsent.trade_id == trade.id, ReserveConsent.lowest_price <= price)
        .order_by(ReserveConsent.id.desc()).limit(1))


@rule_check("property.reserve_floor")
def _check_reserve_floor(rule, trade, calendar: WorkCalendar) -> Violation | None:
    """The appraisal is needed ("required": a draft may be edited before the terms are set), and the reserve
    is not below it unless a recorded cut (with its re-disclosure and any consent) set it there."""
    if getattr(trade, "id", None) is None or not isinstance(trade, Trade):
        return None
    terms = terms_of(trade)
    if terms is None or terms.appraised_value is None:
        return Violation("appraised_value", "required", _(
            "the appraised value is required: the transfer reserve may not be below it (%(source)s)",
            source=str(rule.source)))
    price = trade.estimated_price
    if price is None or price >= terms.appraised_value:
        return None
    last = db.session.scalar(sa.select(ReserveChange).where(ReserveChange.trade_id == trade.id)
                             .order_by(ReserveChange.id.desc()).limit(1))
    if last is not None and last.new_deadline is not None and last.new_price == price:
        return None
    return Violation(rule.field, rule.code, _(
        "the first transfer reserve may not be below the appraised value %(value)s (%(source)s)",
        value=yuan(terms.appraised_value), source=str(rule.source)))


@rule_check("property.redisclosure")
def _check_redisclosure(rule, trade, calendar: WorkCalendar) -> Violation | None:
    """After a cut the disclosure runs again at least 20 working days from the change."""
    if getattr(trade, "id", None) is None or not isinstance(trade, Trade):
        return None
    last = db.session.scalar(sa.select(ReserveChange).where(
        ReserveChange.trade_id == trade.id, ReserveChange.new_deadline.is_not(None))
        .order_by(ReserveChange.id.desc()).limit(1))
    if last is None or _runs_until(trade, last.changed_at, trade.bid_deadline, "redisclosure", calendar):
        return None
    return Violation(rule.field, rule.code, _redisclosure_message(trade, last.changed_at, calendar))


def _redisclosure_message(trade: Trade, at: datetime, calendar: WorkCalendar | None = None) -> str:
    return _("after a lowered reserve the disclosure runs again: the new deadline may be on %(day)s at the earliest "
             "(%(days)s working days from the change, %(source)s)",
             day=period_end(trade, at, "redisclosure", calendar).isoformat(), days=_days(trade, "redisclosure"),
             source=_source(trade, "redisclosure"))


def record_consent(actor, trade: Trade, lowest_price, reason: str | None, filename: str | None,
                   content_type: str | None, stream: BinaryIO | None) -> ReserveConsent:
    """The decision branch records the approving body's written consent to a reserve down to `lowest_price`,
    below 90% of the appraisal (O32 Art 18), with the signed document (kept by its hash)."""
    require("property.consent", trade, user=actor)
    terms = _require_property(trade)
    policy.check_participation(actor, trade, "decider")
    errors: dict[str, list[str]] = {}
    price = _money(lowest_price, "lowest_price", errors)
    if terms.appraised_value is None:
        errors["lowest_price"] = [_("the sale has no appraised value yet")]
    elif price is not None and price >= consent_floor(trade, terms.appraised_value):
        errors["lowest_price"] = [_("a reserve from %(floor)s (%(share)s%% of the appraisal) needs no consent "
                                    "(%(source)s)", floor=yuan(consent_floor(trade, terms.appraised_value)),
                                    share=_limit(trade, "consent_below").value, source=_source(trade, "consent_below"))]
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("say why the approving body consented")]
    name = SAFE_NAME.sub("_", (filename or "").strip()).strip("._ ")[:200]
    kind = (content_type or "application/octet-stream").split(";")[0].strip().lower()
    if stream is None or not name:
        errors["document"] = [_("attach the signed written consent")]
    elif kind not in ALLOWED_TYPES:
        errors["document"] = [_("file type %(t)s is not accepted (PDF, Word, Excel, ZIP, text)", t=kind)]
    if errors:
        raise InvalidInput(errors)
    try:
        digest, size = blob_store().put(stream, max_size=current_app.config["MAX_CONTENT_LENGTH"], min_size=1)
    except BlobRefused as exc:
        message = _("the file is empty") if exc.reason == "empty" else _("the file is larger than the platform accepts")
        raise InvalidInput({"document": [message]}) from None
    policy.join(actor, trade, "decider")
    consent = ReserveConsent(trade_id=trade.id, lowest_price=price, reason=reason[:2000], filename=name,
                             content_type=kind, size=size, sha256=digest, decided_by_id=actor.id, decided_at=now())
    db.session.add(consent)
    db.session.flush()
    return consent


def stored_consents() -> list[str]:
    """Digests of the consent documents (the blob sweep spares them)."""
    return list(db.session.scalars(sa.select(ReserveConsent.sha256).distinct()))


def change_reserve(actor, trade: Trade, price, reason: str | None, bid_deadline: datetime | None = None
                   ) -> ReserveChange:
    """Change the transfer reserve, logged with the old and the new price.

    Before the disclosure: any price not below the appraisal (O32 Art 17). After a disclosure that found no
    qualified transferee: only a cut, which is disclosed again with a new deadline at least 20 working days
    from now; below 90% of the appraisal only with the decision branch's recorded written consent (Art 18)."""
    require("property.manage", trade, user=actor)
    terms = _require_property(trade)
    errors: dict[str, list[str]] = {}
    new = _money(price, "price", errors)
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("say why the reserve changes")]
    if terms.appraised_value is None:
        errors["price"] = [_("the sale has no appraised value yet")]
    if errors:
        raise InvalidInput(errors)
    appraised, old, at = terms.appraised_value, trade.estimated_price, now()
    consent = None
    if trade.state in BEFORE_DISCLOSURE:
        if trade.state is not TradeState.DRAFT:
            raise IllegalMove(_("Return the trade to draft to change its reserve before the disclosure."),
                              code="not_draft")
        if new < appraised:
            raise InvalidInput({"price": [_("the first transfer reserve may not be below the appraised value "
                                            "%(value)s (%(source)s)", value=yuan(appraised),
                                            source=_rule_source(trade, "property.reserve_floor"))]})
        bid_deadline = None
    elif trade.state in DISCLOSING:
        _check_may_redisclose(trade, at)
        if new >= old:
            raise IllegalMove(_("After the disclosure the reserve may only be lowered, and is disclosed again "
                                "(%(source)s).", source=_source(trade, "redisclosure")), code="not_lower")
        if new < consent_floor(trade, appraised):
            consent = covering_consent(trade, new)
            if consent is None:
                raise InvalidInput({"price": [_(
                    "a reserve below %(floor)s (%(share)s%% of the appraised value %(value)s) needs the approving "
                    "body's written consent, recorded by the decision branch first (%(source)s)",
                    floor=yuan(consent_floor(trade, appraised)), share=_limit(trade, "consent_below").value,
                    value=yuan(appraised), source=_source(trade, "consent_below"))]})
        if bid_deadline is None:
            raise InvalidInput({"bid_deadline": [_("set the new end of the disclosure")]})
        if not _runs_until(trade, at, bid_deadline, "redisclosure", load_calendar()):
            raise InvalidInput({"bid_deadline": [_redisclosure_message(trade, at)]})
    else:
        raise IllegalMove(_("The reserve can no longer change: the trade is %(state)s.", state=trade.state.label),
                          code="too_late")
    change = ReserveChange(trade_id=trade.id, old_price=old, new_price=new, appraised_value=appraised,
                           reason=reason[:2000], consent_id=consent.id if consent else None,
                           old_deadline=trade.bid_deadline if bid_deadline else None, new_deadline=bid_deadline,
                           changed_by_id=actor.id, changed_at=at)
    trade.estimated_price = new
    if bid_deadline is not None:
        trade.bid_deadline = bid_deadline
        terms.disclosed_at = at
        terms.amendments += 1
        message = {
            "title": texts.message(N_("Disclosed again with a lower reserve: %(title)s"), title=trade.title),
            "body": [texts.message(N_("The transfer reserve is lowered from %(old)s to %(new)s."), old=yuan(old),
                                   new=yuan(new)),
                     texts.message(N_("Reason: %(reason)s"), reason=texts.typed(reason)),
                     texts.message(N_("The disclosure runs again until %(at)s."), at=texts.at(bid_deadline))],
        }
        change.notice_id = _publish(trade, NoticeKind.REDISCLOSURE, message, at).id
    db.session.add(change)
    db.session.flush()
    return change


def _check_may_redisclose(trade: Trade, at: datetime) -> None:
    """The terms may not change during the disclosure (O32 Art 20); after it, a cut or an extension only
    when it found no qualified transferee (Art 18)."""
    if trade.bid_deadline is None or at < trade.bid_deadline:
        raise IllegalMove(_("The disclosed terms may not change while the disclosure runs (%(source)s).",
                            source=_source(trade, "clarification_lead")), code="disclosure_running")
    if bidders(trade):
        raise IllegalMove(_("The disclosure found qualified transferees: it goes to bidding or a negotiated "
                            "transfer, not to a new disclosure."), code="has_transferees")
