"""The audit log's page (/monitor/audit): its size and root, the latest signed checkpoints with their
countersignatures, countersigning, the export download, and how to verify the export offline.

Supervisors countersign and download; deciders may look. The page shows hashes and signatures only:
the entries themselves are read through /api/v1/audit/entries or the dashboard, filtered per viewer.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required

import monitor.audit.permissions  # noqa: F401  (audit.countersign, audit.export)
from monitor.audit import export
from monitor.audit import log as audit
from monitor.audit import services
from monitor.audit.models import Checkpoint
from monitor.audit.visibility import platform_watcher
from trading.errors import DomainError, InvalidInput
from trading.extensions import db
from trading.permissions import can, permission, requires
from trading.signing.services import key_in_force
from trading.views_common import field_label

bp = Blueprint("monitor_audit", __name__, url_prefix="/monitor/audit")

#: checkpoints listed on the page, newest first
SHOWN = 20

REASONS = {"schedule": _l("Scheduled"), "export": _l("Export"), "manual": _l("Signed by an operator"),
           "draw": _l("Beacon for a random draw"), "demo": _l("Demo data loaded")}


@permission("audit.page")
def _page(user, _obj) -> bool:
    """Supervisors (who countersign and download) and deciders (who may look)."""
    return bool(getattr(user, "is_authenticated", False)) and platform_watcher(user)


def reason_label(reason: str) -> str:
    if reason.startswith("move:"):
        from trading.trades.flows import FLOWS

        name = reason[5:]
        found = next((m for flow in FLOWS.values() for m in flow.moves if m.name == name), None)
        return _("Key move: %(move)s", move=found.label if found is not None else name)
    return str(REASONS.get(reason, reason))


def _checkpoint(checkpoint_id: int) -> Checkpoint:
    cp = db.session.get(Checkpoint, checkpoint_id)
    if cp is None:
        abort(404)
    return cp


@bp.route("/")
@login_required
@requires("audit.page")
def index():
    size, root = audit.head()
    rows = db.session.scalars(sa.select(Checkpoint).order_by(Checkpoint.id.desc()).limit(SHOWN)).all()
    signed_by = services.countersignatures([cp.id for cp in rows])
    checkpoints = [{"cp": cp, "root": bytes(cp.root).hex(), "reason": reason_label(cp.reason),
                    "signatures": signed_by.get(cp.id, []),
                    "mine": any(s["user_id"] == current_user.id for s in signed_by.get(cp.id, []))} for cp in rows]
    return render_template("monitor/audit.html", size=size, root=root.hex(), checkpoints=checkpoints,
                           latest=rows[0] if rows else None, key=audit.public_key_info(),
                           may_countersign=can(current_user, "audit.countersign"),
                           my_key=key_in_force(current_user.id),
                           may_export=can(current_user, "audit.export"))


@bp.post("/checkpoints/<int:checkpoint_id>/countersign")
@login_required
@requires("audit.countersign", load=_checkpoint)
def countersign(checkpoint_id: int, obj: Checkpoint):
    try:
        services.countersign(current_user, obj, request.form.get("statement"), request.form.get("signature"))
    except DomainError as exc:
        db.session.rollback()
        message = exc.message
        if isinstance(exc, InvalidInput) and exc.field:
            message = _("%(field)s: %(message)s", field=field_label(exc.field), message=exc.message)
        flash(message, "error")
        return redirect(url_for("monitor_audit.index"))
    db.session.commit()
    flash(_("You countersigned checkpoint %(id)d (size %(size)d).", id=obj.id, size=obj.size), "success")
    return redirect(url_for("monitor_audit.index"))


@bp.get("/export.zip")
@login_required
@requires("audit.export")
def export_zip():
    response = send_file(export.export_zip_file(), mimetype="application/zip", as_attachment=True,
                         download_name="audit-export.zip", max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response

