"""Schemas of the sealed reserve's API (dump only: sealing takes the raw envelope, releasing reuses the
keyholders' ReleaseSchema)."""
from __future__ import annotations

from marshmallow import Schema, fields


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
