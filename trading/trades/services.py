"""Operations that change trades: create, edit, move, and the platform's own timed moves."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from trading.accounts.models import Organisation, OrgKind
from trading.accounts.roles import Role
from trading.centres.models import Centre
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db
from trading.numbering import services as numbering
from trading.permissions import require
from trading.rules.model import registry
from trading.signals import trade_created, trade_edited
from trading.trades import lifecycle
from trading.trades.flows import SYSTEM, TradeState
from trading.trades.models import MILESTONES, Trade, TradeTransition

EDITABLE = ("title", "description", "estimated_price", "bid_security", *MILESTONES)


def _next_ref(centre: Centre, at: datetime) -> str:
    """GC-2026-0001, ...: the centre's own sequence for the (local) year, from its counter."""
    year = numbering.year_of(at)
    return numbering.formatted(f"{centre.ref_prefix}-{year}-",
                               numbering.next_number(numbering.trade_ref_scope(centre.ref_prefix), year))


def _check_rules(trade: Trade) -> None:
    """Legal time limits are checked as soon as the milestones they relate are known."""
    calendar = lifecycle.load_calendar()
    problems = [v for v in trade.rule_set.check(trade, calendar) if v.code != "required"]
    if problems:
        errors: dict[str, list[str]] = {}
        for v in problems:
            errors.setdefault(v.field, []).append(v.message)
        raise InvalidInput(errors)


class _DraftFacts:
    """What a form gave so far, as the rules read a trade: the valid fields of a refused submission."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.sandbox = bool(data.get("sandbox"))
        self.accelerator = data.get("accelerator") if isinstance(data.get("accelerator"), int) else 1
        self.estimated_price, self.bid_security = data.get("estimated_price"), data.get("bid_security")

    def milestone(self, name: str):
        return self.data.get(name)


def rule_errors(data: dict[str, Any]) -> dict[str, list[str]]:
    """The legal-time errors of the fields that are well-formed, so a form that also has format errors
    shows every problem at once (a person fixes them all in one go, not one round after another)."""
    method = data.get("method")
    if method not in registry:
        return {}
    facts = _DraftFacts(data)
    if registry.get(method).flow == "tender" and facts.milestone("opening_at") is None:
        facts.data = {**data, "opening_at": data.get("bid_deadline")}  # as create_trade sets it
    errors: dict[str, list[str]] = {}
    for v in registry.get(method).check(facts, lifecycle.load_calendar()):
        if v.code != "required" and v.field in MILESTONES:  # the time rules; amounts wait for their format
            errors.setdefault(v.field, []).append(v.message)
    return errors


def create_trade(actor, data: dict[str, Any]) -> Trade:
    """Create a draft. `data` is already shape-validated (schemas); here the domain rules apply."""
    centre = db.session.get(Centre, data["centre_id"])
    if centre is None:
        raise InvalidInput({"centre_id": [_("no such centre")]})
    require("trade.create", centre, user=actor)
    method = data["method"]
    if method not in registry or method not in centre.methods:
        raise InvalidInput({"method": [_("this centre does not offer the method %(m)s", m=method)]})
    if actor.has_role(Role.TENDERER) and not actor.centres_for(Role.CENTRE_STAFF):
        tenderer_id = actor.organisation_id
    else:
        tenderer_id = data.get("tenderer_id") or actor.organisation_id
    tenderer = db.session.get(Organisation, tenderer_id) if tenderer_id else None
    if tenderer is None or tenderer.kind is not OrgKind.TENDERER:
        raise InvalidInput({"tenderer_id": [_("choose a tenderer, purchaser or transferor organisation")]})
    sandbox = bool(data.get("sandbox"))
    accelerator = int(data.get("accelerator") or 1)
    if sandbox and not current_app.config.get("SANDBOX_ENABLED"):
        raise InvalidInput({"sandbox": [_("sandbox trades are disabled on this platform")]})
    if not sandbox and accelerator != 1:
        raise InvalidInput({"accelerator": [_("only sandbox trades may be accelerated")]})
    limit = current_app.config.get("SANDBOX_MAX_ACCELERATOR", 10_000)
    if not 1 <= accelerator <= limit:
        raise InvalidInput({"accelerator": [_("must be between 1 and %(n)d", n=limit)]})
    at = now()
    trade = Trade(
        ref=_next_ref(centre, at), centre=centre, method=method, title=data["title"],
        description=data.get("description") or "", tenderer=tenderer, created_by_id=actor.id,
        estimated_price=data["estimated_price"], bid_security=data.get("bid_security"),
        sandbox=sandbox, accelerator=accelerator, state=TradeState.DRAFT, created_at=at, updated_at=at,
        paper_bids=bool(data.get("paper_bids")) and registry.get(method).takes_sealed_bids,
    )
    for m in MILESTONES:
        setattr(trade, m, data.get(m))
    if trade.rule_set.flow == "tender" and trade.opening_at is None and trade.bid_deadline is not None:
        trade.opening_at = trade.bid_deadline  # opening is at the deadline (Law 34) unless set
    _check_rules(trade)
    db.session.add(trade)
    db.session.flush()
    db.session.add(TradeTransition(trade=trade, move="create", from_state=TradeState.DRAFT,
                                   to_state=TradeState.DRAFT, actor_id=actor.id, at=at))
    db.session.flush()
    trade_created.send(trade, actor=actor)
    return trade


def update_trade(actor, trade: Trade, data: dict[str, Any]) -> Trade:
    """Edit a draft; every change is checked against the rules and reported as a signal."""
    require("trade.edit", trade, user=actor)
    changes = {}
    for key in EDITABLE:
        if key in data and getattr(trade, key) != data[key]:
            changes[key] = (getattr(trade, key), data[key])
            setattr(trade, key, data[key])
    if "bid_deadline" in changes and "opening_at" not in data and trade.rule_set.flow == "tender":
        old = trade.opening_at
        trade.opening_at = trade.bid_deadline
        changes["opening_at"] = (old, trade.opening_at)
    _check_rules(trade)
    if changes:
        trade.updated_at = now()
        db.session.flush()
        trade_edited.send(trade, changes=changes, actor=actor)
    return trade


after_move = lifecycle.after_move


def move(trade: Trade, name: str, actor=None, reason: str | None = None, *, by: str | None = None,
         reason_message: dict | None = None) -> TradeTransition:
    """The service every caller uses to move a trade: the transition plus its consequences. `by`:
    the procedure making a move reserved to it (trading.trades.reserved), e.g. the opening ceremony."""
    if actor is not None:
        require("trade.move", trade, user=actor)
    record = lifecycle.transition(trade, name, actor, reason=reason, by=by, reason_message=reason_message)
    advance_trade(trade)
    return record


AUTO_MOVES = ("open_bidding", "start_listing", "close")


def advance_trade(trade: Trade, at: datetime | None = None) -> list[str]:
    """Make the platform's own moves that are due for one trade (several may be due at once)."""
    at = at or now()
    done = []
    progressed = True
    while progressed:
        progressed = False
        for candidate in trade.flow.moves_from(trade.state):
            if candidate.name not in AUTO_MOVES or SYSTEM not in candidate.roles:
                continue
            try:
                lifecycle.transition(trade, candidate.name, None, at=at)
            except IllegalMove as exc:
                if exc.code != "too_early":
                    raise
                continue
            done.append(candidate.name)
            progressed = True
            break
    return done


def advance_due(at: datetime | None = None) -> dict[str, list[str]]:
    """One tick of the platform: apply every timed move that is due. Returns {ref: [moves]}."""
    at = at or now()
    live = (TradeState.ANNOUNCED, TradeState.BIDDING)
    trades = db.session.scalars(sa.select(Trade).where(Trade.state.in_(live)).order_by(Trade.id)).all()
    out = {}
    for trade in trades:
        savepoint = db.session.begin_nested()  # one trade's failure must not hold up the others
        try:
            done = advance_trade(trade, at)
        except Exception:
            savepoint.rollback()
            current_app.logger.exception("timed move failed for %s", trade.ref)
            continue
        savepoint.commit()
        if done:
            out[trade.ref] = done
    db.session.commit()
    return out


def visible_trades_query(user, *, centre_id=None, method=None, state=None, q=None, public_only=True):
    """Trades the public portal lists, filtered; drafts never appear here."""
    stmt = sa.select(Trade).where(Trade.published_at.is_not(None))
    if centre_id:
        stmt = stmt.where(Trade.centre_id == centre_id)
    if method:
        stmt = stmt.where(Trade.method == method)
    if state:
        stmt = stmt.where(Trade.state == state)
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(sa.or_(Trade.title.ilike(like), Trade.ref.ilike(like), Trade.description.ilike(like)))
    return stmt.order_by(Trade.published_at.desc(), Trade.id.desc())


def works_on_trades(user) -> bool:
    """Whether the person's roles give them a trade list: a branch role at a centre, or a tenderer's."""
    return any(g.centre_id is not None for g in user.grants) or bool(user.organisation_id and
                                                                       user.has_role(Role.TENDERER))


def workspace_query(user):
    """Trades a signed-in person works on: their organisation's, or those at centres where they hold a branch role."""
    centre_ids = {g.centre_id for g in user.grants if g.centre_id is not None}
    conds = []
    if centre_ids:
        conds.append(Trade.centre_id.in_(centre_ids))
    if user.organisation_id and user.has_role(Role.TENDERER):
        conds.append(Trade.tenderer_id == user.organisation_id)
    if not conds:  # bidders, experts: nothing to work on here (yet); an empty list, not an error
        return sa.select(Trade).where(sa.false())
    return sa.select(Trade).where(sa.or_(*conds)).order_by(Trade.updated_at.desc(), Trade.id.desc())


def awaiting_approval(user) -> list[Trade]:
    """Trades submitted for approval at the centres where `user` is a decision maker, oldest first."""
    centre_ids = user.centres_for(Role.DECISION_MAKER)
    if not centre_ids:
        return []
    return list(db.session.scalars(sa.select(Trade).where(Trade.state == TradeState.SUBMITTED,
                                                          Trade.centre_id.in_(centre_ids))
                                   .order_by(Trade.updated_at, Trade.id)))
