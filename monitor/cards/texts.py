"""The texts of a card in the reader's language: title, what was found, the legal source, its notices.

Rendered when read, from the norm and the card's `params`, never stored: a reader in another
language, or one who may know more (which company a deposit is of), reads another text. Imports no
other module of monitor.cards, so the Card model's properties can use it.
"""
from __future__ import annotations

from datetime import datetime

from flask import current_app, has_request_context, request
from flask_babel import format_datetime, gettext as _, lazy_gettext as _l

from bidding import bidders
from bidding.deposits.models import BidDeposit
from trading.extensions import db
from trading.rules.norms import condition_label, event_label


def _when(value: str | None) -> str:
    if not value:
        return "—"
    return format_datetime(datetime.fromisoformat(value), "yyyy-MM-dd HH:mm")


def norm_of(card):
    trade = card.trade
    if trade is None:
        return None
    try:
        return trade.rule_set.norm(card.norm)
    except KeyError:
        return None


def card_title(card) -> str:
    norm = norm_of(card)
    what = norm.describe() if norm is not None else card.norm
    return _("%(condition)s: %(what)s", condition=condition_label(card.condition), what=what)


def card_citation(card) -> dict:
    """The legal source in the reader's language, with its certainty (RULES.md: ✓ ~ ?) and note;
    the citation stored on the card when the norm is no longer in the rule set."""
    norm = norm_of(card)
    if norm is None:
        return {"text": card.source, "certainty": "", "note": ""}
    return {"text": str(norm.source), "certainty": norm.source.certainty, "note": str(norm.source.note)}


def _deposit_owner(card, viewer) -> str:
    """Whose deposit: the company's name for those who may know who bid, else its pseudonym."""
    deposit_id = (card.params or {}).get("deposit")
    deposit = db.session.get(BidDeposit, deposit_id) if deposit_id else None
    if deposit is None or deposit.trade_id != card.trade_id:
        return "—"
    return bidders.label(viewer, card.trade, deposit.organisation)


PROBLEMS = {
    "chain": _l("the move %(move)s (%(at)s) starts from %(found)s, but the trade was %(expected)s: "
                "a step is missing or was inserted"),
    "backwards": _l("the move %(move)s is dated %(at)s, before the step recorded ahead of it (%(previous)s)"),
    "future": _l("the move %(move)s is dated %(at)s, in the future"),
    "not_allowed": _l("the flow does not allow the move %(move)s (%(at)s) from %(state)s"),
    "wrong_stage": _l("the move %(move)s (%(at)s) led to %(found)s instead of %(expected)s"),
    "before_milestone": _l("the move %(move)s was made at %(at)s, before the %(milestone)s (%(milestone_at)s)"),
    "no_creation": _l("the history does not begin with the creation of the trade (%(move)s, %(at)s)"),
    "state": _l("the trade is %(found)s but its last recorded move led to %(expected)s: its stage was changed "
                "without a recorded move"),
}


def _state_label(value: str | None) -> str:
    from trading.trades.flows import TradeState

    try:
        return TradeState(value).label
    except ValueError:
        return str(value)


def card_detail(card, viewer=None) -> str:
    """What happened, with the times that matter, in the reader's language. A company is named only
    to a `viewer` who may know it took part (bidding.bidders); without a viewer, by its pseudonym."""
    p = card.params or {}
    norm = norm_of(card)
    start, end, starts = norm.endpoints() if norm is not None else (None, None, ())
    if card.condition == "out_of_order":
        text = PROBLEMS.get(p.get("problem"), p.get("problem", ""))
        from trading.rules.model import milestone_label

        found = card.trade.flow.move(p.get("move", "")) if card.trade is not None else None
        args = {"move": str(found.label) if found is not None else p.get("move", ""), "at": _when(p.get("at")), "previous": _when(p.get("previous")),
                "state": _state_label(p.get("state")), "found": _state_label(p.get("found")),
                "expected": _state_label(p.get("expected")),
                "milestone": milestone_label(p.get("milestone", "")), "milestone_at": _when(p.get("milestone_at"))}
        return str(text) % args
    if card.condition == "too_fast":
        return _("%(end)s came %(n)d minutes after %(start)s (%(at)s); not before %(earliest)s is plausible.",
                 end=event_label(end or ""), n=p.get("took_minutes", 0), start=event_label(start or ""),
                 at=_when(p.get("start")), earliest=_when(p.get("earliest")))
    lead = ""
    start_text = event_label(start) if start else ""
    if card.subject.startswith("deposit:"):
        lead = _("Bid security of %(org)s. ", org=_deposit_owner(card, viewer))
        start_text = _(" or ").join(event_label(s) for s in starts)
    if card.condition == "due":
        return lead + _("Counted from %(start)s (%(at)s); the period runs out at %(due)s.",
                        start=start_text, at=_when(p.get("start")), due=_when(p.get("due")))
    if card.condition == "overdue":
        return lead + _("Counted from %(start)s (%(at)s); the period ran out at %(due)s with nothing recorded.",
                        start=start_text, at=_when(p.get("start")), due=_when(p.get("due")))
    if card.condition == "late":
        return lead + _("Recorded at %(end)s, after the period ran out at %(due)s (counted from %(at)s).",
                        end=_when(p.get("end")), due=_when(p.get("due")), at=_when(p.get("start")))
    if card.condition == "missing":
        return _("Required since %(due)s (counted from %(start)s at %(at)s) and still missing.",
                 due=_when(p.get("due")), start=start_text, at=_when(p.get("start")))
    return ""


def card_link(card) -> str:
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    if not base and has_request_context():
        base = request.host_url.rstrip("/")
    return f"{base}/monitor/cards/{card.id}"


def card_message(card, step: str, actor, text: str | None, reader=None, level=None) -> tuple[str, str]:
    """Subject and body of the notice of one step to `reader`, in the current locale (`level`: the
    card's level when the step was taken, if it has changed since)."""
    trade = card.trade
    level = level or card.level
    who = actor.display_name if actor is not None else _("The platform")
    subject = _("[%(level)s] %(ref)s: %(title)s", level=level.label, ref=trade.ref, title=card_title(card))
    issued = {"yellow": _("A yellow card was issued on trade %(ref)s (%(trade)s).", ref=trade.ref, trade=trade.title),
              "red": _("A red card was issued on trade %(ref)s (%(trade)s).", ref=trade.ref, trade=trade.title)}
    lines = {
        "issue": issued[level.value],
        "escalate": _("The card on trade %(ref)s (%(trade)s) is now a red card.", ref=trade.ref, trade=trade.title),
        "assign": _("%(who)s assigned this card to you; please answer it.", who=who),
        "answer": _("%(who)s answered the card.", who=who),
        "return": _("%(who)s sent the card back for a better answer.", who=who),
        "close": _("%(who)s closed the card.", who=who),
        "resolve": _("The condition cleared; the platform closed the card."),
    }
    body = [lines[step], "", card_title(card), card_detail(card, reader)]
    if text:
        body += ["", text]
    body += ["", _("Source: %(source)s", source=card_citation(card)["text"]), _("Card: %(link)s", link=card_link(card))]
    return subject[:250], "\n".join(body)

