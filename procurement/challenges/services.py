"""Filing, answering and deciding questions, challenges and complaints, with their windows in working days,
and the suspension a challenge or complaint may bring (the `pause_for_challenge` / `resume_after_challenge`
moves, made by this procedure alone). Every answer and decision is published as it is recorded."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import force_locale, format_date, gettext as _, lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from bidding.award import rules
from procurement.challenges.models import MAX_TEXT, About, Filing, FilingKind, Outcome
from procurement.challenges.signals import filings_changed
from procurement.plans.services import is_procurement
from trading import texts
from trading.accounts.models import User
from trading.accounts.roles import Role
from trading.clock import local_tz, now
from trading.errors import IllegalMove, InvalidInput, NotAllowed
from trading.extensions import begin_write, db
from trading.permissions import can, require
from trading.texts import N_
from trading.trades.flows import Move, TradeState
from trading.trades.lifecycle import transition
from trading.trades.models import Trade, TradeTransition
from trading.trades.reserved import Procedure

PROCEDURE = "procurement.challenges"
CHALLENGES = Procedure(PROCEDURE, _l("the challenge procedure"),
                       _l("Use the trade's questions and challenges page."))

#: a challenge to the process names the step; the step ends with this move (GPR 53 (2))
STEPS = {"opening": "finish_opening", "evaluation": "publicize"}
STEP_LABELS = {"opening": _l("the opening"), "evaluation": _l("the evaluation")}
PREFIX = {FilingKind.QUESTION: "XW", FilingKind.CHALLENGE: "ZY", FilingKind.COMPLAINT: "TS"}
ANSWER_LIMIT = {FilingKind.QUESTION: "gp_question_answer", FilingKind.CHALLENGE: "gp_challenge_answer",
                FilingKind.COMPLAINT: "gp_complaint_decision"}
_TICK = timedelta(microseconds=1)


# ---- reading ------------------------------------------------------------------------------------

def filing_of(trade: Trade, filing_id: int) -> Filing | None:
    row = db.session.get(Filing, filing_id)
    return row if row is not None and row.trade_id == trade.id else None


def own(viewer, filing: Filing) -> bool:
    if not getattr(viewer, "is_authenticated", False):
        return False
    return filing.user_id == viewer.id or (viewer.organisation_id is not None
                                           and filing.organisation_id == viewer.organisation_id)


def filings_for(viewer, trade: Trade) -> list[Filing]:
    """What a person may read of a trade's filings: all (the purchaser, the centre's branches), else their
    company's own and every answered one (answers are published)."""
    rows = list(db.session.scalars(sa.select(Filing).where(Filing.trade_id == trade.id).order_by(Filing.id)))
    if can(viewer, "procurement.filings.view", trade):
        return rows
    return [f for f in rows if own(viewer, f) or (f.answered and trade.is_public)]


def published(limit: int = 200) -> list[Filing]:
    """Every answered question and challenge and every decided complaint of a public procurement trade."""
    rows = db.session.scalars(sa.select(Filing).join(Trade, Trade.id == Filing.trade_id)
                              .where(Filing.answered_at.is_not(None), Trade.method.like("gp_%"))
                              .order_by(Filing.answered_at.desc(), Filing.id.desc()).limit(limit))
    return [f for f in rows if f.trade.is_public]


def paused_for_challenge(trade: Trade) -> bool:
    """The trade's current suspension is one a challenge or complaint made (not a supervisor's own)."""
    if trade.state is not TradeState.SUSPENDED:
        return False
    last = db.session.scalar(sa.select(TradeTransition.move).where(
        TradeTransition.trade_id == trade.id, TradeTransition.to_state == TradeState.SUSPENDED)
        .order_by(TradeTransition.id.desc()).limit(1))
    return last == "pause_for_challenge"


def reserved_to_challenges(trade: Trade, move: Move) -> Procedure | None:
    """A suspension for a challenge or complaint ends with its answer or decision (or the finance
    department lifting it), never by the generic `resume`."""
    if move.name == "resume" and paused_for_challenge(trade):
        return CHALLENGES
    return None


# ---- windows ------------------------------------------------------------------------------------

def _text(value: str | None, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput({field: [_("may not be empty")]})
    if len(value) > MAX_TEXT:
        raise InvalidInput({field: [_("at most %(n)d characters", n=MAX_TEXT)]})
    return value


def last_day(boundary: datetime) -> str:
    """The last day of a period whose first instant past it is `boundary`, as people read it."""
    return format_date((boundary - _TICK).astimezone(local_tz()).date(), "yyyy-MM-dd")


def _span(trade: Trade, code: str) -> str:
    found = rules.span(trade, code)
    return found.describe() if found is not None else "—"


def _too_late(trade: Trade, code: str, what: str, ends: datetime, field: str = "about") -> IllegalMove:
    return IllegalMove(_("%(what)s is filed within %(span)s (%(source)s); the last day was %(day)s.", what=what,
                         span=_span(trade, code), source=rules.source(trade, code), day=last_day(ends)),
                       code="too_late", field=field)


def _bidder(trade: Trade, actor: User) -> bool:
    """The company takes part in the procurement: it paid the bid security, a sealed bid of its was received,
    or its bid was read at the opening (MOF Order 94 Art. 11: 参与所质疑项目采购活动的供应商)."""
    from bidding.ceremony.models import OpeningCeremony, OpeningEntry
    from bidding.deposits.models import BidDeposit
    from bidding.submission.models import Bid

    org = actor.organisation_id
    if org is None:
        return False
    for model in (Bid, BidDeposit):
        if db.session.scalar(sa.select(model.id).where(model.trade_id == trade.id, model.organisation_id == org)
                             .limit(1)) is not None:
            return True
    return db.session.scalar(sa.select(OpeningEntry.id).join(OpeningCeremony).where(
        OpeningCeremony.trade_id == trade.id, OpeningEntry.organisation_id == org).limit(1)) is not None


def _downloaded_at(trade: Trade, actor: User) -> datetime | None:
    from trading.notices.models import Download

    who = Download.user_id == actor.id
    if actor.organisation_id is not None:
        who = sa.or_(who, Download.organisation_id == actor.organisation_id)
    return db.session.scalar(sa.select(sa.func.min(Download.at)).where(Download.trade_id == trade.id, who))


def _no_standing(trade: Trade, message: str) -> NotAllowed:
    error = NotAllowed(message, code="no_standing")
    return error


def knew_at(trade: Trade, actor: User, about: About, step: str | None) -> datetime | None:
    """When the supplier knew its rights were harmed (GPR 53; MOF Order 94 Art. 10), or None while the
    step it challenges has not ended (the window has not begun). Refuses a supplier without standing."""
    source = rules.source(trade, "gp_challenge_window")
    if about is About.DOCUMENTS:
        got = _downloaded_at(trade, actor)
        if got is None:
            raise _no_standing(trade, _("Only a supplier that obtained the procurement documents may challenge them "
                                        "(%(source)s).", source=source))
        period_end = trade.docs_until or trade.issue_at
        return max(got, period_end) if period_end is not None else got
    if not _bidder(trade, actor):
        raise _no_standing(trade, _("Only a supplier that took part in the procurement (paid the bid security or "
                                    "bid) may challenge its process or result (%(source)s).", source=source))
    if about is About.PROCESS:
        if step not in STEPS:
            raise InvalidInput({"step": [_("choose one of: %(list)s", list=", ".join(STEPS))]})
        return db.session.scalar(sa.select(sa.func.max(TradeTransition.at)).where(
            TradeTransition.trade_id == trade.id, TradeTransition.move == STEPS[step]))
    from trading.notices.models import Notice, NoticeKind

    announced = db.session.scalar(sa.select(sa.func.min(Notice.published_at)).where(
        Notice.trade_id == trade.id, Notice.kind == NoticeKind.RESULT))
    if announced is None:
        raise IllegalMove(_("The result is not announced yet: a challenge to it is filed after its announcement."),
                          code="no_result", field="about")
    # the announcement lasts its period (GPR 43); its last day is the day the supplier knew
    return rules.period_end(trade, "gp_result_announcement", announced) - _TICK


# ---- filing -------------------------------------------------------------------------------------

def _next_ref(trade: Trade, kind: FilingKind) -> str:
    count = db.session.scalar(sa.select(sa.func.count(Filing.id)).where(Filing.trade_id == trade.id,
                                                                        Filing.kind == kind)) or 0
    return f"{trade.ref}-{PREFIX[kind]}{count + 1:02d}"[:48]


def file(actor: User, trade: Trade, data: dict) -> Filing:
    """A supplier files a question, a challenge or a complaint; a late one is refused naming its rule and
    its last day, and leaves nothing behind."""
    if not is_procurement(trade):
        raise InvalidInput({"trade": [_("only a government procurement trade takes questions and challenges")]})
    require("procurement.filing.file", trade, user=actor)
    try:
        kind = FilingKind(data.get("kind"))
    except ValueError:
        raise InvalidInput({"kind": [_("choose one of: %(list)s", list=", ".join(k.value for k in FilingKind))]}) \
            from None
    text = _text(data.get("text"), "text")
    at = now()
    about, step, knew, ends, challenge = None, None, None, None, None
    if kind is FilingKind.CHALLENGE:
        try:
            about = About(data.get("about"))
        except ValueError:
            raise InvalidInput({"about": [_("choose one of: %(list)s", list=", ".join(a.value for a in About))]}) \
                from None
        step = data.get("step") if about is About.PROCESS else None
        knew = knew_at(trade, actor, about, step)
        if knew is not None:
            ends = rules.period_end(trade, "gp_challenge_window", knew)
            if at >= ends:
                raise _too_late(trade, "gp_challenge_window", _("A challenge to %(about)s", about=about.label), ends)
    elif kind is FilingKind.COMPLAINT:
        challenge = _complaint_checks(actor, trade, data.get("challenge_id"))
        about, step = challenge.about, challenge.step
        knew = (challenge.answered_at if challenge.answered and challenge.answered_at < challenge.answer_due
                else challenge.answer_due - _TICK)
        ends = rules.period_end(trade, "gp_complaint_window", knew)
        if at >= ends:
            raise _too_late(trade, "gp_complaint_window", _("A complaint on challenge %(ref)s", ref=challenge.ref), ends,
                             "challenge_id")
    filing = Filing(trade_id=trade.id, ref=_next_ref(trade, kind), kind=kind, about=about, step=step,
                    challenge_id=challenge.id if challenge else None, user_id=actor.id,
                    organisation_id=actor.organisation_id, text=text, filed_at=at, knew_at=knew, window_ends=ends,
                    answer_due=rules.period_end(trade, ANSWER_LIMIT[kind], at))
    begin_write()
    savepoint = db.session.begin_nested()
    try:
        db.session.add(filing)
        db.session.flush()
    except IntegrityError:
        savepoint.rollback()  # the same number, or a second complaint on the challenge, at the same moment
        raise IllegalMove(_("Another filing was recorded at the same moment; please try again."),
                          code="conflict") from None
    savepoint.commit()
    _tell(_answerers(trade, filing), trade, {
        "subject": texts.message(AWAITS[kind], ref=filing.ref),
        "body": [texts.message(N_("On %(trade)s. Answer it on the trade's questions and challenges page before "
                                  "%(due)s; the answer is published."), trade=trade.ref,
                               due=texts.at(filing.answer_due))]})
    filings_changed.send(trade, what="filed", filing=filing, actor=actor)
    return filing


#: what those who answer are told of a new filing (never who filed it: the page names it to whom it may)
AWAITS = {FilingKind.QUESTION: N_("Question %(ref)s awaits your answer"),
          FilingKind.CHALLENGE: N_("Challenge %(ref)s awaits your written answer"),
          FilingKind.COMPLAINT: N_("Complaint %(ref)s awaits the finance department's decision")}


def _answerers(trade: Trade, filing: Filing) -> list[User]:
    """The finance department (the centre's administrative supervisors) for a complaint; else the purchaser."""
    if filing.kind is FilingKind.COMPLAINT:
        return [u for u in db.session.scalars(sa.select(User).order_by(User.id))
                if trade.centre_id in u.centres_for(Role.ADMIN_SUPERVISOR)]
    return [m for m in trade.tenderer.members if m.has_role(Role.TENDERER)]


def _tell(people, trade: Trade, message: dict) -> None:
    """In-app notifications, rendered in each reader's language when read."""
    from trading.notices.models import Notification

    with force_locale("zh_CN"):
        subject, body = texts.render(message["subject"]), texts.render(message["body"])
    for user in people:
        db.session.add(Notification(user_id=user.id, trade_id=trade.id, kind="procurement_filing",
                                    subject=subject[:250], body=body, message=message))


def _complaint_checks(actor: User, trade: Trade, challenge_id) -> Filing:
    """A complaint names the challenge it follows, made by the same supplier, answered or past its due."""
    challenge = filing_of(trade, challenge_id) if isinstance(challenge_id, int) else None
    if challenge is None or challenge.kind is not FilingKind.CHALLENGE:
        raise InvalidInput({"challenge_id": [_("choose a challenge on this trade: a complaint follows a challenge "
                                               "(%(source)s)", source=rules.source(trade, "gp_complaint_window"))]})
    if not own(actor, challenge):
        raise _no_standing(trade, _("Only the supplier that made challenge %(ref)s may complain about it "
                                    "(%(source)s).", ref=challenge.ref,
                                    source=rules.source(trade, "gp_complaint_window")))
    if db.session.scalar(sa.select(Filing.id).where(Filing.challenge_id == challenge.id)) is not None:
        raise IllegalMove(_("Challenge %(ref)s already has a complaint.", ref=challenge.ref), code="already_filed")
    if not challenge.answered and now() < challenge.answer_due:
        raise IllegalMove(_("A complaint follows the answer to challenge %(ref)s, or the end of its answer period on "
                            "%(day)s (%(source)s).", ref=challenge.ref, day=last_day(challenge.answer_due),
                            source=rules.source(trade, "gp_complaint_window")), code="not_yet", field="challenge_id")
    return challenge


# ---- answering ----------------------------------------------------------------------------------

def _answer_permission(filing: Filing) -> str:
    return "procurement.complaint.decide" if filing.kind is FilingKind.COMPLAINT else "procurement.filing.answer"


def answer(actor: User, filing: Filing, text: str | None, outcome: str | None = None) -> Filing:
    """The purchaser (or its agency) answers a question or a challenge, the finance department decides a
    complaint; the answer is published at once and lifts the suspension the filing made."""
    trade = filing.trade
    require(_answer_permission(filing), trade, user=actor)
    text = _text(text, "answer")
    verdict = None
    if filing.kind is not FilingKind.QUESTION:
        try:
            verdict = Outcome(outcome)
        except ValueError:
            raise InvalidInput({"outcome": [_("say whether it is upheld: one of %(list)s",
                                              list=", ".join(o.value for o in Outcome))]}) from None
    at = now()
    begin_write()
    claimed = db.session.execute(sa.update(Filing).where(Filing.id == filing.id, Filing.answered_at.is_(None))
                                 .values(answer=text, outcome=verdict, answered_at=at, answered_by_id=actor.id)
                                 .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        db.session.refresh(filing)
        raise IllegalMove(_("%(ref)s has already been answered.", ref=filing.ref), code="already_answered")
    db.session.refresh(filing)
    if filing.suspending:
        _lift(filing, at)
    filer = db.session.get(User, filing.user_id)
    _tell([filer] if filer is not None else [], trade, {
        "subject": texts.message(N_("%(ref)s has been answered"), ref=filing.ref),
        "body": [texts.message(N_("The answer is published on the questions and challenges page of %(trade)s."),
                               trade=trade.ref)]})
    filings_changed.send(trade, what="answered", filing=filing, actor=actor)
    return filing


# ---- suspension ---------------------------------------------------------------------------------

def _stored(message) -> str:
    with force_locale("zh_CN"):
        return texts.render(message)


def suspend(actor: User, filing: Filing) -> Filing:
    """A challenge that may affect the result (GPR 54: the purchaser's call), or a complaint whose handling
    the finance department orders it for (GPL 57), suspends the procurement until it is answered or lifted."""
    trade = filing.trade
    if filing.kind is FilingKind.QUESTION:
        raise IllegalMove(_("A question does not suspend the procurement."), code="not_suspending")
    require(_answer_permission(filing), trade, user=actor)
    if filing.answered:
        raise IllegalMove(_("%(ref)s has already been answered.", ref=filing.ref), code="already_answered")
    if filing.suspended_at is not None:
        raise IllegalMove(_("%(ref)s has already suspended the procurement.", ref=filing.ref),
                          code="already_suspended")
    at = now()
    if trade.state is TradeState.SUSPENDED:
        if not paused_for_challenge(trade):
            raise IllegalMove(_("The trade is already suspended for another reason."), code="already_suspended")
    else:
        why = (N_("challenge %(ref)s may affect the result: the procurement is suspended (%(source)s)")
               if filing.kind is FilingKind.CHALLENGE else
               N_("the finance department suspends the procurement while it handles complaint %(ref)s (%(source)s)"))
        message = texts.message(why, ref=filing.ref, source=texts.typed(rules.source(trade, "gp_suspension_max")))
        transition(trade, "pause_for_challenge", None, reason=_stored(message), reason_message=message, at=at,
                   by=PROCEDURE)
    filing.suspended_at = at
    db.session.flush()
    filings_changed.send(trade, what="suspended", filing=filing, actor=actor)
    return filing


def lift(actor: User, filing: Filing) -> Filing:
    """Lift a filing's suspension before its answer (the finance department's 30 days, GPL 57)."""
    require(_answer_permission(filing), filing.trade, user=actor)
    if not filing.suspending:
        raise IllegalMove(_("%(ref)s has no suspension to lift.", ref=filing.ref), code="not_suspended")
    _lift(filing, now())
    filings_changed.send(filing.trade, what="lifted", filing=filing, actor=actor)
    return filing


def _lift(filing: Filing, at: datetime) -> None:
    """The filing's suspension ends; once no filing holds the trade, it resumes where it was paused."""
    filing.suspension_lifted_at = at
    db.session.flush()
    trade = filing.trade
    held = db.session.scalar(sa.select(Filing.id).where(Filing.trade_id == trade.id, Filing.id != filing.id,
                                                        Filing.suspended_at.is_not(None),
                                                        Filing.suspension_lifted_at.is_(None)).limit(1))
    if held is None and paused_for_challenge(trade):
        message = texts.message(N_("%(ref)s was answered or its suspension lifted: the procurement resumes"),
                                ref=filing.ref)
        transition(trade, "resume_after_challenge", None, reason=_stored(message), reason_message=message, at=at,
                   by=PROCEDURE)


def install() -> None:
    """Called once by the app factory: the generic resume does not end a challenge's suspension."""
    from trading.trades.reserved import reserve

    reserve(reserved_to_challenges)
