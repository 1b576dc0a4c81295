"""Yellow and red cards: their one lifecycle function, who sees them, pausing a trade, registration.

A card goes issued -> assigned -> answered -> closed. `transition()` is the only code that changes a
card's state or level; its table CARD_MOVES names every step, the stages it starts from, and the
permission it needs (None: only the platform takes it). Each step is a CardEvent row, an audit entry
(`card.<step>`, besides the rows the log captures by itself) and notifications in the app and by
e-mail (through the outbox, in the same transaction).

Which conditions close by themselves: a yellow card (a period coming due, a missing record) closes
when its condition clears (the step was done in time, the record appeared): the platform takes the
step `resolve`. A red card never closes by itself: a violation happened and a supervisor closes it
after the responsible person answered, whatever the trade did since.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext as _, lazy_gettext as _l

from monitor.cards.models import Card, CardEvent, CardState
from monitor.cards.texts import card_message
from trading.accounts import policy
from trading.accounts.models import RoleGrant, User
from trading.accounts.roles import Branch, Role
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput, NotAllowed
from trading.extensions import db
from trading.notices.models import Notification
from trading.permissions import require
from trading.rules.norms import Finding, Level
from trading.trades.models import Trade, TradeParticipant

MAX_TEXT = 4000


@dataclass(frozen=True)
class CardMove:
    """One step of a card. `sources` may hold None: the step that creates the card."""

    name: str
    sources: tuple[CardState | None, ...]
    to: CardState | None  # None: the state stays (a level change)
    permission: str | None  # None: the platform's own step
    label: Any
    needs_text: bool = False
    needs_assignee: bool = False
    yellow_only: bool = False
    done: Any = None  # how the history reads once taken (None: the label)


S = CardState
OPEN = (S.ISSUED, S.ASSIGNED, S.ANSWERED)
CARD_MOVES: dict[str, CardMove] = {m.name: m for m in (
    CardMove("issue", (None,), S.ISSUED, None, _l("Issued")),
    CardMove("escalate", OPEN, None, None, _l("Escalated to red")),
    CardMove("assign", (S.ISSUED, S.ASSIGNED), S.ASSIGNED, "card.assign", _l("Assign"), needs_assignee=True,
             done=_l("Assigned")),
    CardMove("answer", (S.ASSIGNED,), S.ANSWERED, "card.answer", _l("Answer"), needs_text=True, done=_l("Answered")),
    CardMove("return", (S.ANSWERED,), S.ASSIGNED, "card.close", _l("Send back"), needs_text=True,
             done=_l("Sent back")),
    CardMove("close", (S.ANSWERED,), S.CLOSED, "card.close", _l("Close"), needs_text=True, done=_l("Closed")),
    CardMove("resolve", OPEN, S.CLOSED, None, _l("Resolved: the condition cleared"), yellow_only=True),
)}
#: steps people take, in the order a card page offers them
HUMAN_MOVES = ("assign", "answer", "return", "close")


def move_label(name: str) -> str:
    """How a step reads in a card's history."""
    move = CARD_MOVES.get(name)
    return str(move.done or move.label) if move else name


# ---- who sees which cards -------------------------------------------------------------------------

def _authed(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def watching_centres(user) -> set[int]:
    """Centres whose cards a person follows: supervisors (administrative and social) and deciders."""
    if not _authed(user):
        return set()
    return {g.centre_id for g in user.grants
            if g.centre_id is not None and g.role.branch in (Branch.SUPERVISE, Branch.DECIDE)}


def visible_clause(user):
    """Cards of the centres a person watches, and the cards assigned to them."""
    if not _authed(user):
        return sa.false()
    ors = [Card.assignee_id == user.id]
    centres = watching_centres(user)
    if centres:
        ors.append(Card.centre_id.in_(centres))
    return sa.or_(*ors)


def open_cards_for(user) -> list[Card]:
    """Open cards (not closed) the user may see, newest first: the dashboard lists them."""
    return list(db.session.scalars(sa.select(Card).where(visible_clause(user), Card.state != CardState.CLOSED)
                                   .order_by(Card.issued_at.desc(), Card.id.desc())))


def cards_for_trade(trade) -> list[Card]:
    """Every card of a trade, oldest first: the supervision record lists them."""
    return list(db.session.scalars(sa.select(Card).where(Card.trade_id == trade.id)
                                   .order_by(Card.issued_at, Card.id)))


def _supervisors_at(centre_id: int) -> list[User]:
    return list(db.session.scalars(sa.select(User).join(RoleGrant, RoleGrant.user_id == User.id).where(
        RoleGrant.role == Role.ADMIN_SUPERVISOR, RoleGrant.centre_id == centre_id, User.active.is_(True))
        .order_by(User.id)))


def _executors_of(trade: Trade) -> list[User]:
    return list(db.session.scalars(sa.select(User).join(TradeParticipant, TradeParticipant.user_id == User.id)
                                   .where(TradeParticipant.trade_id == trade.id, TradeParticipant.duty == "executor",
                                          User.active.is_(True)).order_by(User.id)))


def _assigner(card: Card) -> User | None:
    for event in reversed(card.events):
        if event.move in ("assign", "return") and event.actor is not None:
            return event.actor
    return None


def recipients(card: Card, step: str) -> list[User]:
    """Who hears of a step: the responsible people of the trade, the assignee, the assigning supervisor."""
    if step in ("issue", "escalate"):
        people = _supervisors_at(card.centre_id) + _executors_of(card.trade)
    elif step in ("assign", "return"):
        people = [card.assignee] if card.assignee else []
    elif step == "answer":
        people = [_assigner(card)] if _assigner(card) else _supervisors_at(card.centre_id)
    elif step == "resolve" and card.assignee is None:
        people = _supervisors_at(card.centre_id) + _executors_of(card.trade)
    else:  # close, resolve
        people = [p for p in (card.assignee, _assigner(card)) if p is not None]
    seen, out = set(), []
    for person in people:
        if person is not None and person.id not in seen:
            seen.add(person.id)
            out.append(person)
    return out


def notify(card: Card, step: str, actor, text: str | None) -> int:
    """In-app notifications and queued e-mails, each in the recipient's language. Returns how many."""
    from trading.mail import services as outbox

    count = 0
    default = current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")
    for person in recipients(card, step):
        if actor is not None and person.id == actor.id:
            continue
        locale = person.locale or default
        with force_locale(locale):
            subject, body = card_message(card, step, actor, text, person)
        db.session.add(Notification(user_id=person.id, trade_id=card.trade_id, kind=f"card.{step}"[:32],
                                    subject=subject, body=body, created_at=now(),
                                    message={"renderer": "card", "card": card.id, "step": step, "text": text,
                                             "actor": actor.id if actor is not None else None,
                                             "level": card.level.value}))
        if person.email:
            outbox.queue(person.email, subject, body, locale=locale, user_id=person.id)
        count += 1
    return count


def render_notification(notification, stored: dict) -> tuple[str, str]:
    """A card's notification as its reader reads it now: in their language (trading.notices RENDERERS)."""
    card = db.session.get(Card, stored["card"])
    if card is None or card.trade is None:
        raise LookupError(stored["card"])
    actor = db.session.get(User, stored["actor"]) if stored.get("actor") else None
    reader = db.session.get(User, notification.user_id) if notification.user_id else None
    return card_message(card, stored["step"], actor, stored.get("text"), reader, Level(stored["level"]))


# ---- the one lifecycle function ---------------------------------------------------------------------

def _check_assignee(card: Card, assignee) -> User:
    if assignee is None:
        raise InvalidInput({"assignee_id": [_("choose the executing person responsible")]})
    if not isinstance(assignee, User):
        assignee = db.session.get(User, assignee)
    if assignee is None or not assignee.active or card.centre_id not in assignee.centres_for(Role.CENTRE_STAFF):
        raise InvalidInput({"assignee_id": [_("the responsible person must be executing staff of this centre")]})
    policy.check_participation(assignee, card.trade, "executor")
    return assignee


def transition(card: Card, name: str, actor=None, *, text: str | None = None, assignee=None,
               finding: Finding | None = None, at: datetime | None = None) -> CardEvent:
    """Take step `name`: table, permission, inputs, new state, history row, audit entry, notices."""
    from monitor.audit import log as audit

    at = at or now()
    move = CARD_MOVES.get(name)
    if move is None:
        raise IllegalMove(_("There is no step '%(move)s' for cards.", move=name), code="unknown_move")
    if card.state not in move.sources:
        raise IllegalMove(_("Cannot %(move)s a card that is %(state)s.", move=str(move.label).lower(),
                            state=card.state.label if card.state else "—"), code="illegal_card_move")
    if move.permission is None:
        if actor is not None:
            raise NotAllowed(_("Only the platform takes this step."))
    else:
        if actor is None:
            raise NotAllowed(_("This step needs a person."))
        require(move.permission, card, user=actor)
    if move.yellow_only and card.level is not Level.YELLOW:
        raise IllegalMove(_("A red card is closed by a supervisor, never by itself."), code="red_card")
    text = (text or "").strip() or None
    if move.needs_text and not text:
        raise InvalidInput({"text": [_("write what was done or decided (required for this step)")]})
    if text and len(text) > MAX_TEXT:
        raise InvalidInput({"text": [_("at most %(n)d characters", n=MAX_TEXT)]})
    if move.needs_assignee:
        card.assignee = _check_assignee(card, assignee)
    if name == "escalate":
        if finding is None or finding.level is None or finding.level.rank <= card.level.rank:
            raise IllegalMove(_("A card is escalated only to a higher level."), code="not_higher")
    if finding is not None:
        card.level, card.condition = finding.level, finding.condition
        card.params, card.due_at = dict(finding.params), finding.due_at
    old = card.state
    if move.to is not None:
        card.state = move.to
    if card.state is CardState.CLOSED:
        card.closed_at, card.open_key = at, None
    if name == "issue":
        db.session.add(card)
    db.session.flush()
    seq = audit.record(
        f"card.{name}", obj={"type": "card", "id": card.id}, trade=card.trade, actor=actor, audience="centre",
        before={"state": old.value if old else None},
        after={"state": card.state.value, "level": card.level.value, "norm": card.norm, "subject": card.subject,
               "condition": card.condition, "assignee": card.assignee_id, "text": text,
               # the platform's own steps run inside whatever request triggered them: say whose step it is
               "by": "platform" if move.permission is None else "person"})
    event = CardEvent(card=card, move=name, from_state=old, to_state=card.state, level=card.level,
                      actor_id=getattr(actor, "id", None), assignee_id=card.assignee_id, text=text, at=at,
                      audit_seq=seq)
    db.session.add(event)
    db.session.flush()
    notify(card, name, actor, text)
    return event


def issue_card(trade: Trade, finding: Finding, source: str, at: datetime | None = None) -> Card:
    """A new card for a finding; the caller makes sure no card is open for its (trade, norm, subject)."""
    card = Card(trade=trade, centre_id=trade.centre_id, norm=finding.norm, subject=finding.subject,
                condition=finding.condition, level=finding.level, state=None, params=dict(finding.params),
                source=source[:250], due_at=finding.due_at, issued_at=at or now(),
                open_key=open_key(trade.id, finding.norm, finding.subject))
    transition(card, "issue", None, finding=finding, at=at)
    return card


def open_key(trade_id: int, norm: str, subject: str) -> str:
    return f"{trade_id}:{norm}:{subject}"[:160]


def human_moves(card: Card, user) -> list[CardMove]:
    """The steps this person could take on this card now (the forms a page shows)."""
    from trading.permissions import can

    return [CARD_MOVES[n] for n in HUMAN_MOVES
            if card.state in CARD_MOVES[n].sources and can(user, CARD_MOVES[n].permission, card)]


def assignable_staff(card: Card) -> list[User]:
    return list(db.session.scalars(sa.select(User).join(RoleGrant, RoleGrant.user_id == User.id).where(
        RoleGrant.role == Role.CENTRE_STAFF, RoleGrant.centre_id == card.centre_id, User.active.is_(True))
        .order_by(User.display_name)))


def responsible_executor(card: Card) -> User | None:
    """The executor who last moved the trade: the natural assignee."""
    from trading.trades.models import TradeTransition

    row = db.session.scalar(sa.select(TradeTransition).join(User, User.id == TradeTransition.actor_id).where(
        TradeTransition.trade_id == card.trade_id, TradeTransition.actor_role == Role.CENTRE_STAFF.value)
        .order_by(TradeTransition.id.desc()).limit(1))
    return row.actor if row is not None else None


# ---- pausing a trade ---------------------------------------------------------------------------------

def pause_trade(actor, trade: Trade, reason: str | None):
    """A supervisor suspends a trade, giving a reason (the lifecycle's own `suspend` move)."""
    from trading.trades import services

    require("cards.pause", trade, user=actor)
    if not (reason or "").strip():
        raise InvalidInput({"reason": [_("a reason is required to pause a trade")]})
    return services.move(trade, "suspend", actor, reason=reason)


def resume_trade(actor, trade: Trade, reason: str | None):
    """A supervisor lets a suspended trade go on, giving a reason (the lifecycle's `resume` move)."""
    from trading.trades import services

    require("cards.pause", trade, user=actor)
    if not (reason or "").strip():
        raise InvalidInput({"reason": [_("a reason is required to resume a trade")]})
    return services.move(trade, "resume", actor, reason=reason)
