"""Signing API under /api/v1/signing: the published keys, registering and revoking one's own, statements to sign."""
from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

import trading.signing.permissions  # noqa: F401  (signing.register)
from trading.api import bearer_only, json_body, no_store, ok
from trading.api.openapi import doc
from trading.extensions import db
from trading.permissions import require
from trading.signing import services
from trading.signing.schemas import (KeyCreateSchema, KeyRevokeSchema, SigningKeySchema, StatementRequestSchema,
                                     StatementSchema)

bp = Blueprint("signing_api", __name__, url_prefix="/api/v1/signing")
bp.before_request(bearer_only)
bp.after_request(no_store)


@bp.get("/keys")
@doc("Every person's published signing key, with its validity and any revocation", None,
     SigningKeySchema(many=True), auth=False)
def list_signing_keys():
    return ok([services.key_json(k) for k in services.published_keys()])


@bp.post("/keys")
@doc("Publish your signing key (made on your machine; only the public half is sent)", KeyCreateSchema,
     SigningKeySchema(), 201)
def create_signing_key():
    require("signing.register")
    data = KeyCreateSchema().load(json_body())
    row = services.register_key(current_user, data["public_key"], data.get("label"))
    db.session.commit()
    return ok(services.key_json(row), 201)


@bp.post("/keys/<fingerprint>/revoke")
@doc("Revoke one of your keys", KeyRevokeSchema, SigningKeySchema())
def revoke_signing_key(fingerprint: str):
    require("signing.register")
    data = KeyRevokeSchema().load(json_body())
    row = services.revoke_key(current_user, fingerprint[:64], data.get("reason"))
    db.session.commit()
    return ok(services.key_json(row))


@bp.post("/statements")
@doc("The exact statement to sign for an act (opening-record, sign-off, checkpoint)", StatementRequestSchema,
     StatementSchema())
def create_signing_statement():
    require("signing.register")
    data = StatementRequestSchema().load(json_body())
    return ok(statement_json(data))


def statement_json(data: dict) -> dict:
    kind = data.pop("kind")
    body = services.issue(current_user, kind, {k: v for k, v in data.items() if v is not None})
    key = services.key_in_force(current_user.id)
    return {"statement": body.decode("utf-8"), "fingerprint": key.fingerprint}
