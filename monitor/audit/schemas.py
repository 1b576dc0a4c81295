"""Dump schemas of the audit API (what the OpenAPI document publishes); the only load schema is the query."""
from __future__ import annotations

from marshmallow import Schema, fields

from trading.signing.schemas import SignedFieldsSchema


class CheckpointSchema(Schema):
    id = fields.Integer()
    size = fields.Integer(metadata={"description": "number of entries the checkpoint covers"})
    root = fields.String(metadata={"description": "RFC 9162 root hash, hex"})
    at = fields.String()
    reason = fields.String(metadata={"description": "schedule, export, move:<name>, manual"})
    body = fields.String(metadata={"description": "the exact signed bytes (canonical JSON)"})
    key_id = fields.String()
    signature = fields.String(metadata={"description": "Ed25519 over body, base64"})
    countersignatures = fields.List(fields.Dict())


class AuditKeySchema(Schema):
    alg = fields.String()
    public_key = fields.String(metadata={"description": "raw 32-byte Ed25519 key, base64"})
    key_id = fields.String()


class InclusionProofSchema(Schema):
    index = fields.Integer()
    size = fields.Integer()
    leaf_hash = fields.String()
    path = fields.List(fields.String())
    root = fields.String()


class ConsistencyProofSchema(Schema):
    first = fields.Integer()
    second = fields.Integer()
    first_root = fields.String()
    second_root = fields.String()
    proof = fields.List(fields.String())


class AuditEntrySchema(Schema):
    index = fields.Integer()
    leaf_hash = fields.String()
    entry = fields.Dict(metadata={"description": "the canonical entry, parsed"})
    body = fields.String(metadata={"description": "the exact hashed bytes"})


class CountersignSchema(SignedFieldsSchema):
    """A countersignature: the statement and the supervisor's own signature over it."""
