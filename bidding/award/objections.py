"""Objections to the candidates (异议, Reg 54): raised during the publicity by a bidder or another
interested party; the tender is suspended until the tenderer answers each one, within the rule set's days."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import force_locale, format_datetime, gettext as _

from bidding.award import rules
from bidding.award.candidates import current_list, in_publicity, open_objections, paused_for_objection
from bidding.award.models import MAX_TEXT, CandidateObjection
from bidding.award.signals import award_changed
from bidding.ceremony.models import OpeningCeremony, OpeningEntry
from trading import texts
from trading.accounts.models import User
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db
from trading.permissions import require
from trading.texts import N_
from trading.trades.flows import TradeState
from trading.trades.lifecycle import transition
from trading.trades.models import Trade

PROCEDURE = "award"


def text_field(value: str | None, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput({field: [_("may not be empty")]})
    if len(value) > MAX_TEXT:
        raise InvalidInput({field: [_("at most %(n)d characters", n=MAX_TEXT)]})
    return value


def bid_here(trade: Trade, organisation_id: int | None) -> bool:
    """The company's bid was opened on this trade (it is a bidder, not only an interested party)."""
    if organisation_id is None:
        return False
    return db.session.scalar(sa.select(OpeningEntry.id).join(OpeningCeremony).where(
        OpeningCeremony.trade_id == trade.id, OpeningEntry.organisation_id == organisation_id).limit(1)) is not None


def _stored(message) -> str:
    with force_locale("zh_CN"):
        return texts.render(message)


def raise_objection(actor: User, trade: Trade, text: str | None) -> CandidateObjection:
    """Record an objection while the candidates are in publicity; the first open one suspends the tender."""
    require("award.object", trade, user=actor)
    text = text_field(text, "text")
    lst = current_list(trade)
    if lst is None or not in_publicity(trade):
        raise IllegalMove(_("Objections to the candidates are raised while they are in publicity."),
                          code="not_in_publicity")
    at = now()
    if at >= lst.publicity_ends:
        raise IllegalMove(_("The publicity ended at %(end)s; objections to the candidates were due by then "
                            "(%(source)s).", end=format_datetime(lst.publicity_ends, "yyyy-MM-dd HH:mm"),
                            source=rules.source(trade, "objection_answer")), code="publicity_over")
    objection = CandidateObjection(trade_id=trade.id, list_id=lst.id, user_id=actor.id, organisation_id=actor.organisation_id,
                          standing="bidder" if bid_here(trade, actor.organisation_id) else "interested",
                          text=text, raised_at=at, answer_due=rules.period_end(trade, "objection_answer", at))
    db.session.add(objection)
    db.session.flush()
    if trade.state is TradeState.PUBLICITY:
        message = texts.message(N_("an objection to the candidates awaits the tenderer's answer (due %(due)s): "
                                   "the tender is suspended meanwhile (Tendering Regulation Art. 54)"),
                                due=texts.at(objection.answer_due))
        transition(trade, "pause_for_objection", None, reason=_stored(message), reason_message=message, at=at,
                   by=PROCEDURE)
    award_changed.send(trade, what="objection", actor=actor)
    return objection


def answer_objection(actor: User, objection: CandidateObjection, answer: str | None, upheld: bool | None) -> CandidateObjection:
    """The tenderer's answer; once no objection is open, the tender resumes where the objection paused it.
    An upheld objection is on record for the award (a candidate found in violation is passed over)."""
    trade = objection.trade
    require("award.answer", trade, user=actor)
    answer = text_field(answer, "answer")
    if upheld is None:
        raise InvalidInput({"upheld": [_("say whether the objection is upheld")]})
    if objection.answered_at is not None:
        raise IllegalMove(_("This objection has already been answered."), code="already_answered")
    at = now()
    objection.answer, objection.upheld, objection.answered_at, objection.answered_by_id = answer, bool(upheld), at, \
        actor.id
    db.session.flush()
    if not open_objections(trade) and paused_for_objection(trade):
        message = texts.message(N_("the tenderer answered every objection to the candidates: the tender resumes"))
        transition(trade, "resume_after_objection", None, reason=_stored(message), reason_message=message, at=at,
                   by=PROCEDURE)
    award_changed.send(trade, what="answer", actor=actor)
    return objection


def objection_of(trade: Trade, objection_id: int) -> CandidateObjection | None:
    row = db.session.get(CandidateObjection, objection_id)
    return row if row is not None and row.trade_id == trade.id else None


def objections(trade: Trade) -> list[CandidateObjection]:
    return list(db.session.scalars(sa.select(CandidateObjection).where(CandidateObjection.trade_id == trade.id).order_by(CandidateObjection.id)))


def objections_by(user: User, trade: Trade) -> list[CandidateObjection]:
    """The objections a person may follow as their own: theirs, and their company's."""
    cond = CandidateObjection.user_id == user.id
    if user.organisation_id is not None:
        cond = sa.or_(cond, CandidateObjection.organisation_id == user.organisation_id)
    return list(db.session.scalars(sa.select(CandidateObjection).where(CandidateObjection.trade_id == trade.id, cond)
                                   .order_by(CandidateObjection.id)))
