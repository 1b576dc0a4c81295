"""Supervision norms: what electronic supervision watches in each rule set, as data citing its source.

A norm is pure: given the facts of one trade (its milestones, its history of moves, records the
platform holds, the clock and the holiday calendar) it says what is wrong now. The engine in the
supervision plane (monitor/cards/esupervision.py) gathers the facts, evaluates every norm of the trade's
rule set, and turns findings into yellow and red cards. Nothing here touches the database.

Events are named by strings, so the data stays plain:
  "opening_at"           a milestone of the trade
  "move:award"           a move recorded in the trade's history
  "fact:tender_documents" a record the engine knows how to find (see monitor/esupervision.FACTS)
  "a|b"                  the first of the alternatives that happened
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from typing import Any, Protocol

from flask_babel import gettext as _, lazy_gettext as _l, ngettext

from trading.clock import local_tz
from trading.rules.days import WorkCalendar, local_date
from trading.rules.model import Source, Unit, milestone_label


class Level(str, enum.Enum):
    """Yellow: a warning (coming due, a missing record, an implausibly fast step); red: a violation."""

    YELLOW = "yellow"
    RED = "red"

    @property
    def rank(self) -> int:
        return 1 if self is Level.YELLOW else 2

    @property
    def label(self) -> str:
        return _("Yellow card") if self is Level.YELLOW else _("Red card")


#: how a person reads an event name (the milestones read as the rules already name them)
EVENT_LABELS = {
    "move:publish": _l("publication of the notice"),
    "move:close": _l("the bid deadline"),
    "move:start_opening": _l("the start of the opening"),
    "move:finish_opening": _l("the end of the opening"),
    "move:start_evaluation": _l("the start of evaluation"),
    "move:publicize": _l("publication of the candidates"),
    "move:award": _l("the award"),
    "move:contract": _l("the contract"),
    "move:conclude": _l("the deal"),
    "move:no_deal": _l("the end of the trade without a deal"),
    "move:archive": _l("the closing of the trade (archive)"),
    "fact:tender_documents": _l("the tender documents"),
    "fact:opening_record_signed": _l("a supervisor's signature on the opening record"),
    "fact:evaluation_report": _l("the evaluation report"),
    "fact:result_notice": _l("the result notice"),
    "fact:reserve_sealed": _l("the sealed reserve price"),
    "fact:reserve_opened": _l("the opening of the sealed reserve price"),
    "fact:reserve_record_signed": _l("a supervisor's signature on the record of the reserve's opening"),
    "fact:objection": _l("the objection to the candidates"),
    "fact:objection_answer": _l("the tenderer's answer"),
    "fact:complaint": _l("the complaint"),
    "fact:complaint_decision": _l("the decision whether to accept the complaint"),
    "fact:complaint_accepted": _l("the acceptance of the complaint"),
    "fact:complaint_ruling": _l("the ruling on the complaint"),
    "fact:award_report": _l("the written report to the supervising department"),
    "fact:contract_signed": _l("the signing of the contract"),
    "fact:contract_notice": _l("the publication of the contract"),
    "fact:delivery": _l("the delivery under the contract"),
    "fact:acceptance": _l("the acceptance of the delivery"),
    "withdrawal": _l("the bid's withdrawal"),
    # procurement questions, challenges and complaints (procurement/challenges)
    "fact:gp_question": _l("the supplier's question"),
    "fact:gp_question_answer": _l("the answer to the question"),
    "fact:gp_challenge": _l("the supplier's challenge"),
    "fact:gp_challenge_answer": _l("the written answer to the challenge"),
    "fact:gp_complaint": _l("the complaint to the finance department"),
    "fact:gp_complaint_decision": _l("the finance department's decision on the complaint"),
    "fact:gp_suspension": _l("the suspension the finance department ordered"),
    "fact:gp_suspension_lifted": _l("the end of that suspension"),
    # objections to a single source's notice (procurement/direct)
    "fact:gp_single_source_notice_end": _l("the end of the single-source notice period"),
    "fact:gp_single_source_objection_answer": _l("the purchaser's answer to the objection to the single source"),
}

CONDITION_LABELS = {
    "due": _l("Coming due"),
    "overdue": _l("Overdue"),
    "late": _l("Done late"),
    "missing": _l("Missing record"),
    "too_fast": _l("Implausibly fast"),
    "out_of_order": _l("Out of order"),
}


def event_label(name: str) -> str:
    first = name.split("|", 1)[0]
    if first in EVENT_LABELS:
        return str(EVENT_LABELS[first])
    if first.startswith("move:"):
        return first[5:]
    return milestone_label(first)


def condition_label(condition: str) -> str:
    return str(CONDITION_LABELS.get(condition, condition))


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(timezone.utc).isoformat() if moment is not None else None


@dataclass(frozen=True)
class Span:
    """A length of time: legal days (counted as 民法典 201, 203 say) or an exact duration.

    `end()` is the first instant past the period (local midnight after its last day), so a clock
    reaching it means the period has run out. Sandbox trades run every legal period `accelerator` times
    faster. A `practice` span is not a legal period but the time people need to act (the grace before
    an opening is late, the day to sign its record): a sandbox trade's people are no faster, so it is
    not accelerated (else every sandbox opening would be late after a second).
    """

    amount: int = 0
    unit: Unit = Unit.DAYS
    exact: timedelta | None = None
    practice: bool = False

    def scale(self, accelerator: int) -> int:
        """The factor this span is divided by on a trade with this accelerator."""
        return 1 if self.practice else max(int(accelerator or 1), 1)

    def end(self, start: datetime, calendar: WorkCalendar, accelerator: int = 1) -> datetime:
        accelerator = self.scale(accelerator)
        if self.exact is not None:
            return start + self.exact / accelerator
        last = calendar.period_end(local_date(start), self.amount, self.unit is Unit.WORKING_DAYS)
        boundary = datetime.combine(last + timedelta(days=1), time.min, tzinfo=local_tz())
        if accelerator > 1:
            return start + (boundary - start) / accelerator
        return boundary.astimezone(timezone.utc)

    def describe(self) -> str:
        if self.exact is None:
            return self.unit.count(self.amount)
        minutes = int(self.exact.total_seconds() // 60)
        if minutes and minutes % 60 == 0:
            return ngettext("%(num)d hour", "%(num)d hours", minutes // 60)
        return ngettext("%(num)d minute", "%(num)d minutes", minutes)


class Facts(Protocol):
    """What a norm may ask about one trade (the engine answers from the database)."""

    trade: Any
    now: datetime
    calendar: WorkCalendar
    history: list  # rows with id, move, from_state, to_state, at (oldest first)
    deposits: list  # rows with id, organisation_id, paid_at, settled_at

    def event(self, name: str) -> datetime | None: ...

    def first_after(self, name: str, start: datetime) -> datetime | None: ...

    def withdrawn_at(self, organisation_id: int) -> datetime | None: ...

    def items(self, name: str) -> list: ...  # rows with subject, start, end (see EachWithin)


@dataclass(frozen=True)
class Finding:
    """What one norm says about one subject of a trade now.

    status: "violated" (a card at `level`), "clear" (nothing is wrong: a yellow card may close by
    itself), or "hold" (the norm does not watch now, e.g. the trade is suspended: leave cards alone).
    `subject` tells apart several cards of one norm ("" the trade itself, "deposit:7", "move:42").
    """

    norm: str
    subject: str
    status: str
    level: Level | None = None
    condition: str = ""
    params: dict = field(default_factory=dict)
    due_at: datetime | None = None


def _accel(trade) -> int:
    return trade.accelerator if getattr(trade, "sandbox", False) else 1


def _clear(code: str, subject: str = "") -> Finding:
    return Finding(code, subject, "clear")


def _hold(code: str, subject: str = "") -> Finding:
    return Finding(code, subject, "hold")


def _watching(trade, watch: tuple, code: str):
    """True while a period runs; "hold" while the trade is suspended (the clock of the process stops,
    Reg 22); "clear" once the trade left the stages the norm watches (cancelled, failed...)."""
    from trading.trades.flows import TradeState

    if trade.state is TradeState.SUSPENDED:
        return _hold(code)
    if watch and trade.state not in watch:
        return _clear(code)
    return True


@dataclass(frozen=True)
class TimeLimit:
    """`end` must happen within `within` of `start` (e.g. the contract within 30 days of the award).

    Yellow from `warn` before the period runs out, red once it has (overdue), red too when the end
    came after it (late). While the trade is suspended an open period is not judged; once the trade
    left the `watch` stages (cancelled, failed...) it no longer applies.
    """

    code: str
    start: str
    end: str
    within: Span
    source: Source
    warn: timedelta = timedelta(days=1)
    watch: tuple = ()

    def endpoints(self) -> tuple[str | None, str | None, tuple[str, ...]]:
        """(start event, end event, the start events of a norm counted from any of several)."""
        return self.start, self.end, ()

    def describe(self) -> str:
        return _("%(end)s within %(span)s of %(start)s", end=event_label(self.end), span=self.within.describe(),
                 start=event_label(self.start))

    def evaluate(self, facts: Facts) -> list[Finding]:
        trade = facts.trade
        start = facts.event(self.start)
        if start is None:
            return [_clear(self.code)]
        accel = self.within.scale(_accel(trade))
        due = self.within.end(start, facts.calendar, accel)
        params = {"start": iso(start), "due": iso(due)}
        end = facts.first_after(self.end, start)
        if end is not None:
            if end >= due:
                return [Finding(self.code, "", "violated", Level.RED, "late", {**params, "end": iso(end)}, due)]
            return [_clear(self.code)]
        watching = _watching(trade, self.watch, self.code)
        if watching is not True:
            return [watching]
        if facts.now >= due:
            return [Finding(self.code, "", "violated", Level.RED, "overdue", params, due)]
        if self.warn and facts.now >= due - self.warn / accel:
            return [Finding(self.code, "", "violated", Level.YELLOW, "due", params, due)]
        return [_clear(self.code)]


@dataclass(frozen=True)
class RequiredRecord:
    """Once `after` happened, `record` must exist within `within` (a tender document, a signature)."""

    code: str
    after: str
    record: str
    within: Span
    source: Source
    level: Level = Level.YELLOW
    watch: tuple = ()

    def endpoints(self) -> tuple[str | None, str | None, tuple[str, ...]]:
        """(start event, end event, the start events of a norm counted from any of several)."""
        return self.after, self.record, ()

    def describe(self) -> str:
        if self.within.exact is not None and not self.within.exact:
            return _("%(record)s available by %(after)s", record=event_label(self.record),
                     after=event_label(self.after))
        return _("%(record)s within %(span)s of %(after)s", record=event_label(self.record),
                 span=self.within.describe(), after=event_label(self.after))

    def evaluate(self, facts: Facts) -> list[Finding]:
        after = facts.event(self.after)
        if after is None or facts.event(self.record) is not None:
            return [_clear(self.code)]
        watching = _watching(facts.trade, self.watch, self.code)
        if watching is not True:
            return [watching]
        due = self.within.end(after, facts.calendar, _accel(facts.trade))
        if facts.now >= due:
            return [Finding(self.code, "", "violated", self.level, "missing",
                            {"start": iso(after), "due": iso(due)}, due)]
        return [_clear(self.code)]


@dataclass(frozen=True)
class MinInterval:
    """`end` may not come before `at_least` has run from `start`: a legal minimum (publicity of the
    candidates) or a plausible one (an evaluation finished minutes after it began suggests records
    written after the fact)."""

    code: str
    start: str
    end: str
    at_least: Span
    source: Source
    level: Level = Level.YELLOW

    def endpoints(self) -> tuple[str | None, str | None, tuple[str, ...]]:
        """(start event, end event, the start events of a norm counted from any of several)."""
        return self.start, self.end, ()

    def describe(self) -> str:
        return _("%(end)s at least %(span)s after %(start)s", end=event_label(self.end),
                 span=self.at_least.describe(), start=event_label(self.start))

    def evaluate(self, facts: Facts) -> list[Finding]:
        start = facts.event(self.start)
        end = facts.first_after(self.end, start) if start is not None else None
        if end is None:
            return [_clear(self.code)]
        earliest = self.at_least.end(start, facts.calendar, _accel(facts.trade))
        if end < earliest:
            return [Finding(self.code, "", "violated", self.level, "too_fast",
                            {"start": iso(start), "end": iso(end), "earliest": iso(earliest),
                             "took_minutes": int((end - start).total_seconds() // 60)}, earliest)]
        return [_clear(self.code)]


@dataclass(frozen=True)
class FlowOrder:
    """The recorded history follows the flow: each move from the stage the last one reached, one
    the flow allows from there, time never running backwards or ahead of the clock, and no move
    before the milestone that opens it. A break means a step skipped or a record written afterwards."""

    code: str
    source: Source
    level: Level = Level.RED

    def endpoints(self) -> tuple[str | None, str | None, tuple[str, ...]]:
        """(start event, end event, the start events of a norm counted from any of several)."""
        return None, None, ()

    def describe(self) -> str:
        return _("the steps follow the flow, in order and in time")

    def evaluate(self, facts: Facts) -> list[Finding]:
        from trading.trades.flows import TradeState

        trade = facts.trade
        flow = trade.flow
        out: list[Finding] = []
        prev = None
        suspended_from = []

        def bad(row, problem: str, **extra) -> None:
            out.append(Finding(self.code, f"move:{row.id}", "violated", self.level, "out_of_order",
                               {"move": row.move, "at": iso(row.at), "problem": problem, **extra}))

        for row in facts.history:
            if prev is None:
                if row.move != "create":
                    bad(row, "no_creation")
                prev = row
                continue
            move = flow.move(row.move)
            if row.from_state != prev.to_state:
                bad(row, "chain", expected=prev.to_state.value, found=row.from_state.value)
            elif row.at < prev.at:
                bad(row, "backwards", previous=iso(prev.at))
            elif row.at > facts.now:
                bad(row, "future")
            elif move is None or row.from_state not in move.sources:
                bad(row, "not_allowed", state=row.from_state.value)
            else:
                expected = move.to if move.to is not None else (suspended_from[-1] if suspended_from else None)
                if expected is not None and row.to_state != expected:
                    bad(row, "wrong_stage", expected=expected.value, found=row.to_state.value)
                for guard in move.guards:
                    if guard.startswith("after:"):
                        when = trade.milestone(guard[6:])
                        if when is not None and row.at < when:
                            bad(row, "before_milestone", milestone=guard[6:], milestone_at=iso(when))
            # a procedure's own pause (an objection to the candidates) pauses like "suspend"
            pausing = row.move == "suspend" or (move is not None and move.to is TradeState.SUSPENDED)
            resuming = row.move == "resume" or (move is not None and move.to is None)
            if pausing:
                suspended_from.append(row.from_state)
            elif resuming and suspended_from:
                suspended_from.pop()
            prev = row
        if prev is not None and trade.state != prev.to_state:
            out.append(Finding(self.code, "state", "violated", self.level, "out_of_order",
                               {"problem": "state", "expected": prev.to_state.value, "found": trade.state.value}))
        return out


@dataclass(frozen=True)
class DepositRefund:
    """Every bid-security deposit is refunded (or, by a recorded decision, retained) within `within`
    of the first of `starts` that happened: its bidder's withdrawal, the contract, the deal."""

    code: str
    starts: tuple[str, ...]
    within: Span
    source: Source
    warn: timedelta = timedelta(days=1)

    def endpoints(self) -> tuple[str | None, str | None, tuple[str, ...]]:
        """(start event, end event, the start events of a norm counted from any of several)."""
        return None, None, self.starts

    def describe(self) -> str:
        return _("deposits refunded within %(span)s of %(start)s", span=self.within.describe(),
                 start=_(" or ").join(event_label(s) for s in self.starts))

    def evaluate(self, facts: Facts) -> list[Finding]:
        out = []
        accel = self.within.scale(_accel(facts.trade))
        for deposit in facts.deposits:
            subject = f"deposit:{deposit.id}"
            times = [facts.withdrawn_at(deposit.organisation_id) if s == "withdrawal" else facts.event(s)
                     for s in self.starts]
            times = [t for t in times if t is not None]
            if not times:
                out.append(_clear(self.code, subject))
                continue
            start = max(min(times), deposit.paid_at)
            due = self.within.end(start, facts.calendar, accel)
            params = {"start": iso(start), "due": iso(due), "deposit": deposit.id}
            if deposit.settled_at is not None:
                late = deposit.settled_at >= due
                out.append(Finding(self.code, subject, "violated", Level.RED, "late",
                                   {**params, "end": iso(deposit.settled_at)}, due) if late
                           else _clear(self.code, subject))
            elif facts.now >= due:
                out.append(Finding(self.code, subject, "violated", Level.RED, "overdue", params, due))
            elif self.warn and facts.now >= due - self.warn / accel:
                out.append(Finding(self.code, subject, "violated", Level.YELLOW, "due", params, due))
            else:
                out.append(_clear(self.code, subject))
        return out


@dataclass(frozen=True)
class Item:
    """One record an `EachWithin` norm judges on its own: what it is (`subject`, unique within the trade), when
    its clock started and when it was closed (None while open). The packages' supervision modules list them."""

    subject: str
    start: datetime
    end: datetime | None


@dataclass(frozen=True)
class EachWithin:
    """Each record of a kind is closed within `within` of its start: each objection answered, each
    complaint accepted or refused, each accepted complaint ruled. `items` names what the engine lists
    (monitor/cards/esupervision.ITEMS): rows with `subject`, `start`, `end` (None while open); `start`
    and `end` name the events for people. The records carry their own clock, so a suspended trade does
    not stop it (an objection suspends the trade while it waits for its answer)."""

    code: str
    items: str
    start: str
    end: str
    within: Span
    source: Source
    warn: timedelta = timedelta(days=1)

    def endpoints(self) -> tuple[str | None, str | None, tuple[str, ...]]:
        """(start event, end event, the start events of a norm counted from any of several)."""
        return self.start, self.end, ()

    def describe(self) -> str:
        return _("%(end)s within %(span)s of %(start)s", end=event_label(self.end), span=self.within.describe(),
                 start=event_label(self.start))

    def evaluate(self, facts: Facts) -> list[Finding]:
        out = []
        accel = self.within.scale(_accel(facts.trade))
        for item in facts.items(self.items):
            due = self.within.end(item.start, facts.calendar, accel)
            params = {"start": iso(item.start), "due": iso(due)}
            if item.end is not None:
                out.append(Finding(self.code, item.subject, "violated", Level.RED, "late",
                                   {**params, "end": iso(item.end)}, due) if item.end >= due
                           else _clear(self.code, item.subject))
            elif facts.now >= due:
                out.append(Finding(self.code, item.subject, "violated", Level.RED, "overdue", params, due))
            elif self.warn and facts.now >= due - self.warn / accel:
                out.append(Finding(self.code, item.subject, "violated", Level.YELLOW, "due", params, due))
            else:
                out.append(_clear(self.code, item.subject))
        return out


Norm = TimeLimit | RequiredRecord | MinInterval | FlowOrder | DepositRefund | EachWithin
