"""Schemas of the key-custody API: keyholders, personal keys, the opening key (load and dump kept apart)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from bidding.keyholders.keys import personal_fingerprint

from trading.schemas import LoadSchema, field, id_field


def published_holder_keys(key) -> list[dict]:
    """Side and personal-key fingerprint of each share, in the order the notice lists them (no names)."""
    order = {"execute": 0, "supervise": 1}
    shares = sorted(key.shares, key=lambda s: (order[s.side.value], s.id))
    return [{"side": s.side.value, "fingerprint": s.holder_fingerprint} for s in shares]


class AppointKeyholdersSchema(LoadSchema):
    execute = field(fields.List, id_field(), required=True, validate=validate.Length(min=1, max=20))
    supervise = field(fields.List, id_field(), required=True,
                      validate=validate.Length(min=1, max=20))


HEX = validate.Regexp(r"^(?:[0-9a-fA-F]{2})*$", error=_l("must be hexadecimal bytes"))


def hex_bytes(value: str | None) -> bytes | None:
    return None if value is None else bytes.fromhex(value)


class EnrolSchema(LoadSchema):
    """A personal key made on the holder's machine: the public key and, optionally, the private key
    wrapped there under the passphrase (keys.py's version 2 blob). Never the passphrase."""
    public_key = field(fields.String, required=True, validate=[validate.Length(equal=130), HEX])
    wrapped_key = field(fields.String, load_default=None, allow_none=True,
                        validate=[validate.Length(max=1024), HEX])


class ReleaseSchema(LoadSchema):
    """The share the holder's machine opened: the 72-byte share encoding, in hex."""
    share = field(fields.String, required=True, validate=[validate.Length(max=1024), HEX])


class SealedShareSchema(Schema):
    """What the holder's machine needs to open its share (shares.sealed_share_for)."""
    trade_ref = fields.String()
    side = fields.String()
    opening_key_fingerprint = fields.String()
    context = fields.String()
    sealed_share = fields.String()
    holder_public_key = fields.String()
    holder_fingerprint = fields.String()
    wrapped_key = fields.String(allow_none=True)
    key_origin = fields.String()


class KeyholderSchema(Schema):
    user_id = fields.Integer()
    name = fields.Function(lambda k: k.user.display_name)
    side = fields.Function(lambda k: k.side.value)
    enrolled = fields.Boolean()


class PersonalKeySchema(Schema):
    public_key = fields.Function(lambda p: p.public_key.hex())
    fingerprint = fields.Function(lambda p: personal_fingerprint(p.public_key))
    wrapped_key_kept = fields.Function(lambda p: p.protected_key is not None)
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
    keyholder_keys = fields.Function(lambda k: published_holder_keys(k), metadata={
        "description": "each keyholder's personal public key fingerprint, as published with the notice"})
