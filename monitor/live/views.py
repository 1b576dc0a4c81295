"""The supervision dashboard (/monitor/): the live feed of the audit log, trades by stage per centre,
open cards and the trades whose opening is under way, for supervisors and deciders.

The feed is rendered from the database up to the head read at page time and continued by the page
script from `/live/platform?after=<that head>` (monitor/live/streams.py), so nothing falls between the two.
Each entry is summarised from a small action -> label map; the page script applies the same map
(sent as translated labels), so a line reads the same whether the server or the script wrote it.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, Flask, render_template, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from monitor.audit.models import AuditEntry
from monitor.audit.visibility import branch_centres, platform_watcher, visible_clause
from trading.accounts.roles import ROLE_LABELS, Role
from trading.clock import local_tz
from trading.extensions import db
from trading.permissions import permission, requires

log = logging.getLogger(__name__)

bp = Blueprint("monitor", __name__, url_prefix="/monitor")

#: how many entries the page renders before the stream takes over
FEED_SIZE = 30


@permission("monitor.dashboard")
def _dashboard(user, _obj) -> bool:
    """Supervisors (administrative or social) and deciders, at any centre."""
    return bool(getattr(user, "is_authenticated", False)) and platform_watcher(user)


# ---- what an entry says, in words ----------------------------------------------------------------

#: whole actions (table.operation, or a semantic action) with a label of their own
ACTION_LABELS = {
    "trades.insert": _l("Trade created"),
    "trades.update": _l("Trade changed"),
    "trades.delete": _l("Trade deleted"),
    "trade_transitions.insert": _l("Trade moved"),
    "trade_participants.insert": _l("Person assigned to a trade"),
    "notices.insert": _l("Notice published"),
    "notices.update": _l("Notice changed"),
    "documents.insert": _l("Document uploaded"),
    "documents.delete": _l("Document removed"),
    "downloads.insert": _l("Tender documents downloaded"),
    "clarifications.insert": _l("Clarification published"),
    "calendar_days.insert": _l("Holiday calendar changed"),
    "calendar_days.update": _l("Holiday calendar changed"),
    "calendar_days.delete": _l("Holiday calendar changed"),
    "bids.insert": _l("Sealed bid received"),
    "bids.update": _l("Sealed bid withdrawn or replaced"),
    "keyholders.insert": _l("Keyholder appointed"),
    "opening_keys.insert": _l("Opening key made"),
    "opening_ceremonies.insert": _l("Opening prepared"),
    "opening_ceremonies.update": _l("Opening ceremony progressed"),
    "share_releases.insert": _l("Key share released"),
    "opening_entries.insert": _l("Bid opened"),
    "ceremony_objections.insert": _l("Objection raised at the opening"),
    "ceremony_objections.update": _l("Objection answered"),
    "record_signatures.insert": _l("Opening record signed"),
    "users.insert": _l("Account created"),
    "users.update": _l("Account changed"),
    "role_grants.insert": _l("Role granted"),
    "role_grants.delete": _l("Role withdrawn"),
    "api_tokens.insert": _l("API token issued"),
    "api_tokens.update": _l("API token revoked"),
    "audit.countersign": _l("Checkpoint countersigned"),
    "card.issue": _l("Card issued"),
    "card.assign": _l("Card assigned"),
    "card.answer": _l("Card answered"),
    "card.close": _l("Card closed"),
    "supervisors.draw_fixed": _l("Draw of social supervisors fixed"),
    "supervisors.draw_commit": _l("Contribution to a draw committed"),
    "supervisors.draw_sealed": _l("Beacon of a draw signed"),
    "supervisors.draw_reveal": _l("Contribution to a draw revealed"),
    "supervisors.draw": _l("Social supervisors drawn"),
    "supervisors.replacement": _l("Social supervisor replaced from the draw's order"),
    "supervisors.recusal": _l("Social supervisor stepped aside"),
    "experts.draw_fixed": _l("Draw of evaluation experts fixed"),
    "experts.draw_commit": _l("Contribution to a draw committed"),
    "experts.draw_sealed": _l("Beacon of a draw signed"),
    "experts.draw_reveal": _l("Contribution to a draw revealed"),
    "experts.draw": _l("Evaluation experts drawn"),
    "experts.replacement": _l("Evaluation expert replaced from the draw's order"),
    "experts.recusal": _l("Evaluation expert declined or stepped aside"),
    "experts.confirmed": _l("Evaluation expert confirmed"),
    "experts.sanction": _l("Sanction of an evaluation expert recorded"),
    "signoff.opening_record": _l("Opening record signed off by a supervisor"),
    "signoff.evaluation_report": _l("Evaluation report signed off by a supervisor"),
    "signoff.award": _l("Award signed off by a supervisor"),
    "bid_deposits.insert": _l("Bid security deposit recorded"),
    "bid_deposits.update": _l("Bid security deposit changed"),
}
#: the readable name of a table, for actions without a label of their own
TABLE_LABELS = {
    "trades": _l("Trade"), "trade_transitions": _l("Trade move"), "trade_participants": _l("Trade participant"),
    "notices": _l("Notice"), "documents": _l("Document"), "downloads": _l("Download"),
    "clarifications": _l("Clarification"), "calendar_days": _l("Holiday calendar"), "bids": _l("Sealed bid"),
    "keyholders": _l("Keyholder"), "opening_keys": _l("Opening key"), "sealed_shares": _l("Key share"),
    "personal_keys": _l("Personal key"), "opening_ceremonies": _l("Opening ceremony"),
    "share_releases": _l("Key share release"), "opening_entries": _l("Opened bid"),
    "ceremony_objections": _l("Objection"), "record_signatures": _l("Opening record signature"),
    "users": _l("Account"), "role_grants": _l("Role"), "organisations": _l("Organisation"),
    "declared_relations": _l("Declared relation"), "api_tokens": _l("API token"), "centres": _l("Centre"),
    "centre_methods": _l("Centre method"),
    "bid_deposits": _l("Bid security deposit"), "cards": _l("Card"), "card_events": _l("Card step"),
    "card": _l("Card"), "social_supervisors": _l("Social supervisor"),
    "social_supervisor_changes": _l("Social supervisor register"), "supervisors": _l("Social supervisors"),
    "supervisor_draws": _l("Draw of social supervisors"), "drawn_supervisors": _l("Drawn social supervisor"),
    "supervisor_draw_contributions": _l("Contribution to a draw"),
    "supervisor_signoffs": _l("Supervisor sign-off"), "signoff": _l("Supervisor sign-off"),
}
OP_LABELS = {"insert": _l("added"), "update": _l("changed"), "delete": _l("removed")}
#: sensitive reads (action read.<what>)
READ_LABELS = {"bidders": _l("list of bidders"), "downloaders": _l("list of downloaders")}


def labels() -> dict:
    """Every label the page script needs, translated for the current request."""
    from trading.trades.flows import TradeState

    plain = lambda mapping: {k: str(v) for k, v in mapping.items()}  # noqa: E731
    return {
        "actions": plain(ACTION_LABELS), "tables": plain(TABLE_LABELS), "ops": plain(OP_LABELS),
        "reads": plain(READ_LABELS), "read": _("Confidential list read"),
        "states": {s.value: s.label for s in TradeState},
        "roles": {**{r.value: str(ROLE_LABELS[r]) for r in Role}, "system": _("automatic move")},
        "system": _("the platform"),
    }


def summary(data: dict, words: dict) -> str:
    """One line for an entry (the page script's `summarise` in static/js/live.js does the same)."""
    action = str(data.get("action") or "")
    text = words["actions"].get(action)
    if text is None and action.startswith("read."):
        what = action[5:]
        text = f"{words['read']}: {words['reads'].get(what, what)}"
    if text is None:
        table, _sep, op = action.rpartition(".")
        text = f"{words['tables'].get(table, table or action)}: {words['ops'].get(op, op)}"
    before, after = data.get("before") or {}, data.get("after") or {}
    state = lambda value: words["states"].get(value, value)  # noqa: E731
    if action == "trade_transitions.insert" and after.get("to_state"):
        text += f" · {state(after.get('from_state'))} → {state(after['to_state'])}"
    elif action == "trades.update" and after.get("state"):
        text += f" · {state(before.get('state'))} → {state(after['state'])}"
    return text


def _local_time(iso: str | None) -> str:
    if not iso:
        return "—"
    try:
        at = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    return at.astimezone(local_tz()).strftime("%Y-%m-%d %H:%M:%S")


def feed_item(data: dict, words: dict) -> dict:
    role = data.get("role")
    return {"index": data.get("index"), "at": data.get("at"), "when": _local_time(data.get("at")),
            "action": data.get("action"), "text": summary(data, words), "trade": data.get("trade"),
            "ref": data.get("ref"), "role": words["roles"].get(role, role) if role else words["system"]}


# ---- the panels ----------------------------------------------------------------------------------

def _centres(user) -> list:
    from trading.centres.models import Centre

    ids = branch_centres(user)
    if not ids:
        return []
    return list(db.session.scalars(sa.select(Centre).where(Centre.id.in_(ids)).order_by(Centre.id)))


def stages(centres: list) -> dict:
    """Trades by stage per centre: the states present, in the flow's order, and a count per cell."""
    from trading.trades.flows import TradeState
    from trading.trades.models import Trade

    ids = [c.id for c in centres]
    counts: dict[int, dict] = {c.id: {} for c in centres}
    if ids:
        rows = db.session.execute(sa.select(Trade.centre_id, Trade.state, sa.func.count())
                                  .where(Trade.centre_id.in_(ids)).group_by(Trade.centre_id, Trade.state))
        for centre_id, state, n in rows:
            counts[centre_id][state] = n
    present = {s for per in counts.values() for s in per}
    columns = [s for s in TradeState if s in present]
    return {"columns": columns,
            "rows": [{"centre": c, "counts": counts[c.id], "total": sum(counts[c.id].values())} for c in centres]}


def ceremonies_now(centres: list) -> list:
    """Openings started and not finished at the viewer's centres, oldest first."""
    from bidding.ceremony.models import OpeningCeremony
    from trading.trades.models import Trade

    ids = [c.id for c in centres]
    if not ids:
        return []
    return list(db.session.execute(
        sa.select(OpeningCeremony, Trade).join(Trade, Trade.id == OpeningCeremony.trade_id)
        .where(OpeningCeremony.started_at.is_not(None), OpeningCeremony.finished_at.is_(None),
               Trade.centre_id.in_(ids))
        .order_by(OpeningCeremony.started_at)).all())


CARD_LEVELS = {"yellow": _l("Yellow card"), "red": _l("Red card")}


def _plain(value) -> str:
    """An attribute of a card as text, whatever its type (enum, object with a label, string)."""
    if value is None:
        return ""
    for attr in ("label", "value"):
        inner = getattr(value, attr, None)
        if isinstance(inner, str) and inner:
            return inner
    return str(value)


def card_view(card) -> dict:
    """The fields the dashboard shows of an open card, read defensively (monitor.cards owns cards)."""
    raw_level = getattr(card, "level", None)
    level = str(getattr(raw_level, "value", raw_level) or "").lower()
    trade = getattr(card, "trade", None)
    trade_id = getattr(trade, "id", trade if isinstance(trade, int) else None)
    card_id = getattr(card, "id", None)
    url = None
    if isinstance(card_id, int):
        try:
            url = url_for("cards.card_detail", card_id=card_id)
        except BuildError:
            url = None
    label = CARD_LEVELS.get(level) or _plain(raw_level)
    return {"level": level if level in CARD_LEVELS else "", "level_label": str(label),
            "title": _plain(getattr(card, "title", None)), "state": _plain(getattr(card, "state", None)),
            "trade_id": trade_id, "ref": getattr(trade, "ref", None) or (f"#{trade_id}" if trade_id else ""),
            "url": url}


def open_cards(user) -> list[dict]:
    from monitor.cards import services as cards

    try:
        found = cards.open_cards_for(user) or []
    except Exception:  # a fault in the card rules must not take the dashboard down
        log.exception("open cards could not be listed")
        db.session.rollback()
        return []
    return [card_view(c) for c in found]


def panels_context(user) -> dict:
    centres = _centres(user)
    return {"stages": stages(centres), "ceremonies": ceremonies_now(centres), "cards": open_cards(user),
            "centres": centres}


def feed(user, size: int, words: dict) -> list[dict]:
    """The newest entries the user may see, newest first, among the first `size` of the log."""
    from monitor.live.events import event_data, trade_refs

    rows = db.session.execute(sa.select(AuditEntry.seq, AuditEntry.body, AuditEntry.audience, AuditEntry.trade_id)
                              .where(AuditEntry.seq < size, visible_clause(user))
                              .order_by(AuditEntry.seq.desc()).limit(FEED_SIZE)).all()
    refs = trade_refs(r.trade_id for r in rows)
    return [feed_item(event_data(json.loads(r.body), r.audience, refs.get(r.trade_id), True), words) for r in rows]


def audit_url() -> str:
    """The audit log's page (another part of the plane); its path when it is not registered yet."""
    try:
        return url_for("monitor_audit.index")
    except BuildError:
        return "/monitor/audit"


# ---- routes --------------------------------------------------------------------------------------

@bp.route("/")
@login_required
@requires("monitor.dashboard")
def dashboard():
    from monitor.live.hub import head_size

    words = labels()
    size = head_size()  # the page shows entries [0, size); the stream continues after size - 1
    return render_template("monitor/dashboard.html", feed=feed(current_user, size, words), words=words,
                           stream_url=url_for("live.platform", after=size - 1), audit_url=audit_url(),
                           **panels_context(current_user))


@bp.route("/panels")
@login_required
@requires("monitor.dashboard")
def panels():
    """The panels alone, for the page script to refresh them when the feed shows a change."""
    return render_template("monitor/_panels.html", **panels_context(current_user))

