"""Complaints (投诉, Reg 60-61) to the administrative supervisors: filed within the days of knowing,
accepted or refused within working days, ruled within working days, the outcome published. An accepted
complaint opens a review (bidding.custody.ComplaintReview): its supervisor reads the kept bid documents
until the ruling closes it."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import force_locale, format_datetime, gettext as _

from bidding.award import rules
from bidding.award.models import Complaint, ComplaintState, CandidateObjection
from bidding.award.objections import text_field
from bidding.award.signals import award_changed
from bidding.custody import services as custody
from trading import texts
from trading.accounts.models import User
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db
from trading.notices.models import Notice, NoticeKind, Notification
from trading.permissions import require
from trading.texts import N_
from trading.trades.flows import TradeState
from trading.trades.models import Trade
from trading.trades.services import move

#: what a complaint is about: the candidates' publicity needs an objection first (Reg 60 ¶2, Reg 54)
ABOUT = ("candidates", "procedure")


def _next_ref(trade: Trade) -> str:
    count = db.session.scalar(sa.select(sa.func.count(Complaint.id)).where(Complaint.trade_id == trade.id)) or 0
    return f"{trade.ref}-TS{count + 1:02d}"[:40]


def _objected_first(actor: User, trade: Trade) -> bool:
    cond = CandidateObjection.user_id == actor.id
    if actor.organisation_id is not None:
        cond = sa.or_(cond, CandidateObjection.organisation_id == actor.organisation_id)
    return db.session.scalar(sa.select(CandidateObjection.id).where(CandidateObjection.trade_id == trade.id, cond).limit(1)) is not None


def file_complaint(actor: User, trade: Trade, text: str | None, knew_at, about: str = "procedure") -> Complaint:
    """A bidder or interested party complains to the supervisors, within the days of knowing (Reg 60)."""
    require("award.complain", trade, user=actor)
    text = text_field(text, "text")
    at = now()
    errors: dict[str, list[str]] = {}
    if about not in ABOUT:
        errors["about"] = [_("choose one of: %(list)s", list=", ".join(ABOUT))]
    elif about == "candidates" and not _objected_first(actor, trade):
        errors["about"] = [_("a complaint about the candidates needs an objection to the tenderer first (%(source)s)",
                             source=rules.source(trade, "complaint_window") or "Reg 60")]
    if knew_at is None:
        errors["knew_at"] = [_("say when you learned of what you complain about")]
    elif knew_at > at:
        errors["knew_at"] = [_("may not be in the future")]
    elif trade.published_at is not None and knew_at < trade.published_at:
        errors["knew_at"] = [_("may not be before the trade's notice")]
    else:
        due = rules.period_end(trade, "complaint_window", knew_at)
        if at >= due:
            errors["knew_at"] = [_("a complaint is filed within %(span)s of knowing (%(source)s); that period ended "
                                   "at %(end)s", span=_span(trade, "complaint_window"),
                                   source=rules.source(trade, "complaint_window"),
                                   end=format_datetime(due, "yyyy-MM-dd HH:mm"))]
    if errors:
        raise InvalidInput(errors)
    complaint = Complaint(trade_id=trade.id, ref=_next_ref(trade), user_id=actor.id,
                          organisation_id=actor.organisation_id, about=about, text=text, knew_at=knew_at, filed_at=at,
                          acceptance_due=rules.period_end(trade, "complaint_acceptance", at))
    db.session.add(complaint)
    db.session.flush()
    award_changed.send(trade, what="complaint", actor=actor)
    return complaint


def _span(trade: Trade, code: str) -> str:
    found = rules.span(trade, code)
    return found.describe() if found is not None else "—"


def _tell(complaint: Complaint, message: dict) -> None:
    with force_locale("zh_CN"):
        subject, body = texts.render(message["subject"]), texts.render(message["body"])
    db.session.add(Notification(user_id=complaint.user_id, trade_id=complaint.trade_id, kind="complaint",
                                subject=subject[:250], body=body, message=message))


def decide_complaint(actor: User, complaint: Complaint, accept: bool, reason: str | None = None,
                     reviewer: User | None = None, suspend: bool = False) -> Complaint:
    """Accept (a reviewer is assigned and may read the kept bid documents; the tender may be suspended
    meanwhile, Reg 62) or refuse with the reason, within the working days of Reg 61."""
    trade = complaint.trade
    require("award.complaints.handle", trade, user=actor)
    if complaint.state is not ComplaintState.FILED:
        raise IllegalMove(_("This complaint has already been decided."), code="already_decided")
    at = now()
    if accept:
        review = custody.assign_complaint_reviewer(actor, trade, reviewer or actor, complaint.ref)
        complaint.state, complaint.review_id = ComplaintState.ACCEPTED, review.id
        complaint.ruling_due = rules.period_end(trade, "complaint_ruling", at)
        if suspend and trade.state is not TradeState.SUSPENDED:
            move(trade, "suspend", actor, reason=_("Complaint %(ref)s under review (Tendering Regulation Art. 62)",
                                                   ref=complaint.ref))
        outcome = texts.message(N_("Your complaint %(ref)s was accepted; the ruling is due by %(due)s."),
                                ref=complaint.ref, due=texts.at(complaint.ruling_due))
    else:
        complaint.refusal = text_field(reason, "reason")
        complaint.state = ComplaintState.REFUSED
        outcome = texts.message(N_("Your complaint %(ref)s was not accepted: %(reason)s"), ref=complaint.ref,
                                reason=texts.typed(complaint.refusal))
    complaint.decided_at, complaint.decided_by_id = at, actor.id
    db.session.flush()
    _tell(complaint, {"subject": texts.message(N_("Complaint %(ref)s"), ref=complaint.ref), "body": [outcome]})
    award_changed.send(trade, what="complaint_decision", actor=actor)
    return complaint


def rule_complaint(actor: User, complaint: Complaint, upheld: bool | None, ruling: str | None) -> Complaint:
    """The ruling, published as a notice; the review of the bid documents ends with it."""
    trade = complaint.trade
    require("award.complaints.handle", trade, user=actor)
    ruling = text_field(ruling, "ruling")
    if upheld is None:
        raise InvalidInput({"upheld": [_("say whether the complaint is upheld")]})
    if complaint.state is not ComplaintState.ACCEPTED:
        raise IllegalMove(_("Only an accepted complaint is ruled on."), code="not_accepted")
    at = now()
    complaint.state, complaint.upheld, complaint.ruling = ComplaintState.RULED, bool(upheld), ruling
    complaint.ruled_at, complaint.ruled_by_id = at, actor.id
    if complaint.review is not None and complaint.review.closed_at is None:
        custody.close_complaint_review(actor, complaint.review)
    outcome = (N_("Complaint %(ref)s on %(trade)s: upheld. %(ruling)s") if upheld
               else N_("Complaint %(ref)s on %(trade)s: dismissed. %(ruling)s"))
    message = {"title": texts.message(N_("Ruling on complaint %(ref)s"), ref=complaint.ref),
               "body": [texts.message(outcome, ref=complaint.ref, trade=trade.ref, ruling=texts.typed(ruling))]}
    with force_locale("zh_CN"):
        title, body = texts.render(message["title"]), texts.render(message["body"])
    notice = Notice(trade=trade, kind=NoticeKind.COMPLAINT, title=title[:250], body=body, published_at=at,
                    message=message)
    db.session.add(notice)
    db.session.flush()
    complaint.notice_id = notice.id
    _tell(complaint, {"subject": message["title"], "body": message["body"]})
    award_changed.send(trade, what="ruling", actor=actor)
    return complaint


def complaint_of(trade: Trade, complaint_id: int) -> Complaint | None:
    row = db.session.get(Complaint, complaint_id)
    return row if row is not None and row.trade_id == trade.id else None


def complaints(trade: Trade) -> list[Complaint]:
    return list(db.session.scalars(sa.select(Complaint).where(Complaint.trade_id == trade.id).order_by(Complaint.id)))


def complaints_by(user: User, trade: Trade) -> list[Complaint]:
    return list(db.session.scalars(sa.select(Complaint).where(Complaint.trade_id == trade.id,
                                                              Complaint.user_id == user.id).order_by(Complaint.id)))
