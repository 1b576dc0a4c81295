"""Schemas of the sealed reserve's API (sealing takes the raw envelope, releasing reuses the keyholders'
ReleaseSchema; signing the record has its own load schema)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from trading.schemas import LoadSchema, field

MAX_DISSENT = 4000


class ReserveSignLoadSchema(LoadSchema):
    """A supervisor's signature on the reserve record: the statement from POST /api/v1/signing/statements
    (kind reserve-record), their signature over it, and the same dissent the statement carries."""

    dissent = field(fields.String, load_default=None, allow_none=True, validate=validate.Length(max=MAX_DISSENT))
    statement = field(fields.String, required=True, validate=validate.Length(min=1, max=20000))
    signature = field(fields.String, required=True, validate=validate.Length(min=1, max=200))


class ReserveSignatureSchema(Schema):
    """One supervisor's signature on the reserve's opening record."""

    user_id = fields.Integer()
    signer = fields.String()
    signed_at = fields.AwareDateTime()
    record_sha256 = fields.String()
    decision = fields.String(metadata={"description": "signed or dissent"})
    dissent = fields.String(allow_none=True)
    key = fields.String(allow_none=True, metadata={"description": "the fingerprint of the signer's key"})


class SealedReserveSchema(Schema):
    """One sealed reserve as stored: its number, its envelope's SHA-256 and size, the signed receipt."""

    seq = fields.Integer(metadata={"description": "1 for the first reserve, +1 for each replacement"})
    sha256 = fields.String()
    size = fields.Integer()
    sealed_at = fields.AwareDateTime(attribute="received_at")
    replaced_at = fields.AwareDateTime(allow_none=True)
    receipt = fields.String(metadata={"description": "the platform's signed receipt (canonical JSON; verify with "
                                                     "python -m bidding.receipt verify)"})


class ReserveHistorySchema(SealedReserveSchema):
    sealed_by = fields.String()
    sealed_at = fields.AwareDateTime()


class OpenedReserveSchema(Schema):
    reserve = fields.String(metadata={"description": "the reserve price in yuan, two decimals"})
    seq = fields.Integer()
    envelope_sha256 = fields.String()
    opened_at = fields.AwareDateTime()
    opened_by = fields.String()
    record_sha256 = fields.String()
    record = fields.String(metadata={"description": "the opening's record, canonical JSON (its SHA-256 is "
                                                    "record_sha256)"})
    signatures = fields.List(fields.Nested(ReserveSignatureSchema), metadata={
        "description": "the supervisors' own signatures on record_sha256 (kind reserve-record)"})


class SideSchema(Schema):
    threshold = fields.Integer()
    holders = fields.Integer()
    released = fields.Integer()


class ReleaseRowSchema(Schema):
    keyholder = fields.String()
    side = fields.String()
    released_at = fields.AwareDateTime()
    held = fields.Boolean()


class ReserveStateSchema(Schema):
    """Where the reserve stands (bidding.auctions.reserve.services.reserve_view): never the amount before the
    opening."""

    trade_ref = fields.String()
    state = fields.String()
    required = fields.Boolean()
    seal_deadline = fields.AwareDateTime(allow_none=True)
    sealing_open = fields.Boolean()
    opening_key = fields.String(allow_none=True, metadata={"description": "hex of the SEC1 P-256 point to seal to"})
    fingerprint = fields.String(allow_none=True)
    bidder_field = fields.String(metadata={"description": "the envelope header's bidder field of a reserve"})
    next_seq = fields.Integer(metadata={"description": "the version the next sealed reserve carries"})
    reserves = fields.List(fields.Nested(ReserveHistorySchema))
    pending = fields.String(allow_none=True, metadata={
        "description": "what the opening still waits for: listing_open, confirmation_open, round_running, "
                       "not_after_bidding; null once the last bid is in"})
    sides = fields.Dict(keys=fields.String(), values=fields.Nested(SideSchema))
    releases = fields.List(fields.Nested(ReleaseRowSchema))
    opened = fields.Nested(OpenedReserveSchema, allow_none=True)


class ReleasedSchema(Schema):
    keyholder_id = fields.Integer()
    released_at = fields.AwareDateTime()
