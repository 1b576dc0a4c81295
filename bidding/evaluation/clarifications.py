"""Clarifications (澄清, Law 39; Reg 52): the committee puts a written question to one bidder about its
opened bid, with a deadline; the bidder answers in writing before it. The answer may not go beyond the
bid or change its substance: it carries no price, and a member who finds that it changes the price or
substance refuses it with the reason. A bidder may not volunteer a clarification (Reg 52): it only
answers. Questions and answers are read by the committee, the bidder concerned, the executing staff and
the supervisors, never by another bidder."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import force_locale, format_datetime, gettext as _

from bidding.evaluation.models import BidClarification
from bidding.evaluation.permissions import SITTING
from bidding.evaluation.review import data, entries
from trading import texts
from trading.accounts.models import User
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db
from trading.permissions import can, require
from trading.texts import N_
from trading.trades.models import Trade

MAX_TEXT = 4000


def max_hours() -> int:
    """How long a bidder may be given to answer (criteria.json; local practice, configurable)."""
    return int(data()["clarification"]["max_hours"])


def source() -> str:
    from flask_babel import get_locale

    spec = data()["clarification"]["source"]
    return spec["zh"] if str(get_locale() or "zh_CN").startswith("zh") else spec["en"]


def _text(value, name: str) -> str:
    if value is not None and not isinstance(value, str):
        raise InvalidInput({name: [_("must be text")]})
    value = (value or "").strip()
    if not value:
        raise InvalidInput({name: [_("may not be empty")]})
    if len(value) > MAX_TEXT:
        raise InvalidInput({name: [_("at most %(n)d characters", n=MAX_TEXT)]})
    return value


def _when(at: datetime) -> str:
    return format_datetime(at, "yyyy-MM-dd HH:mm")


def _sitting(trade: Trade) -> None:
    if trade.state not in SITTING:
        raise IllegalMove(_("Clarifications are asked and answered while the trade is under evaluation."),
                          code="not_evaluating")


def ask(actor: User, trade: Trade, entry_id, question, deadline) -> BidClarification:
    """A sitting member asks the bidder of one opened bid; the deadline must lie ahead, within the
    answer period the data allows, while the committee sits."""
    require("evaluation.clarify", trade, user=actor)
    _sitting(trade)
    entry = next((e for e in entries(trade) if e.id == entry_id), None)
    errors: dict[str, list[str]] = {}
    if entry is None:
        errors["entry_id"] = [_("no opened bid of this trade has this number")]
    try:
        question = _text(question, "question")
    except InvalidInput as exc:
        errors.update(exc.errors)
    at = now()
    latest = at + timedelta(hours=max_hours())
    if not isinstance(deadline, datetime) or deadline.tzinfo is None:
        errors["deadline"] = [_("give the date and time of the deadline")]
    elif deadline <= at:
        errors["deadline"] = [_("the deadline must lie in the future")]
    elif deadline > latest:
        errors["deadline"] = [_("the deadline must fall within the evaluation: at most %(n)d hours from now "
                                "(%(latest)s; %(source)s)", n=max_hours(), latest=_when(latest), source=source())]
    if errors:
        raise InvalidInput(errors)
    row = BidClarification(trade_id=trade.id, entry_id=entry.id, organisation_id=entry.organisation_id,
                           question=question, asked_by_id=actor.id, asked_at=at, deadline=deadline)
    db.session.add(row)
    db.session.flush()
    _notify(trade, row)
    return row


def _notify(trade: Trade, row: BidClarification) -> None:
    """Each member of the bidder asked hears of the question in the app, in their language when read (the
    question itself is on the evaluation room page, not in the notification; nor is who asked)."""
    from trading.accounts.roles import Role
    from trading.notices.models import Notification

    message = {"subject": texts.message(N_("The evaluation committee asks a clarification of your bid for %(ref)s"),
                                        ref=trade.ref),
               "body": texts.message(N_("%(title)s. Answer in writing on the evaluation room page before %(at)s; "
                                        "the answer may not change the price or the substance of your bid "
                                        "(Law 39; Reg 52), and a late answer is not accepted."),
                                     title=trade.title, at=texts.at(row.deadline))}
    users = db.session.scalars(sa.select(User).where(User.organisation_id == row.organisation_id).order_by(User.id))
    for user in users:
        if not user.has_role(Role.BIDDER):
            continue
        with force_locale(getattr(user, "locale", None) or "zh_CN"):
            subject, body = texts.render(message["subject"]), texts.render(message["body"])
        db.session.add(Notification(user_id=user.id, trade_id=trade.id, kind="bid_clarification",
                                    subject=subject[:250], body=body, message=message))


def answer(actor: User, row: BidClarification, text) -> BidClarification:
    """The bidder answers in writing before the deadline; once only. The answer has no price: a price
    cannot change by clarification (Law 39; Reg 52)."""
    require("evaluation.clarification.answer", row, user=actor)
    trade = db.session.get(Trade, row.trade_id)
    _sitting(trade)
    text = _text(text, "answer")
    status = row.status
    if status == "lapsed":
        raise IllegalMove(_("The deadline for this answer passed at %(at)s: a late answer is not accepted.",
                            at=_when(row.deadline)), code="clarification_late")
    if status != "open":
        raise IllegalMove(_("This question has already been answered."), code="already_answered")
    # the row is claimed only if still unanswered: two answers at once give one answer and one 409
    done = db.session.execute(sa.update(BidClarification).where(
        BidClarification.id == row.id, BidClarification.answered_at.is_(None)).values(
        answer=text, answered_by_id=actor.id, answered_at=now()))
    if done.rowcount != 1:
        db.session.rollback()
        raise IllegalMove(_("This question has already been answered."), code="already_answered")
    db.session.refresh(row)
    return row


def refuse(actor: User, row: BidClarification, reason) -> BidClarification:
    """A sitting member finds that the answer changes the price or the substance of the bid, or goes
    beyond it: the answer is refused and recorded as such, with the reason; the review disregards it."""
    trade = db.session.get(Trade, row.trade_id)
    require("evaluation.clarify", trade, user=actor)
    _sitting(trade)
    reason = _text(reason, "reason")
    if row.answered_at is None:
        raise IllegalMove(_("Only an answer can be refused: this question has none."), code="not_answered")
    if row.refused_at is not None:
        raise IllegalMove(_("This answer has already been refused."), code="already_refused")
    row.refused_by_id, row.refused_at, row.refused_reason = actor.id, now(), reason
    db.session.flush()
    return row


def visible(viewer: User, trade: Trade) -> list[BidClarification]:
    """What the viewer may read: everything for the committee, staff and supervisors; a bidder its own
    organisation's questions; nobody else anything."""
    require("evaluation.room", trade, user=viewer)
    query = sa.select(BidClarification).where(BidClarification.trade_id == trade.id).order_by(BidClarification.id)
    if not can(viewer, "evaluation.review.view", trade):
        query = query.where(BidClarification.organisation_id == viewer.organisation_id)
    return list(db.session.scalars(query))


def clarification_of(trade: Trade, clarification_id: int) -> BidClarification | None:
    row = db.session.get(BidClarification, clarification_id)
    return row if row is not None and row.trade_id == trade.id else None

