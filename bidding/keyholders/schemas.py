"""Schemas of the key-custody API: keyholders, personal keys, the opening key (load and dump kept apart)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from trading.schemas import LoadSchema, field


class AppointKeyholdersSchema(LoadSchema):
    execute = field(fields.List, fields.Integer(strict=True), required=True, validate=validate.Length(min=1, max=20))
    supervise = field(fields.List, fields.Integer(strict=True), required=True,
                      validate=validate.Length(min=1, max=20))


class EnrolSchema(LoadSchema):
    passphrase = field(fields.String, required=True, load_only=True, validate=validate.Length(max=1024))


class KeyholderSchema(Schema):
    user_id = fields.Integer()
    name = fields.Function(lambda k: k.user.display_name)
    side = fields.Function(lambda k: k.side.value)
    enrolled = fields.Boolean()


class PersonalKeySchema(Schema):
    public_key = fields.Function(lambda p: p.public_key.hex())
    created_at = fields.AwareDateTime()


class OpeningKeySchema(Schema):
    trade_ref = fields.String()
    public_key = fields.Function(lambda k: k.public_key.hex())
    fingerprint = fields.String()
    suite = fields.Constant("HPKE DHKEM(P-256, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM")
    format = fields.Constant("PRSB v1 (docs/sealed-bid-format.md)")
    execute_threshold = fields.Integer()
    supervise_threshold = fields.Integer()
    created_at = fields.AwareDateTime()
