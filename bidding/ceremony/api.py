"""Opening-ceremony API routes (registered on the sealed-bid API blueprint)."""
from __future__ import annotations

import base64
from datetime import datetime

from flask import Response, abort, jsonify
from flask_login import current_user
from marshmallow import Schema, fields, validate

from bidding.blueprints import api_bp as bp
from bidding.ceremony import services
from bidding.ceremony.models import Objection
from bidding.keyholders.schemas import ReleaseSchema, SealedShareSchema, hex_bytes
from bidding.keyholders.services import refuse_passphrase
from trading.api import json_body as _json, trade_or_404 as _trade
from trading.api.openapi import doc
from trading.extensions import db
from trading.permissions import require
from trading.schemas import LoadSchema, field
from trading.signing.schemas import SignedFieldsSchema


class TextSchema(LoadSchema):
    text = field(fields.String, required=True, validate=validate.Length(min=1, max=services.MAX_TEXT))


class SignSchema(SignedFieldsSchema):
    """The dissent, and the statement (POST /api/v1/signing/statements, kind opening-record) with the
    supervisor's own signature over it."""

    dissent = field(fields.String, allow_none=True, load_default=None, validate=validate.Length(max=services.MAX_TEXT))


class CeremonySchema(Schema):
    """The live state (see bidding.ceremony.ceremony_view for who sees what)."""

    trade_ref = fields.String()
    state = fields.String()
    started = fields.Boolean()
    started_at = fields.AwareDateTime(allow_none=True)
    finished_at = fields.AwareDateTime(allow_none=True)
    opening_at = fields.AwareDateTime(allow_none=True)
    outcome = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    sides = fields.Dict()
    releases = fields.List(fields.Dict())
    objections = fields.List(fields.Dict())
    entries = fields.List(fields.Dict(), allow_none=True)
    signatures = fields.List(fields.Dict())
    record_sha256 = fields.String(allow_none=True)
    timed_out_at = fields.AwareDateTime(allow_none=True)
    times_out_at = fields.AwareDateTime(allow_none=True)
    exits = fields.List(fields.Dict())


class ReleaseOutSchema(Schema):
    keyholder_id = fields.Integer()
    released_at = fields.AwareDateTime()


class ObjectionSchema(Schema):
    id = fields.Integer()
    text = fields.String()
    at = fields.AwareDateTime()
    answer = fields.String(allow_none=True)
    answered_at = fields.AwareDateTime(allow_none=True)


class SignatureSchema(Schema):
    supervisor = fields.Function(lambda s: s.user.display_name)
    record_sha256 = fields.String()
    signed_at = fields.AwareDateTime()
    dissent = fields.String(allow_none=True)
    statement = fields.String(allow_none=True, metadata={"description": "the exact statement signed"})
    signature = fields.Function(lambda s: base64.b64encode(s.signature).decode() if s.signature else None,
                                metadata={"description": "ECDSA P-256 r || s over the statement, base64"})
    key_fingerprint = fields.String(allow_none=True)
    #: only a drawn, non-recused supervisor's or an appointed keyholder's signature counts
    counts = fields.Function(lambda s: services.eligible_signer(s.ceremony.trade, s.user_id))


class ReasonSchema(LoadSchema):
    reason = field(fields.String, required=True, validate=validate.Length(min=1, max=services.MAX_TEXT))


class PostponeSchema(ReasonSchema):
    opening_at = field(fields.AwareDateTime, required=True)


class ExitSchema(Schema):
    kind = fields.Function(lambda e: e.kind.value)
    reason = fields.String()
    at = fields.AwareDateTime()
    shares_erased = fields.Integer()
    old_opening_at = fields.AwareDateTime(allow_none=True)
    new_opening_at = fields.AwareDateTime(allow_none=True)


class OpeningRecordSchema(Schema):
    record = fields.Dict()
    sha256 = fields.String()
    canonical = fields.String()
    signatures = fields.List(fields.Dict())


def _plain(value):
    """Datetimes as ISO 8601 (Flask would write them as HTTP dates) inside the free-form state."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _state(trade):
    return jsonify(_plain(services.ceremony_view(current_user, trade)))


@bp.post("/trades/<int:trade_id>/ceremony")
@doc("Start the opening ceremony (executing staff, not before the opening time)", None, CeremonySchema, 201)
def start_ceremony(trade_id: int):
    trade = _trade(trade_id)
    require("ceremony.run", trade)
    services.start_ceremony(current_user, trade)
    db.session.commit()
    return _state(trade), 201


@bp.get("/trades/<int:trade_id>/ceremony")
@doc("The ceremony as it happens: releases per side against the thresholds, objections, results",
     None, CeremonySchema)
def get_ceremony(trade_id: int):
    trade = _trade(trade_id)
    require("ceremony.view", trade)
    return _state(trade)


@bp.get("/trades/<int:trade_id>/ceremony/share")
@doc("Your sealed share, its context and your wrapped key, for your own machine to open (keyholders, "
     "once the opening has started)", None, SealedShareSchema)
def get_sealed_share(trade_id: int):
    trade = _trade(trade_id)
    require("ceremony.release", trade)
    response = jsonify(SealedShareSchema().dump(services.sealed_share_for(current_user, trade)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/trades/<int:trade_id>/ceremony/shares")
@doc("Release your share of the opening key: the share your own machine opened (keyholders; a request "
     "with a passphrase is 410)", ReleaseSchema, ReleaseOutSchema, 201)
def release_share(trade_id: int):
    trade = _trade(trade_id)
    require("ceremony.release", trade)
    body = _json()
    refuse_passphrase(body)
    data = ReleaseSchema().load(body)
    row = services.release_share(current_user, trade, hex_bytes(data["share"]))
    db.session.commit()
    return jsonify(ReleaseOutSchema().dump(row)), 201


@bp.post("/trades/<int:trade_id>/ceremony/complete")
@doc("Rebuild the key, open every bid and write the opening record (executing staff)", None, CeremonySchema)
def complete_ceremony(trade_id: int):
    trade = _trade(trade_id)
    require("ceremony.run", trade)
    services.complete_ceremony(current_user, trade)
    db.session.commit()
    return _state(trade)


@bp.post("/trades/<int:trade_id>/ceremony/restart")
@doc("Restart a stalled opening: the held shares are erased, keyholders release again (executing staff)",
     ReasonSchema, ExitSchema, 201)
def restart_ceremony(trade_id: int):
    trade = _trade(trade_id)
    require("ceremony.restart", trade)
    data = ReasonSchema().load(_json())
    row = services.restart_ceremony(current_user, trade, data["reason"])
    db.session.commit()
    return jsonify(ExitSchema().dump(row)), 201


@bp.post("/trades/<int:trade_id>/ceremony/fail")
@doc("Fail a stalled opening (流标) with a reason; the held shares are erased (decision branch)",
     ReasonSchema, ExitSchema, 201)
def fail_opening(trade_id: int):
    trade = _trade(trade_id)
    require("ceremony.decide", trade)
    data = ReasonSchema().load(_json())
    row = services.fail_opening(current_user, trade, data["reason"])
    db.session.commit()
    return jsonify(ExitSchema().dump(row)), 201


@bp.post("/trades/<int:trade_id>/ceremony/postpone")
@doc("Postpone a stalled opening to a new time, announced in a notice; the held shares are erased "
     "(decision branch)", PostponeSchema, ExitSchema, 201)
def postpone_opening(trade_id: int):
    trade = _trade(trade_id)
    require("ceremony.decide", trade)
    data = PostponeSchema().load(_json())
    row = services.postpone_opening(current_user, trade, data["reason"], data["opening_at"])
    db.session.commit()
    return jsonify(ExitSchema().dump(row)), 201


@bp.post("/trades/<int:trade_id>/ceremony/objections")
@doc("Raise an objection during the opening (bidders in it)", TextSchema, ObjectionSchema, 201)
def lodge_objection(trade_id: int):
    trade = _trade(trade_id)
    require("ceremony.object", trade)
    data = TextSchema().load(_json())
    row = services.lodge_objection(current_user, trade, data["text"])
    db.session.commit()
    return jsonify(ObjectionSchema().dump(row)), 201


@bp.post("/trades/<int:trade_id>/ceremony/objections/<int:objection_id>/answer")
@doc("Answer an objection (executing staff)", TextSchema, ObjectionSchema)
def answer_objection(trade_id: int, objection_id: int):
    trade = _trade(trade_id)
    require("ceremony.answer", trade)
    objection = db.session.get(Objection, objection_id)
    if objection is None or objection.ceremony.trade_id != trade.id:
        abort(404)
    data = TextSchema().load(_json())
    services.answer_objection(current_user, objection, data["text"])
    db.session.commit()
    return jsonify(ObjectionSchema().dump(objection))


@bp.post("/trades/<int:trade_id>/ceremony/signatures")
@doc("Sign the opening record, with a dissent if any (supervisors)", SignSchema, SignatureSchema, 201)
def sign_record(trade_id: int):
    trade = _trade(trade_id)
    require("ceremony.sign", trade)
    data = SignSchema().load(_json())
    row = services.sign_record(current_user, trade, data.get("dissent"), data.get("statement"), data.get("signature"))
    db.session.commit()
    return jsonify(SignatureSchema().dump(row)), 201


def _record_or_404(trade):
    require("trade.view", trade)
    found = services.opening_record(trade)
    if found is None:
        abort(404)
    return found


@bp.get("/trades/<int:trade_id>/opening-record")
@doc("The opening record (public once the bids are opened): the canonical JSON and its SHA-256",
     None, OpeningRecordSchema, auth=False)
def get_opening_record(trade_id: int):
    trade = _trade(trade_id)
    record, sha256 = _record_or_404(trade)
    ceremony = services.ceremony_of(trade)
    return jsonify({"record": record, "sha256": sha256, "canonical": ceremony.record,
                    "signatures": [_plain(SignatureSchema().dump(s)) for s in ceremony.signatures]})


@bp.get("/trades/<int:trade_id>/opening-record.pdf")
@doc("The opening record as a PDF (开标记录), with the supervisors' signatures", None, None, auth=False)
def get_opening_record_pdf(trade_id: int):
    from bidding.ceremony.record_pdf import render_opening_record

    trade = _trade(trade_id)
    record, sha256 = _record_or_404(trade)
    pdf = render_opening_record(record, sha256, services.ceremony_of(trade))
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="opening-record-{trade.ref}.pdf"'})
