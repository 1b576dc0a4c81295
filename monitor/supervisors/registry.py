"""Social supervisors (社会监督员): the registry kept by the decision branch, and the expiry of terms
(a tick; the app factory wires this part's guards, listeners and blueprints).

The registry: a supervisor is a user holding the social_supervisor role at a centre, recommended
by an organisation, bound by an appointment agreement stating rights and duties, appointed for a
two-year renewable term (monitor.supervisors.norms), with a certificate number and a certificate
PDF, and a status (active, suspended, expired, revoked) whose every change carries a reason.
Draws and recusals are in monitor.supervisors.draws, sign-offs in monitor.supervisors.signoffs.
"""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from trading.accounts.models import User
from trading.accounts.roles import Role
from trading.centres.models import Centre
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db
from trading.permissions import require
from trading.rules.days import local_date


# ---- the registry -----------------------------------------------------------------------------------

def today() -> date:
    return local_date(now())


def _text(data: dict, field: str, *, required: bool = True, limit: int | None = None) -> str | None:
    value = (data.get(field) or "").strip()
    if not value:
        if required:
            raise InvalidInput({field: [_("this field is required")]})
        return None
    if limit and len(value) > limit:
        raise InvalidInput({field: [_("at most %(n)d characters", n=limit)]})
    return value


def _reason(reason: str | None) -> str:
    value = (reason or "").strip()
    if not value:
        raise InvalidInput({"reason": [_("a reason is required for this change")]})
    if len(value) > 2000:
        raise InvalidInput({"reason": [_("at most %(n)d characters", n=2000)]})
    return value


def next_certificate_no(centre: Centre, day: date) -> str:
    """SS-<centre prefix>-<year>-<4-digit sequence>, e.g. SS-GC-2026-0001: stable and unique."""
    from monitor.supervisors.models import SocialSupervisor

    prefix = f"SS-{centre.ref_prefix}-{day.year}-"
    last = db.session.scalar(sa.select(sa.func.max(SocialSupervisor.certificate_no))
                             .where(SocialSupervisor.certificate_no.like(prefix + "%")))
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:04d}"


def _log(action: str, sup, actor, **after) -> int:
    from monitor.audit import log as audit

    body = {"certificate_no": sup.certificate_no, "user": sup.user_id, "centre": sup.centre_id,
            "status": sup.status.value, "term_end": sup.term_end.isoformat(), **after}
    return audit.record(f"supervisors.{action}", obj={"type": "social_supervisor", "id": sup.id}, actor=actor,
                        after=body, audience="platform")


def _history(sup, action: str, old, actor, reason: str | None) -> None:
    from monitor.supervisors.models import SupervisorStatusChange

    db.session.add(SupervisorStatusChange(supervisor=sup, action=action, from_status=old, to_status=sup.status,
                                          term_end=sup.term_end, reason=reason,
                                          actor_id=getattr(actor, "id", None), at=now()))


def register_supervisor(actor: User, data: dict):
    """The decision branch appoints a social supervisor at its centre (data shape-checked by the schema)."""
    from monitor.supervisors import norms
    from monitor.supervisors.models import SocialSupervisor, SupervisorStatus

    centre = db.session.get(Centre, data.get("centre_id") or 0)
    if centre is None:
        raise InvalidInput({"centre_id": [_("no such centre")]})
    require("supervisors.registry.manage", centre, user=actor)
    user = db.session.get(User, data.get("user_id") or 0)
    if user is None or not user.active:
        raise InvalidInput({"user_id": [_("no such active user")]})
    if centre.id not in user.centres_for(Role.SOCIAL_SUPERVISOR):
        raise InvalidInput({"user_id": [_("%(user)s does not hold the social supervisor role at this centre; grant "
                                          "the role first", user=user.display_name)]})
    existing = db.session.scalar(sa.select(SocialSupervisor).where(
        SocialSupervisor.user_id == user.id, SocialSupervisor.centre_id == centre.id,
        SocialSupervisor.status != SupervisorStatus.REVOKED))
    if existing is not None:
        raise InvalidInput({"user_id": [_("%(user)s is already registered at this centre (certificate %(no)s)",
                                          user=user.display_name, no=existing.certificate_no)]})
    start = data.get("term_start") or today()
    agreement_date = data.get("agreement_date")
    if agreement_date is None:
        raise InvalidInput({"agreement_date": [_("this field is required")]})
    if agreement_date > start:
        raise InvalidInput({"agreement_date": [_("the agreement must be signed on or before the first day of "
                                                 "the term")]})
    end = norms.term_end(start)
    if end < today():
        raise InvalidInput({"term_start": [_("a term starting then would already be over")]})
    sup = SocialSupervisor(
        user_id=user.id, centre_id=centre.id, recommended_by=_text(data, "recommended_by", limit=200),
        agreement_ref=_text(data, "agreement_ref", limit=100), agreement_date=agreement_date,
        agreement_text=_text(data, "agreement_text", required=False, limit=20000) or "",
        rights_duties=_text(data, "rights_duties", limit=20000), term_start=start, term_end=end,
        certificate_no=next_certificate_no(centre, today()), status=SupervisorStatus.ACTIVE,
        registered_by_id=actor.id, registered_at=now())
    db.session.add(sup)
    db.session.flush()
    _history(sup, "register", None, actor, None)
    sup.entry_seq = _log("register", sup, actor, term_start=start.isoformat(), recommended_by=sup.recommended_by,
                         agreement_ref=sup.agreement_ref)
    db.session.flush()
    return sup


def renew(actor: User, sup, reason: str | None = None):
    """Extend the term by a full term from its current end; an expired term becomes active again."""
    from monitor.supervisors import norms
    from monitor.supervisors.models import SupervisorStatus

    require("supervisors.registry.manage", sup, user=actor)
    if sup.status is SupervisorStatus.REVOKED:
        raise IllegalMove(_("A revoked appointment cannot be renewed; register the person again."),
                          code="revoked")
    old_status, old_end = sup.status, sup.term_end
    sup.term_end = norms.renewed_end(sup.term_end)
    sup.renewals += 1
    if sup.status is SupervisorStatus.EXPIRED and sup.term_end >= today():
        sup.status, sup.status_reason = SupervisorStatus.ACTIVE, None
    note = (reason or "").strip() or None
    if note and len(note) > 2000:
        raise InvalidInput({"reason": [_("at most %(n)d characters", n=2000)]})
    _history(sup, "renew", old_status, actor, note)
    _log("renew", sup, actor, previous_term_end=old_end.isoformat(), reason=note)
    db.session.flush()
    return sup


#: status changes a decider makes: action -> (allowed from, to)
CHANGES = {
    "suspend": ({"active"}, "suspended"),
    "reinstate": ({"suspended"}, "active"),
    "revoke": ({"active", "suspended", "expired"}, "revoked"),
}


def change_status(actor: User, sup, action: str, reason: str | None):
    """Suspend, reinstate or revoke, always with a reason. A supervisor suspended or revoked steps
    aside from the live trades they were drawn for, and a replacement is drawn for each."""
    from monitor.supervisors import draws as supervisor_draws
    from monitor.supervisors.models import SupervisorStatus

    require("supervisors.registry.manage", sup, user=actor)
    if action not in CHANGES:
        raise InvalidInput({"action": [_("must be one of: %(list)s", list=", ".join(CHANGES))]})
    sources, target = CHANGES[action]
    if sup.status.value not in sources:
        raise IllegalMove(_("A supervisor whose status is %(status)s cannot be changed that way.",
                            status=sup.status.label), code="bad_status")
    why = _reason(reason)
    old = sup.status
    new = SupervisorStatus(target)
    if new is SupervisorStatus.ACTIVE and sup.term_end < today():
        new = SupervisorStatus.EXPIRED
    sup.status, sup.status_reason = new, (None if new is SupervisorStatus.ACTIVE else why)
    _history(sup, action, old, actor, why)
    _log(action, sup, actor, previous_status=old.value, reason=why)
    db.session.flush()
    if new in (SupervisorStatus.SUSPENDED, SupervisorStatus.REVOKED):
        supervisor_draws.step_aside_everywhere(sup, actor, _("Registry status changed to %(status)s: %(reason)s",
                                                             status=new.label, reason=why))
    return sup


def expire_terms(day: date | None = None) -> int:
    """The tick: active entries whose term ended become expired (they are no longer drawn; trades
    they were already drawn for keep them until those trades finish)."""
    from monitor.supervisors.models import SocialSupervisor, SupervisorStatus

    day = day or today()
    rows = db.session.scalars(sa.select(SocialSupervisor).where(SocialSupervisor.status == SupervisorStatus.ACTIVE,
                                                                SocialSupervisor.term_end < day)).all()
    for sup in rows:
        sup.status = SupervisorStatus.EXPIRED
        sup.status_reason = _("The term ended on %(day)s.", day=sup.term_end.isoformat())
        _history(sup, "expire", SupervisorStatus.ACTIVE, None, sup.status_reason)
        _log("expire", sup, None)
    if rows:
        db.session.commit()
    return len(rows)


def entries_for(user: User, centre_id: int | None = None, status: str | None = None) -> list:
    """Registry entries of the centres where `user` decides (optionally one centre or one status)."""
    from monitor.supervisors.models import SocialSupervisor, SupervisorStatus

    centres = user.centres_for(Role.DECISION_MAKER)
    if centre_id is not None:
        centres = centres & {centre_id}
    stmt = sa.select(SocialSupervisor).where(SocialSupervisor.centre_id.in_(centres or {-1}))
    if status:
        try:
            stmt = stmt.where(SocialSupervisor.status == SupervisorStatus(status))
        except ValueError:
            raise InvalidInput({"status": [_("must be one of: %(list)s",
                                             list=", ".join(s.value for s in SupervisorStatus))]}) from None
    return list(db.session.scalars(stmt.order_by(SocialSupervisor.centre_id, SocialSupervisor.id)))


def own_entries(user: User) -> list:
    from monitor.supervisors.models import SocialSupervisor

    return list(db.session.scalars(sa.select(SocialSupervisor).where(SocialSupervisor.user_id == user.id)
                                   .order_by(SocialSupervisor.id.desc())))
