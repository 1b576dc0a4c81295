"""The e-supervision engine: evaluates each trade's norms (its rule set) and keeps its cards in step.

It runs on every event (a move, an upload, an edited timeline, a clarification, a calendar change, a
withdrawn bid, a deposit recorded or refunded, a signed opening record, a reserve opened or its record signed) inside the transaction that caused it, and on the periodic tick
(`monitor.ticks.on_tick`: the in-process scheduler and `flask --app wsgi monitor tick`) for periods
that simply run out. The norms are data beside the lifecycle's own rules (trading/rules/norms.py,
sets.py, procurement/rulesets.py); this module only gathers the facts they ask about and reconciles
findings with cards:

  violated, no open card          -> issue a card (unless a closed card of that level or higher
                                     already answered the same matter)
  violated, open card lower level -> escalate it (yellow -> red)
  clear, open yellow card         -> the platform resolves it (the step was done in time)
  hold (trade suspended)          -> leave everything as it is

Evaluating twice changes nothing: one open card per (trade, norm, subject), enforced in the
database too. A failure of the engine never stops the move that triggered it.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from monitor.cards.models import Card, CardState
from monitor.cards.services import issue_card, open_key, transition
from trading.clock import now
from trading.extensions import db
from trading.rules.days import WorkCalendar, load_calendar
from trading.rules.norms import Finding, Level
from trading.trades.flows import TradeState
from trading.trades.models import MILESTONES, Trade, TradeTransition

#: records the norms may name as "fact:<name>": name -> fn(trade) -> times they happened.
#: Other parts add theirs (e.g. the evaluation report's sign-off: FACTS["evaluation_report"]).
FACTS: dict[str, Callable[[Trade], list[datetime]]] = {}


def fact(name: str):
    def register(fn):
        FACTS[name] = fn
        return fn

    return register


@fact("tender_documents")
def _documents(trade: Trade) -> list[datetime]:
    from trading.notices.models import Document

    return list(db.session.scalars(sa.select(Document.uploaded_at).where(Document.trade_id == trade.id,
                                                                         Document.withdrawn.is_(False))))


@fact("opening_record_signed")
def _record_signed(trade: Trade) -> list[datetime]:
    """Signatures that count: a drawn, non-recused supervisor's or a supervising keyholder's."""
    from bidding.ceremony.models import OpeningCeremony, RecordSignature
    from bidding.ceremony.state import eligible_signer

    rows = db.session.execute(sa.select(RecordSignature.signed_at, RecordSignature.user_id).join(OpeningCeremony)
                              .where(OpeningCeremony.trade_id == trade.id))
    return [at for at, user_id in rows if eligible_signer(trade, user_id)]


@fact("evaluation_report")
def _evaluation_report(trade: Trade) -> list[datetime]:
    """The evaluation report, once every member of the committee has signed it (bidding/scoring)."""
    from bidding.scoring.models import EvaluationReport

    return list(db.session.scalars(sa.select(EvaluationReport.completed_at).where(
        EvaluationReport.trade_id == trade.id, EvaluationReport.completed_at.is_not(None))))


@fact("result_notice")
def _result_notice(trade: Trade) -> list[datetime]:
    from trading.notices.models import Notice, NoticeKind

    return list(db.session.scalars(sa.select(Notice.published_at).where(Notice.trade_id == trade.id,
                                                                        Notice.kind == NoticeKind.RESULT)))


@fact("reserve_sealed")
def _reserve_sealed(trade: Trade) -> list[datetime]:
    """When the decision branch sealed (or replaced) a sale's reserve price (bidding/auctions/reserve)."""
    from bidding.auctions.reserve.models import SealedReserve

    return list(db.session.scalars(sa.select(SealedReserve.received_at).where(SealedReserve.trade_id == trade.id)))


@fact("reserve_opened")
def _reserve_opened(trade: Trade) -> list[datetime]:
    """When a supervisor opened a sale's sealed reserve after the last bid (bidding/auctions/reserve)."""
    from bidding.auctions.reserve.models import ReserveOpening

    return list(db.session.scalars(sa.select(ReserveOpening.opened_at).where(ReserveOpening.trade_id == trade.id)))


@fact("reserve_record_signed")
def _reserve_record_signed(trade: Trade) -> list[datetime]:
    """Signatures on the reserve's opening record that count: a drawn, serving supervisor's or the supervising
    keyholder's (as for a tender's opening record)."""
    from bidding.auctions.reserve.models import ReserveSignature
    from bidding.ceremony.state import eligible_signer

    rows = db.session.execute(sa.select(ReserveSignature.signed_at, ReserveSignature.user_id).where(
        ReserveSignature.trade_id == trade.id))
    return [at for at, user_id in rows if eligible_signer(trade, user_id)]


@fact("award_report")
def _award_report(trade: Trade) -> list[datetime]:
    """The tenderer's written report of the award to the supervising department (Law 47)."""
    from bidding.award.supervision import award_reports

    return award_reports(trade)


@fact("contract_signed")
def _contract_signed(trade: Trade) -> list[datetime]:
    """When the recorded contract was signed (bidding.award.contracts)."""
    from bidding.award.models import Contract

    return list(db.session.scalars(sa.select(Contract.signed_on).where(Contract.trade_id == trade.id)))


@fact("contract_notice")
def _contract_notice(trade: Trade) -> list[datetime]:
    from trading.notices.models import Notice, NoticeKind

    return list(db.session.scalars(sa.select(Notice.published_at).where(Notice.trade_id == trade.id,
                                                                        Notice.kind == NoticeKind.CONTRACT)))


@fact("delivery")
def _delivery(trade: Trade) -> list[datetime]:
    """The delivery the purchaser recorded under a procurement contract (procurement.results)."""
    from procurement.results.models import Acceptance

    return list(db.session.scalars(sa.select(Acceptance.delivered_at).where(Acceptance.trade_id == trade.id)))


@fact("acceptance")
def _acceptance(trade: Trade) -> list[datetime]:
    """The purchaser's acceptance (履约验收) of that delivery (procurement.results)."""
    from procurement.results.models import Acceptance

    return list(db.session.scalars(sa.select(Acceptance.accepted_at).where(Acceptance.trade_id == trade.id,
                                                                           Acceptance.accepted_at.is_not(None))))


#: records the EachWithin norms list, each closed in its own time: name -> fn(trade) -> rows with
#: subject, start, end (bidding.award.supervision: objections, complaint decisions and rulings)
ITEMS: dict[str, Callable[[Trade], list]] = {}


def _award_items(name: str) -> Callable[[Trade], list]:
    def rows(trade: Trade) -> list:
        from bidding.award.supervision import items

        return items(trade, name)

    return rows


for _name in ("objections", "complaint_decisions", "complaint_rulings"):
    ITEMS[_name] = _award_items(_name)


# ---- procurement questions, challenges and complaints (procurement/challenges) ----------------------

def _filing_fact(name: str) -> Callable[[Trade], list[datetime]]:
    def when(trade: Trade) -> list[datetime]:
        from procurement.challenges.supervision import times

        return times(trade, name)

    return when


def _filing_items(name: str) -> Callable[[Trade], list]:
    def rows(trade: Trade) -> list:
        from procurement.challenges.supervision import items

        return items(trade, name)

    return rows


for _name in ("gp_question", "gp_question_answer", "gp_challenge", "gp_challenge_answer", "gp_complaint",
              "gp_complaint_decision", "gp_suspension", "gp_suspension_lifted"):
    fact(_name)(_filing_fact(_name))
for _name in ("gp_questions", "gp_challenges", "gp_complaints", "gp_suspensions"):
    ITEMS[_name] = _filing_items(_name)


# ---- objections to a single source (procurement/direct) --------------------------------------------

def _single_source_fact(name: str) -> Callable[[Trade], list[datetime]]:
    def when(trade: Trade) -> list[datetime]:
        from procurement.direct.supervision import times

        return times(trade, name)

    return when


def _single_source_items(trade: Trade) -> list:
    from procurement.direct.supervision import items

    return items(trade, "gp_single_source_objections")


for _name in ("gp_single_source_notice_end", "gp_single_source_objection_answer"):
    fact(_name)(_single_source_fact(_name))
ITEMS["gp_single_source_objections"] = _single_source_items


class TradeFacts:
    """The answers a norm may ask for about one trade (trading.rules.norms.Facts), read once."""

    def __init__(self, trade: Trade, at: datetime, calendar: WorkCalendar) -> None:
        self.trade, self.now, self.calendar = trade, at, calendar
        self.history = list(db.session.scalars(sa.select(TradeTransition).where(
            TradeTransition.trade_id == trade.id).order_by(TradeTransition.id)))
        self._facts: dict[str, list[datetime]] = {}
        self._deposits = None
        self._withdrawn: dict[int, datetime | None] | None = None

    def occurrences(self, name: str) -> list[datetime]:
        if name in MILESTONES:
            value = self.trade.milestone(name)
            return [value] if value is not None else []
        if name.startswith("move:"):
            return [row.at for row in self.history if row.move == name[5:]]
        if name.startswith("fact:"):
            key = name[5:]
            if key not in self._facts:
                source = FACTS.get(key)
                self._facts[key] = list(source(self.trade)) if source else []
            return self._facts[key]
        return []

    def event(self, name: str) -> datetime | None:
        """When the event last happened; the first alternative ("a|b") that happened."""
        for alternative in name.split("|"):
            times = self.occurrences(alternative)
            if times:
                return max(times)
        return None

    def first_after(self, name: str, start: datetime) -> datetime | None:
        for alternative in name.split("|"):
            times = [t for t in self.occurrences(alternative) if t >= start]
            if times:
                return min(times)
        return None

    @property
    def deposits(self) -> list:
        if self._deposits is None:
            from bidding.deposits.models import BidDeposit

            self._deposits = list(db.session.scalars(sa.select(BidDeposit).where(BidDeposit.trade_id == self.trade.id)
                                                     .order_by(BidDeposit.id)))
        return self._deposits

    def items(self, name: str) -> list:
        source = ITEMS.get(name)
        return list(source(self.trade)) if source else []

    def withdrawn_at(self, organisation_id: int) -> datetime | None:
        """When the company withdrew, if its latest bid is a withdrawn one (a later bid revokes it)."""
        if self._withdrawn is None:
            from bidding.submission.models import Bid, BidState

            latest: dict[int, Bid] = {}
            for bid in db.session.scalars(sa.select(Bid).where(Bid.trade_id == self.trade.id).order_by(Bid.version)):
                latest[bid.organisation_id] = bid
            self._withdrawn = {org: (bid.withdrawn_at if bid.state is BidState.WITHDRAWN else None)
                               for org, bid in latest.items()}
        return self._withdrawn.get(organisation_id)


def evaluate(trade: Trade, at: datetime | None = None, calendar: WorkCalendar | None = None) -> list[Finding]:
    """Every norm of the trade's rule set, judged now."""
    facts = TradeFacts(trade, at or now(), calendar or load_calendar())
    out: list[Finding] = []
    for norm in trade.rule_set.norms:
        out.extend(norm.evaluate(facts))
    return out


def reconcile(trade: Trade, findings: list[Finding], at: datetime | None = None) -> list[Card]:
    """Issue, escalate or resolve cards so that they match the findings; returns the cards touched."""
    at = at or now()
    cards = list(db.session.scalars(sa.select(Card).where(Card.trade_id == trade.id)))
    open_cards = {(c.norm, c.subject): c for c in cards if c.state is not CardState.CLOSED}
    handled: dict[tuple[str, str], int] = {}
    for c in cards:
        if c.state is CardState.CLOSED:
            key = (c.norm, c.subject)
            handled[key] = max(handled.get(key, 0), c.level.rank)
    touched = []
    for finding in findings:
        key = (finding.norm, finding.subject)
        card = open_cards.get(key)
        if finding.status == "violated":
            if card is not None:
                if finding.level.rank > card.level.rank:
                    transition(card, "escalate", None, finding=finding, at=at)
                    touched.append(card)
            elif finding.level.rank > handled.get(key, 0):
                card = _issue_once(trade, finding, at)
                if card is not None:
                    open_cards[key] = card
                    touched.append(card)
        elif finding.status == "clear" and card is not None and card.level is Level.YELLOW:
            transition(card, "resolve", None, at=at)
            open_cards.pop(key)
            touched.append(card)
    return touched


def _issue_once(trade: Trade, finding: Finding, at: datetime) -> Card | None:
    """Issue in a savepoint: if another worker issued the same card a moment ago, keep theirs."""
    norm = trade.rule_set.norm(finding.norm)
    source = str(norm.source) if norm is not None else ""
    savepoint = db.session.begin_nested()
    try:
        card = issue_card(trade, finding, _source_text(norm) if norm is not None else source, at)
    except sa.exc.IntegrityError:
        savepoint.rollback()
        if db.session.scalar(sa.select(Card.id).where(Card.open_key == open_key(trade.id, finding.norm,
                                                                                   finding.subject))) is None:
            raise
        return None
    savepoint.commit()
    return card


def _source_text(norm) -> str:
    """The citation as stored on the card: Chinese and English, whatever the reader's language."""
    src = norm.source
    return f"{src.zh} / {src.en}"[:250]


def check_trade(trade: Trade, at: datetime | None = None) -> list[Card]:
    """Evaluate and reconcile one trade in the current transaction."""
    if trade.state in (TradeState.DRAFT, TradeState.SUBMITTED, TradeState.APPROVED):
        return []  # nothing to supervise before the notice is out
    at = at or now()
    return reconcile(trade, evaluate(trade, at), at)


def check_safely(trade: Trade) -> None:
    """For listeners: the engine's own failure is logged, never allowed to undo the caller's work."""
    if trade is None or getattr(trade, "id", None) is None:
        return
    savepoint = db.session.begin_nested()
    try:
        check_trade(trade)
    except Exception:
        savepoint.rollback()
        current_app.logger.exception("e-supervision failed for trade %s", getattr(trade, "ref", trade))
        return
    savepoint.commit()


def tick(at: datetime | None = None) -> dict:
    """The periodic pass: every trade since its notice, each in its own savepoint; then commit."""
    at = at or now()
    calendar = load_calendar()
    ids = db.session.scalars(sa.select(Trade.id).where(Trade.state.not_in(
        (TradeState.DRAFT, TradeState.SUBMITTED, TradeState.APPROVED))).order_by(Trade.id)).all()
    touched = failed = 0
    for trade_id in ids:
        trade = db.session.get(Trade, trade_id)
        savepoint = db.session.begin_nested()
        try:
            touched += len(reconcile(trade, evaluate(trade, at, calendar), at))
        except Exception:
            savepoint.rollback()
            failed += 1
            current_app.logger.exception("e-supervision tick failed for trade %s", trade.ref)
            continue
        savepoint.commit()
    db.session.commit()
    return {"trades": len(ids), "cards": touched, "failed": failed}


# ---- listeners -------------------------------------------------------------------------------------

def on_trade_event(trade, **_kw) -> None:
    check_safely(trade)


def on_calendar_changed(_sender, affected=(), **_kw) -> None:
    for trade in affected or ():
        check_safely(trade)


def connect() -> None:
    """Listen to every event that can change what a norm finds (once per process)."""
    from bidding.auctions.reserve.services import reserve_opened, reserve_record_signed
    from bidding.award.signals import award_changed
    from bidding.ceremony import services as ceremony
    from bidding.deposits.services import deposit_changed
    from bidding.scoring import report as scoring_report
    from bidding.submission.services import bid_withdrawn
    from procurement.results.signals import results_changed
    from procurement.challenges.signals import filings_changed
    from trading.signals import (calendar_changed, clarification_published, document_uploaded, trade_edited,
                                 trade_moved)

    signals = [trade_moved, document_uploaded, trade_edited, clarification_published, bid_withdrawn,
               deposit_changed, ceremony.record_signed,  # record_signed: a supervisor signed the opening record
               scoring_report.report_signed,  # a member signed the evaluation report (the last one completes it)
               award_changed,  # an objection, complaint, letter, report or contract recorded (bidding.award)
               reserve_opened, reserve_record_signed,  # a land sale's reserve opened, its record signed
               results_changed,  # a procurement's decision, delivery or acceptance recorded (procurement.results)
               filings_changed]  # a procurement question, challenge or complaint filed, answered, suspending
    for signal in signals:
        signal.connect(on_trade_event)
    calendar_changed.connect(on_calendar_changed)
