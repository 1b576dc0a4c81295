"""The award (定标): after the publicity, with no objection open, the winner is the first candidate not
passed over for a recorded reason where the rule set requires it (Reg 55); the award notice goes to
the winner and a result notice to every other bidder (Law 45), the result is published, and the
tenderer reports in writing to the supervising department (Law 47)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import sqlalchemy as sa
from flask_babel import force_locale, format_datetime, gettext as _

from bidding.award import rules
from bidding.award.candidates import current_list, open_objections
from bidding.award.models import (AwardDecision, AwardLetter, AwardReport, Candidate, Disqualification,
                                  DisqualifyReason, LetterKind)
from bidding.award.objections import PROCEDURE, text_field
from bidding.award.signals import award_changed
from bidding.ceremony.state import ceremony_of
from bidding.evaluation.services import committee
from trading import texts
from trading.accounts.models import User
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db
from trading.notices.models import Notice, NoticeKind, Notification
from trading.pdf import yuan
from trading.permissions import require
from trading.texts import N_
from trading.trades.flows import TradeState
from trading.trades.lifecycle import transition
from trading.trades.models import Trade, TradeTransition

REASON_LABELS = {
    DisqualifyReason.GAVE_UP: N_("gave up the award"),
    DisqualifyReason.FAILED_TO_PERFORM: N_("cannot perform the contract (force majeure)"),
    DisqualifyReason.BOND_NOT_PAID: N_("did not pay the performance bond the tender documents require"),
    DisqualifyReason.VIOLATION: N_("found in a violation that affects the result"),
}
texts.register_label("disqualify_reason", lambda code: _(REASON_LABELS[DisqualifyReason(code)]))


@dataclass(frozen=True)
class PassOver:
    """A candidate not to win, why (one of DisqualifyReason) and the note that records it."""

    candidate_id: int
    reason: str
    note: str


class AwardRefusal(NamedTuple):
    """Why a person may not award through this procedure: the 409's code and message; for the award page, a short
    line shown instead of the award form and the page where the award is decided instead (label, url)."""

    code: str
    message: str
    note: str | None = None
    link: tuple[str, str] | None = None


#: checks a layer above adds on an award a person makes through this procedure (not one the platform makes for a
#: layer above, actor None): check(trade, actor) returns None, or an AwardRefusal (or a (code, message) tuple)
#: refused as a 409 with that code; the award page asks them too, and shows the refusal's note instead of the form
#: (procurement.results: a government procurement's purchaser decides, O87 68, so the centre's staff may not)
AWARD_CHECKS: list = []


def award_check(check):
    """Register an award check (idempotent: the app factory may run more than once per process)."""
    if check not in AWARD_CHECKS:
        AWARD_CHECKS.append(check)
    return check


def award_refusal(trade: Trade, actor: User) -> AwardRefusal | None:
    """The first AWARD_CHECKS refusal of this person's award on this trade, or None: the award may go ahead as
    far as the layers above are concerned (the procedure's own checks still apply)."""
    for check in AWARD_CHECKS:
        refused = check(trade, actor)
        if refused:
            return AwardRefusal(*refused)
    return None


def decision_of(trade: Trade) -> AwardDecision | None:
    return db.session.scalar(sa.select(AwardDecision).where(AwardDecision.trade_id == trade.id))


def disqualifications(trade: Trade) -> list[Disqualification]:
    return list(db.session.scalars(sa.select(Disqualification).where(Disqualification.trade_id == trade.id)
                                   .order_by(Disqualification.id)))


def _checked_passes(lst, passes: list[PassOver]) -> dict[int, tuple[DisqualifyReason, str]]:
    ids = {c.id for c in lst.candidates}
    out: dict[int, tuple[DisqualifyReason, str]] = {}
    for i, p in enumerate(passes):
        field = f"disqualified.{i}"
        if p.candidate_id not in ids:
            raise InvalidInput({field: [_("not one of the published candidates")]})
        try:
            reason = DisqualifyReason(p.reason)
        except ValueError:
            raise InvalidInput({field: [_("the reason must be one of: %(list)s",
                                          list=", ".join(r.value for r in DisqualifyReason))]}) from None
        out[p.candidate_id] = (reason, text_field(p.note, f"{field}.note"))
    return out


def award(actor: User | None, trade: Trade, passes: list[PassOver] | None = None, winner_id: int | None = None,
          reason: str | None = None, decided_by: User | None = None) -> AwardDecision:
    """Fix the winner and make the award move, issue the letters and publish the result. `actor` None: the
    platform makes it, for a layer above that checked who decided (procurement.results: the purchaser's
    confirmation, named as `decided_by`, or rank one on its silence, O87 68)."""
    if actor is not None:
        require("award.decide", trade, user=actor)
        refused = award_refusal(trade, actor)
        if refused:
            raise IllegalMove(refused.message, code=refused.code)
    lst = current_list(trade)
    if lst is None:
        raise IllegalMove(_("No candidates have been published for this trade."), code="no_candidates")
    if trade.state is TradeState.SUSPENDED:
        code = "objection_open" if open_objections(trade) else "suspended"
        raise IllegalMove(_("The tender is suspended: no award until it resumes (an objection is answered, "
                            "a supervisor lifts the suspension)."), code=code)
    if trade.state is not TradeState.PUBLICITY:
        raise IllegalMove(_("Cannot award a trade that is %(state)s.", state=trade.state.label), code="wrong_stage")
    at = now()
    if at < lst.publicity_ends:
        raise IllegalMove(_("The candidates are in publicity until %(end)s (%(source)s): no award before.",
                            end=format_datetime(lst.publicity_ends, "yyyy-MM-dd HH:mm"),
                            source=rules.source(trade, "publicity_period")), code="publicity_running")
    passed = _checked_passes(lst, passes or [])
    left = [c for c in lst.candidates if c.id not in passed]
    if not left:
        raise IllegalMove(_("Every candidate is passed over: evaluate again or tender again (%(source)s).",
                            source=rules.source(trade, "rank_one_wins") or "Reg 55"), code="no_candidate_left")
    first = left[0]
    if winner_id is None:
        winner = first
    else:
        winner = next((c for c in lst.candidates if c.id == winner_id), None)
        if winner is None or winner.id in passed:
            raise InvalidInput({"winner_id": [_("choose a published candidate that is not passed over")]})
    reason = (reason or "").strip() or None
    if winner.id != first.id:
        if rules.rank_one_wins(trade):
            raise InvalidInput({"winner_id": [_(
                "the candidate ranked %(rank)d wins unless passed over for a recorded reason (%(source)s)",
                rank=first.rank, source=rules.source(trade, "rank_one_wins"))]})
        if not reason:
            raise InvalidInput({"reason": [_("say why a higher-ranked candidate does not win")]})
    who = actor if actor is not None else decided_by  # None: the platform, on the purchaser's silence
    if passed and who is None:
        raise IllegalMove(_("Only a person passes a candidate over, for a recorded reason."), code="no_decider")
    for candidate_id, (why, note) in passed.items():
        db.session.add(Disqualification(trade_id=trade.id, candidate_id=candidate_id, reason=why, note=note, at=at,
                                        by_id=who.id))
    decision = AwardDecision(trade_id=trade.id, list_id=lst.id, candidate_id=winner.id,
                             organisation_id=winner.organisation_id, price=winner.price, decided_at=at,
                             decided_by_id=who.id if who is not None else None, reason=reason)
    db.session.add(decision)
    db.session.flush()
    record = transition(trade, "award", actor, at=at, by=PROCEDURE)
    issue_letters(trade, decision, record.at)
    publish_result(trade, decision, record.at)
    award_changed.send(trade, what="letters", actor=actor)
    return decision


def bidder_organisations(trade: Trade) -> list[int]:
    """Every company whose bid the opening named, in the record's order."""
    ceremony = ceremony_of(trade)
    seen: list[int] = []
    for e in (ceremony.entries if ceremony is not None else []):
        if e.organisation_id not in seen:
            seen.append(e.organisation_id)
    return seen


def issue_letters(trade: Trade, decision: AwardDecision, at) -> list[AwardLetter]:
    """The award notice to the winner and a result notice to each other bidder, at the same moment
    (Law 45); each company's members are told in the app and download their own letter."""
    out = []
    from trading.accounts.models import Organisation

    for org_id in bidder_organisations(trade):
        kind = LetterKind.AWARD if org_id == decision.organisation_id else LetterKind.RESULT
        letter = AwardLetter(trade_id=trade.id, organisation_id=org_id, kind=kind, issued_at=at)
        db.session.add(letter)
        out.append(letter)
        message = {"subject": texts.message(N_("Award notice for %(ref)s") if kind is LetterKind.AWARD
                                            else N_("Result notice for %(ref)s"), ref=trade.ref),
                   "body": [texts.message(N_("Your letter on %(title)s is ready to download on the trade's page."),
                                          title=trade.title)]}
        with force_locale("zh_CN"):
            subject, body = texts.render(message["subject"]), texts.render(message["body"])
        org = db.session.get(Organisation, org_id)
        for member in (org.members if org is not None else []):
            db.session.add(Notification(user_id=member.id, trade_id=trade.id, kind="award_letter",
                                        subject=subject[:250], body=body, message=message))
    db.session.flush()
    return out


def result_message(trade: Trade, decision: AwardDecision) -> dict:
    """The public result: the winner and its price, and the committee, whose names are public from now
    (Law 37, Reg 46: secret until the result)."""
    lines = [texts.message(N_("Winning bidder: %(bidder)s"), bidder=texts.typed(decision.organisation.name)),
             texts.message(N_("Winning price: %(price)s"), price=yuan(decision.price)),
             texts.message(N_("Awarded on %(at)s."), at=texts.at(decision.decided_at))]
    members = [s.user.display_name for s in committee(trade) if s.left_at is None]
    if members:
        lines.append(texts.message(N_("Evaluation committee: %(names)s"), names=texts.typed("、".join(members))))
    for d in disqualifications(trade):
        lines.append(texts.message(N_("Candidate ranked %(rank)d passed over: %(reason)s."), rank=d.candidate.rank,
                                   reason=texts.label("disqualify_reason", d.reason.value)))
    return {"title": texts.message(N_("Award result: %(title)s"), title=trade.title), "body": lines}


def publish_result(trade: Trade, decision: AwardDecision, at) -> Notice:
    message = result_message(trade, decision)
    with force_locale("zh_CN"):
        title, body = texts.render(message["title"]), texts.render(message["body"])
    notice = Notice(trade=trade, kind=NoticeKind.RESULT, title=title[:250], body=body, published_at=at,
                    message=message)
    db.session.add(notice)
    db.session.flush()
    return notice


def report_of(trade: Trade) -> AwardReport | None:
    return db.session.scalar(sa.select(AwardReport).where(AwardReport.trade_id == trade.id))


def report_award(actor: User, trade: Trade, text: str | None) -> AwardReport:
    """The tenderer's written report of the award to the supervising department (Law 47), for any
    awarded trade (one awarded on paper too)."""
    require("award.report", trade, user=actor)
    awarded = db.session.scalar(sa.select(TradeTransition.id).where(TradeTransition.trade_id == trade.id,
                                                                   TradeTransition.move == "award").limit(1))
    if awarded is None:
        raise IllegalMove(_("The trade has not been awarded."), code="not_awarded")
    if report_of(trade) is not None:
        raise IllegalMove(_("The award has already been reported."), code="already_reported")
    report = AwardReport(trade_id=trade.id, text=text_field(text, "text"), reported_at=now(),
                         reported_by_id=actor.id)
    db.session.add(report)
    db.session.flush()
    award_changed.send(trade, what="report", actor=actor)
    return report


def letters(trade: Trade) -> list[AwardLetter]:
    return list(db.session.scalars(sa.select(AwardLetter).where(AwardLetter.trade_id == trade.id)
                                   .order_by(AwardLetter.id)))


def letter_of(trade: Trade, letter_id: int) -> AwardLetter | None:
    row = db.session.get(AwardLetter, letter_id)
    return row if row is not None and row.trade_id == trade.id else None


def candidate(candidate_id: int) -> Candidate | None:
    return db.session.get(Candidate, candidate_id)
