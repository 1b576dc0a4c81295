"""The compliance and qualification review (符合性审查, 资格审查): the criteria a trade is reviewed on, each
sitting member's pass or fail per bid and criterion, the committee's conclusion per criterion, and the
closure that fixes them. A bid the committee failed on any criterion is rejected (否决, Reg 51) and
stays out of `passed_bids`, which scoring and the award read.

Criteria are data: the rule-set kind's default list (criteria.json, each citing its clause) plus what
the trade's tender documents add (ReviewCriterion rows). Conclusions are computed from the marks of
the members sitting now, by the criterion's decision rule (majority or unanimity): a criterion has no
conclusion until every sitting member marked it, and a tie (majority) or a split (unanimity) stays
open; the minority's marks are the dissent, kept with their reasons (Reg 53)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from flask_babel import get_locale, gettext as _

import bidding.evaluation.permissions  # noqa: F401  (registers the evaluation permissions)
from bidding.evaluation.models import Decision, ReviewClosure, ReviewCriterion, ReviewMark, ReviewStage
from bidding.evaluation.permissions import sitting_members
from trading.accounts.models import User
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db
from trading.permissions import require
from trading.trades.flows import TradeState
from trading.trades.models import Trade

DATA = Path(__file__).with_name("criteria.json")
MAX_TEXT = 4000
CODE_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")
#: the tender documents' own criteria are entered between the opening and the first mark
CRITERIA_STAGES = (TradeState.OPENED, TradeState.EVALUATING)


@lru_cache(maxsize=1)
def data() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


def _zh() -> bool:
    return str(get_locale() or "zh_CN").startswith("zh")


@dataclass(frozen=True)
class Criterion:
    code: str
    stage: ReviewStage
    title_zh: str
    title_en: str
    source_zh: str
    source_en: str
    decision: Decision
    certainty: str = ""
    from_documents: bool = False  # added from the trade's tender documents

    @property
    def title(self) -> str:
        return self.title_zh if _zh() else self.title_en

    @property
    def source(self) -> str:
        return self.source_zh if _zh() else self.source_en


def _kind(trade: Trade) -> str:
    return trade.rule_set.kind


def default_criteria(kind: str) -> list[Criterion]:
    """The rule-set kind's default list (empty for a kind with no review, e.g. auctions)."""
    spec = data()["kinds"].get(kind)
    if spec is None:
        return []
    rule = Decision(spec["decision"])
    return [Criterion(c["code"], ReviewStage(c["stage"]), c["zh"], c["en"], c["source_zh"], c["source_en"],
                      Decision(c.get("decision", rule)), c.get("certainty", "")) for c in spec["criteria"]]


def criteria(trade: Trade) -> list[Criterion]:
    """Qualification first, then compliance; the defaults, then the tender documents' own."""
    added = db.session.scalars(sa.select(ReviewCriterion).where(ReviewCriterion.trade_id == trade.id)
                               .order_by(ReviewCriterion.id))
    extra = [Criterion(c.code, c.stage, c.title, c.title, c.source, c.source, c.decision, "", True) for c in added]
    every = default_criteria(_kind(trade)) + extra
    return sorted(every, key=lambda c: 0 if c.stage is ReviewStage.QUALIFICATION else 1)


def _text(value, name: str) -> str:
    if value is not None and not isinstance(value, str):
        raise InvalidInput({name: [_("must be text")]})
    value = (value or "").strip()
    if not value:
        raise InvalidInput({name: [_("may not be empty")]})
    if len(value) > MAX_TEXT:
        raise InvalidInput({name: [_("at most %(n)d characters", n=MAX_TEXT)]})
    return value


def _sitting(trade: Trade) -> None:
    from bidding.evaluation.permissions import SITTING

    if trade.state not in SITTING:
        raise IllegalMove(_("The review takes place while the trade is under evaluation."), code="not_evaluating")


def closure_of(trade: Trade) -> ReviewClosure | None:
    return db.session.scalar(sa.select(ReviewClosure).where(ReviewClosure.trade_id == trade.id))


def _open_review(trade: Trade) -> None:
    _sitting(trade)
    if closure_of(trade) is not None:
        raise IllegalMove(_("The committee has closed the review: its marks can no longer change."),
                          code="review_closed")


def add_criterion(actor: User, trade: Trade, values: dict) -> ReviewCriterion:
    """A criterion the tender documents name (e.g. 安全生产许可证), added before anyone marks a bid."""
    require("evaluation.criteria.add", trade, user=actor)
    if trade.state not in CRITERIA_STAGES:
        raise IllegalMove(_("Criteria are added between the opening and the end of the evaluation."),
                          code="not_under_review")
    if db.session.scalar(sa.select(ReviewMark.id).where(ReviewMark.trade_id == trade.id).limit(1)) is not None:
        raise IllegalMove(_("The committee has begun marking: the criteria can no longer change."),
                          code="marking_begun")
    code = (values.get("code") or "").strip().upper()
    if not code or len(code) > 16 or not set(code) <= CODE_CHARS:
        raise InvalidInput({"code": [_("1 to 16 capital letters, digits or hyphens")]})
    if any(c.code == code for c in criteria(trade)):
        raise InvalidInput({"code": [_("this trade already has a criterion %(code)s", code=code)]})
    try:
        stage = ReviewStage(values.get("stage"))
    except ValueError:
        raise InvalidInput({"stage": [_("one of: qualification, compliance")]})
    try:
        decision = Decision(values.get("decision") or data()["kinds"].get(_kind(trade), {}).get("decision", "majority"))
    except ValueError:
        raise InvalidInput({"decision": [_("one of: majority, unanimity")]})
    row = ReviewCriterion(trade_id=trade.id, code=code, stage=stage, title=_text(values.get("title"), "title"),
                          source=_text(values.get("source"), "source"), decision=decision, added_by_id=actor.id,
                          added_at=now())
    db.session.add(row)
    db.session.flush()
    return row


def _entries(trade: Trade) -> list:
    """The bids the ceremony opened (revoked and withdrawn ones are not reviewed)."""
    from bidding.ceremony.models import EntryStatus  # noqa: PLC0415  (evaluation sits above ceremony)
    from bidding.ceremony.state import ceremony_of  # noqa: PLC0415

    ceremony = ceremony_of(trade)
    if ceremony is None:
        return []
    return [e for e in ceremony.entries if e.status is EntryStatus.OPENED]


def entries(trade: Trade) -> list:
    return _entries(trade)


def record_marks(actor: User, trade: Trade, entry_id, marks: list[dict]) -> list[ReviewMark]:
    """One member marks one bid on one or more criteria: [{criterion, passed, reason}], all or nothing.
    A fail needs its reason; a pass may carry one. A mark given again replaces the member's earlier one."""
    require("evaluation.review.mark", trade, user=actor)
    _open_review(trade)
    entry = next((e for e in _entries(trade) if e.id == entry_id), None)
    if entry is None:
        raise InvalidInput({"entry_id": [_("no opened bid of this trade has this number")]})
    known = {c.code for c in criteria(trade)}
    if not marks:
        raise InvalidInput({"marks": [_("mark at least one criterion")]})
    errors: dict[str, list[str]] = {}
    clean: dict[str, tuple[bool, str | None]] = {}
    for i, mark in enumerate(marks):
        code, passed = mark.get("criterion"), mark.get("passed")
        if code not in known:
            errors[f"marks.{i}.criterion"] = [_("no criterion of this trade has this code")]
            continue
        if code in clean:
            errors[f"marks.{i}.criterion"] = [_("marked twice in one request")]
            continue
        if not isinstance(passed, bool):
            errors[f"marks.{i}.passed"] = [_("say pass or fail")]
            continue
        reason = mark.get("reason")
        if reason is not None and not isinstance(reason, str):
            errors[f"marks.{i}.reason"] = [_("must be text")]
            continue
        reason = (reason or "").strip() or None
        if not passed and reason is None:
            errors[f"marks.{i}.reason"] = [_("a fail needs its reason, naming what the bid lacks (Reg 51)")]
            continue
        if reason is not None and len(reason) > MAX_TEXT:
            errors[f"marks.{i}.reason"] = [_("at most %(n)d characters", n=MAX_TEXT)]
            continue
        clean[code] = (passed, reason)
    if errors:
        raise InvalidInput(errors)
    existing = {m.criterion: m for m in db.session.scalars(sa.select(ReviewMark).where(
        ReviewMark.entry_id == entry.id, ReviewMark.member_id == actor.id))}
    out = []
    for code, (passed, reason) in clean.items():
        row = existing.get(code)
        if row is None:
            row = ReviewMark(trade_id=trade.id, entry_id=entry.id, criterion=code, member_id=actor.id)
            db.session.add(row)
        if row.passed is not passed or row.reason != reason or row.id is None:
            row.passed, row.reason, row.at = passed, reason, now()
        out.append(row)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:  # the same member's two requests at once: the other one won
        db.session.rollback()
        raise IllegalMove(_("Your mark was recorded by another request at the same moment: reload and check it."),
                          code="conflict")
    return out


# ---- conclusions -----------------------------------------------------------------------------------

@dataclass
class Conclusion:
    """The committee's conclusion on one bid and criterion: `result` is passed, failed, open (a tie or a
    split the members must resolve) or pending (not every sitting member has marked it)."""

    entry_id: int
    criterion: str
    result: str
    passes: int = 0
    fails: int = 0
    reasons: list[str] = field(default_factory=list)  # the prevailing side's reasons
    dissent: list[dict] = field(default_factory=list)  # [{member_id, passed, reason}] of the minority

    def as_dict(self) -> dict:
        return {"criterion": self.criterion, "result": self.result, "passes": self.passes, "fails": self.fails,
                "reasons": self.reasons, "dissent": self.dissent}


def _marks(trade: Trade) -> list[ReviewMark]:
    return list(db.session.scalars(sa.select(ReviewMark).where(ReviewMark.trade_id == trade.id)
                                   .order_by(ReviewMark.id)))


def conclusions(trade: Trade) -> dict[int, dict[str, Conclusion]]:
    """{entry_id: {criterion: Conclusion}} from the marks of the members sitting now; once the review
    is closed, as the closure recorded them."""
    closure = closure_of(trade)
    if closure is not None:
        return {int(e): {c["criterion"]: Conclusion(int(e), **c) for c in rows} for e, rows in closure.outcome.items()}
    members = set(sitting_members(trade))
    cells: dict[tuple[int, str], list[ReviewMark]] = {}
    for m in _marks(trade):
        if m.member_id in members:
            cells.setdefault((m.entry_id, m.criterion), []).append(m)
    out: dict[int, dict[str, Conclusion]] = {}
    listed = criteria(trade)
    for entry in _entries(trade):
        row = out.setdefault(entry.id, {})
        for c in listed:
            row[c.code] = _conclude(entry.id, c, cells.get((entry.id, c.code), []), len(members))
    return out


def _conclude(entry_id: int, criterion: Criterion, marks: list[ReviewMark], members: int) -> Conclusion:
    passes = [m for m in marks if m.passed]
    fails = [m for m in marks if not m.passed]
    out = Conclusion(entry_id, criterion.code, "pending", len(passes), len(fails))
    if not members or len(marks) < members:
        return out
    if criterion.decision is Decision.UNANIMITY:
        decided = "passed" if not fails else "failed" if not passes else None
    else:
        decided = "passed" if len(passes) > len(fails) else "failed" if len(fails) > len(passes) else None
    if decided is None:
        out.result = "open"
        return out
    winners, losers = (passes, fails) if decided == "passed" else (fails, passes)
    out.result = decided
    out.reasons = [m.reason for m in winners if m.reason]
    out.dissent = [{"member_id": m.member_id, "passed": m.passed, "reason": m.reason} for m in losers]
    return out


def failed_entries(trade: Trade) -> dict[int, list[Conclusion]]:
    """{entry_id: the criteria the committee failed it on}, for the bids it failed."""
    out: dict[int, list[Conclusion]] = {}
    for entry_id, row in conclusions(trade).items():
        failed = [c for c in row.values() if c.result == "failed"]
        if failed:
            out[entry_id] = failed
    return out


def close_review(actor: User, trade: Trade) -> ReviewClosure:
    """A sitting member closes the review once every cell has its conclusion: the conclusions are recorded
    (each failed bid with the criteria and reasons, the dissent) and the marks fixed."""
    require("evaluation.review.mark", trade, user=actor)
    _open_review(trade)
    if not _entries(trade):
        raise IllegalMove(_("There is no opened bid to review."), code="nothing_to_review")
    found = conclusions(trade)
    undecided = sum(1 for row in found.values() for c in row.values() if c.result in ("pending", "open"))
    if undecided:
        raise IllegalMove(_("%(n)d marks or conclusions are still missing: every sitting member marks every bid "
                            "on every criterion, and a tie or split is resolved, before the review closes.",
                            n=undecided), code="review_incomplete")
    closure = ReviewClosure(trade_id=trade.id, closed_by_id=actor.id, closed_at=now(),
                            outcome={str(e): [c.as_dict() for c in row.values()] for e, row in found.items()})
    db.session.add(closure)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:  # another member closed it at the same moment
        db.session.rollback()
        raise IllegalMove(_("The committee has closed the review: its marks can no longer change."),
                          code="review_closed")
    return closure


def passed_entries(trade: Trade) -> list:
    failed = failed_entries(trade)
    return [e for e in _entries(trade) if e.id not in failed]


def marks_for(viewer: User, trade: Trade) -> list[ReviewMark]:
    """The marks a viewer may read: a sitting member their own (each member reviews alone; the
    conclusions show the committee's), the executing staff and supervisors every mark."""
    from bidding.evaluation.permissions import watches

    require("evaluation.review.view", trade, user=viewer)
    rows = _marks(trade)
    return rows if watches(viewer, trade) else [m for m in rows if m.member_id == viewer.id]



def grid(viewer: User, trade: Trade) -> dict:
    """The review as a viewer reads it: the criteria, each opened bid with the committee's conclusions,
    the marks the viewer may read (marks_for), the number of sitting members, the closure time."""
    found = conclusions(trade)
    listed = criteria(trade)
    bids = []
    for entry in _entries(trade):
        row = found.get(entry.id, {})
        cells = [row[c.code] for c in listed if c.code in row]
        failed = any(c.result == "failed" for c in cells)
        status = "failed" if failed else "passed" if all(c.result == "passed" for c in cells) else "pending"
        bids.append({"entry_id": entry.id, "entry": entry, "bidder": entry.organisation.name, "price": entry.price,
                     "failed": failed, "status": status, "conclusions": cells})
    closure = closure_of(trade)
    return {"criteria": listed, "bids": bids, "marks": marks_for(viewer, trade),
            "members": len(sitting_members(trade)), "closed_at": closure.closed_at if closure else None}
