"""Load and dump schemas of signing keys and statements."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from trading.schemas import LoadSchema, field


class KeyCreateSchema(LoadSchema):
    public_key = field(fields.String, required=True, validate=validate.Length(min=40, max=2000),
                       metadata={"description": "ECDSA P-256 public key: PEM, or base64 of the DER SubjectPublicKeyInfo"})
    label = field(fields.String, load_default=None, allow_none=True, validate=validate.Length(max=100))


class KeyRevokeSchema(LoadSchema):
    reason = field(fields.String, load_default=None, allow_none=True, validate=validate.Length(max=2000))


class StatementRequestSchema(LoadSchema):
    """What the signer is about to sign; the kind's own fields say which act."""

    kind = field(fields.String, required=True, validate=validate.Length(max=32),
                 metadata={"description": "opening-record, sign-off or checkpoint"})
    trade_id = field(fields.Integer, load_default=None, allow_none=True, strict=True)
    checkpoint_id = field(fields.Integer, load_default=None, allow_none=True, strict=True)
    stage = field(fields.String, load_default=None, allow_none=True, validate=validate.Length(max=32))
    decision = field(fields.String, load_default=None, allow_none=True, validate=validate.Length(max=16))
    dissent = field(fields.String, load_default=None, allow_none=True, validate=validate.Length(max=4000))


class SignedFieldsSchema(LoadSchema):
    """Mixed into the requests that store a signed act: the statement and the signer's signature over it."""

    statement = field(fields.String, load_default=None, allow_none=True, validate=validate.Length(max=20000),
                      metadata={"description": "the exact statement (canonical JSON) from POST /api/v1/signing/statements"})
    signature = field(fields.String, load_default=None, allow_none=True, validate=validate.Length(max=200),
                      metadata={"description": "base64 of the ECDSA P-256 signature r || s (64 bytes)"})


class StatementSchema(Schema):
    statement = fields.String(metadata={"description": "the exact bytes to sign (UTF-8)"})
    fingerprint = fields.String()


class SigningKeySchema(Schema):
    fingerprint = fields.String()
    alg = fields.String()
    user_id = fields.Integer()
    user = fields.String(allow_none=True)
    public_key = fields.String(metadata={"description": "base64 of the DER SubjectPublicKeyInfo"})
    created_at = fields.String()
    valid_from = fields.String()
    valid_until = fields.String(allow_none=True)
    revoked_at = fields.String(allow_none=True)
    revoked_reason = fields.String(allow_none=True)
