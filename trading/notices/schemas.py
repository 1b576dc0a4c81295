"""Notice, document, download and clarification schemas (load and dump kept apart)."""
from __future__ import annotations

from flask import url_for
from marshmallow import Schema, fields, validate

from trading.schemas import LoadSchema, field


class NoticeSchema(Schema):
    id = fields.Integer()
    trade_id = fields.Integer()
    trade_ref = fields.Function(lambda n: n.trade.ref)
    kind = fields.Function(lambda n: n.kind.value)
    title = fields.String(attribute="shown_title")  # in the reader's language (trading.texts)
    body = fields.String(attribute="shown_body")
    published_at = fields.AwareDateTime()


class DocumentSchema(Schema):
    id = fields.Integer()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_at = fields.AwareDateTime()
    url = fields.Function(lambda d: url_for("api.download_document", trade_id=d.trade_id, doc_id=d.id,
                                            _external=True))


class DownloadSchema(Schema):
    document_id = fields.Integer()
    user = fields.Function(lambda d: d.user.display_name if d.user else None)
    organisation = fields.Function(lambda d: d.organisation.name if d.organisation else None)
    contact_email = fields.String(allow_none=True)
    at = fields.AwareDateTime()


class ClarificationCreateSchema(LoadSchema):
    title = field(fields.String, required=True, validate=validate.Length(min=1, max=250))
    body = field(fields.String, required=True, validate=validate.Length(min=1, max=50000))


class ClarificationSchema(Schema):
    number = fields.Integer()
    title = fields.String()
    body = fields.String()
    published_at = fields.AwareDateTime()
    old_deadline = fields.AwareDateTime(allow_none=True)
    new_deadline = fields.AwareDateTime(allow_none=True)


class ClarificationStaffSchema(ClarificationSchema):
    """For the staff who published it: how many downloaders were told. The number of downloaders is
    as confidential as their names (O20 Art 21, Law 22), so the public schema leaves it out."""

    notified = fields.Integer()
