"""Social supervisor API under /api/v1: the registry (decision branch), certificates, and a trade's
supervision (draws, recusals, sign-offs, the supervision record)."""
from __future__ import annotations

import json

import sqlalchemy as sa
from flask import Blueprint, Response, abort, request
from flask_login import current_user

from monitor.supervisors import draws as supervisor_draws
from monitor.supervisors import registry as supervisors
from monitor.supervisors import signoffs
from monitor.audit.models import AuditEntry
from monitor.supervisors.models import SignOffStage, SocialSupervisor
from monitor.supervisors import rounds
from monitor.supervisors.schemas import (DrawCommitmentSchema, DrawContributionSchema, DrawnSupervisorSchema,
                                        DrawRevealSchema, SupervisorCreateSchema, SupervisorDrawSchema,
                                        SupervisorReasonSchema, SupervisorRecusalSchema, SupervisorRenewSchema,
                                        SupervisorSchema, SupervisorSignOffCreateSchema, SupervisorSignOffSchema,
                                        SupervisorStatusActionSchema, TradeSupervisionSchema)
from trading.api import bearer_only, json_body, no_store, ok, trade_or_404
from trading.api.openapi import doc
from trading.extensions import db
from trading.params import int_arg
from trading.permissions import require

bp = Blueprint("supervisors_api", __name__, url_prefix="/api/v1")
bp.before_request(bearer_only)
bp.after_request(no_store)


def supervisor_or_404(supervisor_id: int) -> SocialSupervisor:
    sup = db.session.get(SocialSupervisor, supervisor_id)
    if sup is None:
        abort(404)
    return sup


def _dump(schema, obj) -> dict:
    return json.loads(json.dumps(schema.dump(obj), default=str))


def draw_json(row) -> dict:
    out = _dump(SupervisorDrawSchema(), row)
    body = db.session.scalar(sa.select(AuditEntry.body).where(AuditEntry.seq == row.entry_seq))
    out["entry"] = json.loads(body) if body else None
    fixed = db.session.scalar(sa.select(AuditEntry.body).where(AuditEntry.seq == row.fixed_entry_seq))
    out["fixed_entry"] = json.loads(fixed) if fixed else None
    return out


def supervision_view(trade) -> dict:
    """A trade's supervision as the API and the page's script see it."""
    stages = []
    for stage in SignOffStage:
        stages.append({"stage": stage.value, "gates": signoffs.STAGE_MOVE[stage],
                       "open": signoffs.stage_open(trade, stage),
                       "missing": [d.user_id for d in signoffs.missing(trade, stage)]})
    return {"trade_id": trade.id, "trade_ref": trade.ref, "state": trade.state.value,
            "rule": supervisor_draws.required_count(trade).as_json(),
            "drawn": [_dump(DrawnSupervisorSchema(), d) for d in supervisor_draws.drawn(trade)],
            "draws": [draw_json(r) for r in supervisor_draws.draws(trade)],
            "signoffs": [_dump(SupervisorSignOffSchema(), s) for s in signoffs.signoffs(trade)], "stages": stages}


def _int_arg(name: str) -> int | None:
    return int_arg(name)


# ---- the registry ---------------------------------------------------------------------------------

@bp.get("/supervisors")
@doc("Registry of social supervisors at the centres where the caller decides", None, SupervisorSchema(many=True),
     query={"centre": "integer", "status": "string"})
def list_social_supervisors():
    require("supervisors.registry.view")
    rows = supervisors.entries_for(current_user, _int_arg("centre"), request.args.get("status") or None)
    return ok([_dump(SupervisorSchema(), s) for s in rows])


@bp.post("/supervisors")
@doc("Register a social supervisor (decision branch of the centre): certificate number issued", SupervisorCreateSchema,
     SupervisorSchema(), 201)
def register_social_supervisor():
    require("supervisors.registry.view")
    data = SupervisorCreateSchema().load(json_body())
    sup = supervisors.register_supervisor(current_user, data)
    db.session.commit()
    return ok(_dump(SupervisorSchema(), sup), 201)


@bp.get("/supervisors/<int:supervisor_id>")
@doc("One registry entry with its history (the supervisor themself or the centre's deciders)", None,
     SupervisorSchema())
def get_social_supervisor(supervisor_id: int):
    sup = supervisor_or_404(supervisor_id)
    require("supervisors.entry.view", sup)
    return ok(_dump(SupervisorSchema(), sup))


@bp.post("/supervisors/<int:supervisor_id>/renewals")
@doc("Renew the term: two more years from its current end", SupervisorRenewSchema, SupervisorSchema(), 201)
def renew_social_supervisor(supervisor_id: int):
    sup = supervisor_or_404(supervisor_id)
    require("supervisors.registry.manage", sup)
    data = SupervisorRenewSchema().load(request.get_json(silent=True) or {})
    supervisors.renew(current_user, sup, data.get("reason"))
    db.session.commit()
    return ok(_dump(SupervisorSchema(), sup), 201)


@bp.post("/supervisors/<int:supervisor_id>/status")
@doc("Suspend, reinstate or revoke, with a reason; a supervisor suspended or revoked steps aside from live trades",
     SupervisorStatusActionSchema, SupervisorSchema(), 201)
def change_social_supervisor_status(supervisor_id: int):
    sup = supervisor_or_404(supervisor_id)
    require("supervisors.registry.manage", sup)
    data = SupervisorStatusActionSchema().load(json_body())
    supervisors.change_status(current_user, sup, data["action"], data["reason"])
    db.session.commit()
    return ok(_dump(SupervisorSchema(), sup), 201)


@bp.get("/supervisors/<int:supervisor_id>/certificate.pdf")
@doc("The certificate (社会监督员证书) as a PDF", None, None)
def get_social_supervisor_certificate(supervisor_id: int):
    from monitor.supervisors.pdf import render_certificate

    sup = supervisor_or_404(supervisor_id)
    require("supervisors.entry.view", sup)
    return Response(render_certificate(sup), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="certificate-{sup.certificate_no}.pdf"'})


# ---- a trade's supervision --------------------------------------------------------------------------

@bp.get("/trades/<int:trade_id>/supervision")
@doc("Drawn supervisors, draws (with their audit entries, to replay), recusals, sign-offs and what is missing",
     None, TradeSupervisionSchema())
def get_trade_supervision(trade_id: int):
    trade = trade_or_404(trade_id)
    require("supervisors.trade.view", trade)
    return ok(supervision_view(trade))


@bp.post("/trades/<int:trade_id>/supervision/draws")
@doc("Fix a round of the draw for the places the trade still lacks (decision branch); the tick draws it", None, SupervisorDrawSchema(), 201,
     bodyless=True)
def create_supervisor_draw(trade_id: int):
    trade = trade_or_404(trade_id)
    require("supervisors.trade.draw", trade)
    row = supervisor_draws.draw_for_trade(trade, current_user, trigger="manual")
    db.session.commit()
    return ok(draw_json(row), 201)


@bp.post("/trades/<int:trade_id>/supervision/draws/<int:round_no>/commitments")
@doc("Commit to a contribution to a fixed round's seed (supervisors of the centre; docs/draws.md)",
     DrawCommitmentSchema, DrawContributionSchema(), 201)
def commit_to_supervisor_draw(trade_id: int, round_no: int):
    trade = trade_or_404(trade_id)
    require("supervisors.trade.contribute", trade)
    data = DrawCommitmentSchema().load(json_body())
    row = rounds.commit(current_user, trade, round_no, data["commitment"])
    db.session.commit()
    return ok(_dump(DrawContributionSchema(), row), 201)


@bp.post("/trades/<int:trade_id>/supervision/draws/<int:round_no>/reveals")
@doc("Reveal a committed contribution once the round's beacon is signed; the last reveal runs the draw",
     DrawRevealSchema, DrawContributionSchema(), 201)
def reveal_to_supervisor_draw(trade_id: int, round_no: int):
    trade = trade_or_404(trade_id)
    require("supervisors.trade.contribute", trade)
    data = DrawRevealSchema().load(json_body())
    row = rounds.reveal(current_user, trade, round_no, data["reveal"])
    db.session.commit()
    return ok(_dump(DrawContributionSchema(), row), 201)


@bp.post("/trades/<int:trade_id>/supervision/conflicts")
@doc("A drawn supervisor declares a conflict and steps aside; a replacement is drawn", SupervisorReasonSchema,
     DrawnSupervisorSchema(), 201)
def declare_supervisor_conflict(trade_id: int):
    trade = trade_or_404(trade_id)
    require("supervisors.trade.declare", trade)
    data = SupervisorReasonSchema().load(json_body())
    row = supervisor_draws.declare_conflict(current_user, trade, data["reason"])
    db.session.commit()
    return ok(_dump(DrawnSupervisorSchema(), row), 201)


@bp.post("/trades/<int:trade_id>/supervision/recusals")
@doc("A decider sets a drawn supervisor aside, with a reason; a replacement is drawn", SupervisorRecusalSchema,
     DrawnSupervisorSchema(), 201)
def recuse_drawn_supervisor(trade_id: int):
    trade = trade_or_404(trade_id)
    require("supervisors.trade.recuse", trade)
    data = SupervisorRecusalSchema().load(json_body())
    row = supervisor_draws.recuse(current_user, trade, data["drawn_id"], data["reason"])
    db.session.commit()
    return ok(_dump(DrawnSupervisorSchema(), row), 201)


@bp.post("/trades/<int:trade_id>/supervision/signoffs")
@doc("Sign a stage (opening_record, evaluation_report, award) or record a dissent (drawn supervisors)",
     SupervisorSignOffCreateSchema, SupervisorSignOffSchema(), 201)
def create_supervisor_signoff(trade_id: int):
    trade = trade_or_404(trade_id)
    require("supervisors.trade.sign", trade)
    data = SupervisorSignOffCreateSchema().load(json_body())
    row = signoffs.sign_off(current_user, trade, data["stage"], data["decision"], data.get("reason"),
                            data.get("statement"), data.get("signature"))
    db.session.commit()
    return ok(_dump(SupervisorSignOffSchema(), row), 201)


@bp.get("/trades/<int:trade_id>/supervision/record.pdf")
@doc("The trade's supervision record (监督记录) as a PDF", None, None)
def get_supervision_record_pdf(trade_id: int):
    from monitor.supervisors.pdf import render_supervision_record

    trade = trade_or_404(trade_id)
    require("supervisors.trade.view", trade)
    return Response(render_supervision_record(trade), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="supervision-record-{trade.ref}.pdf"'})
