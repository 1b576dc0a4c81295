"""The published test vector: rebuilt byte for byte, opened, and the HPKE reference checked."""
from __future__ import annotations

import base64
import hashlib
import io
import json

import pytest

from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import ec

from bidding.crypto import envelope
from tests.bidding.crypto import hpke_reference as ref
from tests.bidding.crypto.make_vector import VECTOR_PATHS, build_vector
from bidding.crypto.envelope_check import check_envelope

VECTORS = {v: json.loads(path.read_text(encoding="utf-8")) for v, path in VECTOR_PATHS.items()}


def _private(hex_scalar: str) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int(hex_scalar, 16), ec.SECP256R1())


def test_hpke_reference_matches_published_vector():
    """DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode: a vector from the CFRG HPKE
    draft repository (same algorithm as RFC 9180; RFC 9180 A.3 prints another random draw).
    The AES-256-GCM suite differs only in aead_id and key length."""
    sk_e = ref.derive_key_pair(bytes.fromhex(
        "80fdbddefe3f492781744066e5dc6de5d45fe13733894417a5db66c755f8f7f1"))
    sk_r = ref.derive_key_pair(bytes.fromhex(
        "e8c888795334a26f9d31d2aad14827a8d585c04122daff292095497a00be953e"))
    assert sk_e.private_numbers().private_value == int(
        "c13f314da45f296215553cb08736cc542aeb13f211c9632f232a82ec843a78cc", 16)
    assert sk_r.private_numbers().private_value == int(
        "6f14a20f859eb121acc2dd77b8718b2da5fa6a38674d93cfc74e57cd5d4ae51f", 16)
    info = bytes.fromhex("4f6465206f6e2061204772656369616e2055726e")
    shared, enc = ref.encap(sk_r.public_key(), sk_e)
    assert enc.hex() == ("04987cd3d8ca7b11f4c05688b9ccc569210ee5ed3ec3629e1615ba2b6f4834ced3"
                         "5da40bdcc786e1c523e4dab1794d540cae4a565aceef24685e64d646a067b385")
    assert shared.hex() == "44a7bc0b3dad29cf35610d43e8b6a3bde6427ef3d10c1183b815c85733f7ffbe"
    ks = ref.key_schedule(shared, info, ref.AEAD_AES128GCM)
    assert ks["key_schedule_context"].hex() == (
        "00b88d4e6d91759e65e87c470e8b9141113e9ad5f0c8ceefc1e088c82e6980500798e486f9c9"
        "c09c9b5c753ac72d6005de254c607d1b534ed11d493ae1c1d9ac85")
    assert ks["secret"].hex() == "f1072d9c35101c27ee0820aac493544b355910e2b05361ddbf37cc184f03d843"
    assert ks["key"].hex() == "d481191a63ab00c15e5944bf8f202673"
    assert ks["base_nonce"].hex() == "d4f41cfeff8942fc569941f0"
    sealed = ref.seal(sk_r.public_key(), info, b"Count-0", b"Beauty is truth, truth beauty", sk_e,
                      ref.AEAD_AES128GCM)
    assert sealed[65:].hex() == ("d5b8fcd4d6ef4e70652130d0a976b699b94880714f9392cf818031e3a51d"
                                 "c938987504d6c12e91f4936ea039a2")


def test_hpke_reference_interoperates_with_cryptography():
    suite = hpke.Suite(hpke.KEM.P256, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
    for i in range(5):
        sk_r, sk_e = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
        pt, info = bytes([i]) * 32, b"info %d" % i
        assert suite.decrypt(ref.seal(sk_r.public_key(), info, b"", pt, sk_e), sk_r, info=info) == pt
        assert ref.open_(sk_r, info, b"", suite.encrypt(pt, sk_r.public_key(), info=info)) == pt


@pytest.mark.parametrize("fmt", sorted(VECTORS))
def test_vector_file_is_what_the_generator_makes(fmt):
    assert build_vector(fmt) == VECTORS[fmt]


@pytest.mark.parametrize("fmt", sorted(VECTORS))
def test_vector_rebuilt_from_its_own_fields(fmt):
    vector = VECTORS[fmt]
    opening = _private(vector["opening_private_key"])
    public = opening.public_key()
    assert envelope.public_key_bytes(public).hex() == vector["opening_public_key"]
    assert envelope.fingerprint_hex(public) == vector["fingerprint"]
    plaintext = b"".join(envelope.encode_bid(
        vector["form"], [(f["name"], bytes.fromhex(f["data"])) for f in vector["files"]]))
    assert plaintext.hex() == vector["plaintext"]
    bound = envelope.build_bound_header(vector["trade_ref"], vector["bidder_id"], vector["version"],
                                        bytes.fromhex(vector["fingerprint"]), vector["chunk_size"],
                                        format_version=fmt, plaintext_size=len(plaintext) if fmt >= 2 else None)
    assert bound.hex() == vector["bound_header"]
    assert bound[4] == fmt
    file_key = bytes.fromhex(vector["file_key"])
    sealed = ref.seal(public, bound, b"", file_key, _private(vector["hpke_ephemeral_private_key"]))
    assert sealed.hex() == vector["sealed_key"]
    out = io.BytesIO()
    envelope.write_envelope(io.BytesIO(plaintext), bound_header=bound, file_key=file_key,
                            sealed_key=sealed, out=out)
    assert out.getvalue().hex() == vector["envelope"]


def test_v2_vector_declares_its_body_and_digest():
    """The bound header ends with the body length and chunk count (8 bytes each), right after C."""
    vector = VECTORS[2]
    env, bound = bytes.fromhex(vector["envelope"]), bytes.fromhex(vector["bound_header"])
    header_len = len(bound) + 2 + 113
    body_length, chunks = int.from_bytes(bound[-16:-8], "big"), int.from_bytes(bound[-8:], "big")
    assert int.from_bytes(bound[-20:-16], "big") == vector["chunk_size"]
    assert (body_length, chunks) == (len(env) - header_len, vector["chunks"]) == (vector["body_length"], 3)
    assert body_length == len(bytes.fromhex(vector["plaintext"])) + 16 * chunks
    assert vector["content_digest"] == "sha-256=:" + base64.b64encode(hashlib.sha256(env).digest()).decode() + ":"
    header = check_envelope(io.BytesIO(env), vector["trade_ref"], vector["bidder_id"], vector["version"],
                            vector["fingerprint"], len(env))
    assert header.sha256.hex() == vector["envelope_sha256"]
    assert header.header_hash.hex() == vector["header_hash"]


@pytest.mark.parametrize("fmt", sorted(VECTORS))
def test_vector_opens(fmt):
    """Both formats open: bids stored as version 1 before version 2 existed stay openable."""
    vector = VECTORS[fmt]
    env = bytes.fromhex(vector["envelope"])
    opening = _private(vector["opening_private_key"])
    header = envelope.parse_header(io.BytesIO(env))
    assert header.format_version == fmt
    assert header.header_hash.hex() == vector["header_hash"]
    suite = hpke.Suite(hpke.KEM.P256, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
    assert suite.decrypt(header.sealed_key, opening, info=header.bound_header).hex() == vector["file_key"]
    out = io.BytesIO()
    envelope.open_envelope(io.BytesIO(env), opening, out)
    assert out.getvalue().hex() == vector["plaintext"]
    form, files = envelope.decode_bid(io.BytesIO(out.getvalue()))
    assert form == vector["form"] and files[0][0] == vector["files"][0]["name"]
