"""Audit log API under /api/v1/audit: checkpoints, proofs, the platform key, entries, countersigning."""
from __future__ import annotations

import json

import sqlalchemy as sa
from flask import Blueprint, request, send_file
from flask_babel import gettext as _
from flask_login import current_user

import monitor.audit.permissions  # noqa: F401  (registers audit.read, audit.countersign, audit.export)
from monitor.audit import export
from monitor.audit import log as audit
from monitor.audit import services
from monitor.audit.models import AuditEntry, Checkpoint
from monitor.audit.schemas import (AuditEntrySchema, AuditKeySchema, CheckpointSchema, ConsistencyProofSchema,
                                   CountersignSchema, InclusionProofSchema)
from monitor.audit.visibility import visible_clause
from trading.api import bearer_only, json_body, no_store, ok
from trading.api.openapi import doc
from trading.errors import InvalidInput
from trading.extensions import db
from trading.params import int_arg
from trading.permissions import require

bp = Blueprint("audit_api", __name__, url_prefix="/api/v1/audit")
bp.before_request(bearer_only)
bp.after_request(no_store)


def _int_arg(name: str, minimum: int = 0, default: int | None = None) -> int:
    return int_arg(name, default, minimum=minimum, required=default is None)


def _size_arg(name: str) -> int:
    size, _root = audit.head()
    value = _int_arg(name, 1)
    if value > size:
        raise InvalidInput({name: [_("the log has only %(n)s entries", n=size)]})
    return value


@bp.get("/key")
@doc("The Ed25519 key that signs checkpoints", None, AuditKeySchema(), auth=False)
def audit_key():
    return ok(audit.public_key_info())


@bp.get("/checkpoints")
@doc("Signed checkpoints, newest first", None, CheckpointSchema(many=True), auth=False,
     query={"limit": "integer"})
def list_checkpoints():
    limit = min(_int_arg("limit", 1, default=50), 500)
    rows = db.session.scalars(sa.select(Checkpoint).order_by(Checkpoint.id.desc()).limit(limit)).all()
    return ok([services.checkpoint_view(cp) for cp in rows])


@bp.get("/checkpoints/latest")
@doc("The latest signed checkpoint", None, CheckpointSchema(), auth=False)
def latest_checkpoint():
    cp = audit.latest_checkpoint()
    if cp is None:
        return ok({"message": _("No checkpoint has been signed yet.")}, 404)
    return ok(services.checkpoint_view(cp))


@bp.get("/proofs/inclusion")
@doc("Inclusion proof of entry `index` in the tree of `size` entries (RFC 9162 §2.1.3)", None,
     InclusionProofSchema(), auth=False, query={"index": "integer", "size": "integer"})
def inclusion_proof():
    size = _size_arg("size")
    index = _int_arg("index")
    if index >= size:
        raise InvalidInput({"index": [_("must be smaller than size")]})
    return ok(audit.inclusion(index, size))


@bp.get("/proofs/consistency")
@doc("Consistency proof between the trees of `first` and `second` entries (RFC 9162 §2.1.4)", None,
     ConsistencyProofSchema(), auth=False, query={"first": "integer", "second": "integer"})
def consistency_proof():
    second = _size_arg("second")
    first = _int_arg("first", 1)
    if first > second:
        raise InvalidInput({"first": [_("must not be larger than second")]})
    return ok(audit.consistency(first, second))


@bp.get("/entries")
@doc("Entries the caller may see, oldest first, after index `after`", None, AuditEntrySchema(many=True),
     query={"after": "integer", "limit": "integer", "trade": "integer"})
def list_entries():
    require("audit.read")
    after = _int_arg("after", -1, default=-1)
    limit = min(_int_arg("limit", 1, default=100), 1000)
    query = sa.select(AuditEntry).where(AuditEntry.seq > after, visible_clause(current_user))
    if request.args.get("trade") is not None:
        query = query.where(AuditEntry.trade_id == _int_arg("trade"))
    rows = db.session.scalars(query.order_by(AuditEntry.seq).limit(limit)).all()
    return ok([{"index": r.seq, "leaf_hash": bytes(r.leaf_hash).hex(), "entry": json.loads(r.body), "body": r.body}
               for r in rows])


@bp.post("/checkpoints/<int:checkpoint_id>/countersign")
@doc("Countersign a checkpoint (supervisors) with your own key: the statement (POST /api/v1/signing/statements, "
     "kind checkpoint) and your signature; the act is itself an audit entry", CountersignSchema, CheckpointSchema(), 201)
def countersign_checkpoint(checkpoint_id: int):
    cp = db.session.get(Checkpoint, checkpoint_id)
    if cp is None:
        return ok({"message": _("No such checkpoint.")}, 404)
    require("audit.countersign", cp)
    data = CountersignSchema().load(json_body())
    services.countersign(current_user, cp, data.get("statement"), data.get("signature"))
    db.session.commit()
    return ok(services.checkpoint_view(cp), 201)


@bp.get("/export.zip")
@doc("The whole log as a zip for offline verification (supervisors): python -m monitor.verify", None, None)
def export_zip():
    require("audit.export")
    response = send_file(export.export_zip_file(), mimetype="application/zip", as_attachment=True,
                         download_name="audit-export.zip", max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


