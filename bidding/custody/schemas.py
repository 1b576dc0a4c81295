"""Schemas of the custody API (load and dump kept apart)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from trading.schemas import LoadSchema, field


class KeptDocumentSchema(Schema):
    """A kept document as a permitted reader sees it (never the wrapped key)."""

    id = fields.Integer()
    bidder = fields.Function(lambda d: d.organisation.name)
    name = fields.String()
    size = fields.Integer()
    sha256 = fields.String(metadata={"description": "SHA-256 of the plaintext, as the opening record binds it"})
    kept_at = fields.AwareDateTime()
    retain_until = fields.AwareDateTime()


class KeptListSchema(Schema):
    basis = fields.String(metadata={"description": "committee | tenderer | complaint: your ground for reading"})
    documents = fields.List(fields.Nested(KeptDocumentSchema))


class ComplaintReviewCreateSchema(LoadSchema):
    supervisor_id = field(fields.Integer, required=True)
    complaint_ref = field(fields.String, required=True, validate=validate.Length(min=1, max=200))


class ComplaintReviewSchema(Schema):
    id = fields.Integer()
    trade_id = fields.Integer()
    supervisor_id = fields.Integer()
    complaint_ref = fields.String()
    assigned_at = fields.AwareDateTime()
    closed_at = fields.AwareDateTime(allow_none=True)
