"""The expert pool: registering experts, their absences, and the sanctions the supervisors decide.

Each change is a row the audit log captures; a sanction is also its own entry ("experts.sanction")."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from bidding.experts.composition import specialties
from bidding.experts.models import Expert, ExpertAbsence, ExpertSanction, SanctionKind
from trading.accounts.models import Organisation, User
from trading.accounts.roles import Role
from trading.draws.services import LEDGER
from trading.errors import InvalidInput
from trading.extensions import db
from trading.permissions import require


def _codes(value) -> list[str]:
    known = specialties()
    codes = value if isinstance(value, list) else []
    if not codes:
        raise InvalidInput({"specialties": [_("name at least one specialty code")]})
    bad = [str(c) for c in codes if c not in known]
    if bad:
        raise InvalidInput({"specialties": [_("not in the specialty list: %(codes)s", codes=", ".join(bad))]})
    return sorted(set(codes))


def _dates(starts_on, ends_on, *, open_end: bool = False) -> tuple[date, date | None]:
    if not isinstance(starts_on, date):
        raise InvalidInput({"starts_on": [_("a date is required")]})
    if ends_on is None and open_end:
        return starts_on, None
    if not isinstance(ends_on, date):
        raise InvalidInput({"ends_on": [_("a date is required")]})
    if ends_on < starts_on:
        raise InvalidInput({"ends_on": [_("must not be before the first day")]})
    return starts_on, ends_on


def register_expert(actor: User, data: dict) -> Expert:
    """Enter a person with the expert role into the pool (once)."""
    require("experts.pool.manage", None, user=actor)
    user = db.session.get(User, data.get("user_id") or 0)
    if user is None or not any(g.role is Role.EXPERT for g in user.grants):
        raise InvalidInput({"user_id": [_("must be an account holding the evaluation expert role")]})
    if db.session.query(Expert.id).filter_by(user_id=user.id).first() is not None:
        raise InvalidInput({"user_id": [_("this person is in the pool already")]})
    org_id = data.get("organisation_id")
    if org_id is not None and db.session.get(Organisation, org_id) is None:
        raise InvalidInput({"organisation_id": [_("no such organisation")]})
    employer = (data.get("employer") or "").strip()
    region = (data.get("region") or "").strip()
    errors = {}
    if not employer:
        errors["employer"] = [_("is required")]
    if not region:
        errors["region"] = [_("is required")]
    if errors:
        raise InvalidInput(errors)
    expert = Expert(user_id=user.id, organisation_id=org_id or user.organisation_id, employer=employer[:200],
                    region=region[:64], specialties=_codes(data.get("specialties")),
                    title=(data.get("title") or "").strip()[:100], active=True, registered_by_id=actor.id)
    db.session.add(expert)
    db.session.flush()
    return expert


def set_active(actor: User, expert: Expert, active: bool) -> Expert:
    require("experts.pool.manage", None, user=actor)
    expert.active = bool(active)
    db.session.flush()
    return expert


def add_absence(actor: User, expert: Expert, data: dict) -> ExpertAbsence:
    """Days the expert cannot sit (staff enter them; the expert may enter their own)."""
    if actor.id != expert.user_id:
        require("experts.pool.manage", None, user=actor)
    first, last = _dates(data.get("starts_on"), data.get("ends_on"))
    row = ExpertAbsence(expert_id=expert.id, starts_on=first, ends_on=last, reason=(data.get("reason") or "")[:200])
    db.session.add(row)
    db.session.flush()
    return row


def sanction(actor: User, expert: Expert, data: dict) -> ExpertSanction:
    """A sanction with its dates; a suspension or disqualification keeps the expert out of every draw
    whose sitting days it touches (and sets aside a seat not yet confirmed)."""
    require("experts.sanction", None, user=actor)
    try:
        kind = SanctionKind(data.get("kind"))
    except ValueError:
        raise InvalidInput({"kind": [_("one of: %(kinds)s", kinds=", ".join(k.value for k in SanctionKind))]})
    reason = (data.get("reason") or "").strip()
    if not reason:
        raise InvalidInput({"reason": [_("a reason is required")]})
    first, last = _dates(data.get("starts_on"), data.get("ends_on"),
                         open_end=kind is SanctionKind.DISQUALIFICATION)
    row = ExpertSanction(expert_id=expert.id, kind=kind, reason=reason, starts_on=first, ends_on=last,
                         decided_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    if LEDGER["record"] is not None:
        LEDGER["record"]("experts.sanction", obj={"type": "expert", "id": expert.id}, actor=actor,
                         after={"expert": expert.id, "kind": kind.value, "starts_on": first.isoformat(),
                                "ends_on": last.isoformat() if last else None, "reason": reason})
    return row
