"""Receipts (sign, verify, tamper) and the two command-line tools, run as subprocesses."""
from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bidding.crypto import envelope, receipt
from bidding.crypto.envelope_check import check_envelope
from tests.bidding.conftest import BIDDER, TRADE

ROOT = Path(__file__).resolve().parents[3]
CST = timezone(timedelta(hours=8))
PLATFORM = Ed25519PrivateKey.generate()


def fields(**over):
    base = {"trade": TRADE, "bidder": BIDDER, "version": 1, "sha256": "ab" * 32, "size": 1234,
            "received_at": datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=CST), "audit_index": 42}
    return {**base, **over}


def test_sign_and_verify():
    signed = receipt.sign_receipt(fields(), PLATFORM)
    assert signed["received_at"] == "2026-03-02T09:00:00.123+08:00"
    assert len(signed["key_id"]) == 32
    text = receipt.receipt_json(signed)
    assert text.startswith('{"audit_index":42,"bidder":')
    assert receipt.verify_receipt(text, PLATFORM.public_key())
    assert receipt.verify_receipt(json.dumps(signed, indent=2), PLATFORM.public_key())
    assert receipt.verify_receipt(receipt.sign_receipt(fields(audit_index=None), PLATFORM),
                                  PLATFORM.public_key())


@pytest.mark.parametrize("field, value", [
    ("trade", "GC-2026-0002"), ("bidder", "x"), ("version", 2), ("sha256", "ac" * 32),
    ("size", 1235), ("received_at", "2026-03-02T09:00:00.124+08:00"), ("audit_index", 43),
    ("key_id", "00" * 16), ("extra", "field"),
])
def test_tampered_receipts_fail(field, value):
    signed = receipt.sign_receipt(fields(), PLATFORM)
    signed[field] = value
    assert not receipt.verify_receipt(receipt.receipt_json(signed), PLATFORM.public_key())


def test_other_key_and_bad_signature():
    signed = receipt.sign_receipt(fields(), PLATFORM)
    other = Ed25519PrivateKey.generate().public_key()
    assert "another key" in receipt.receipt_problem(signed, other)
    flipped = dict(signed, signature=signed["signature"][:-4] + "AAA=")
    assert "altered" in receipt.receipt_problem(flipped, PLATFORM.public_key())
    assert receipt.receipt_problem("[1]", PLATFORM.public_key())
    assert receipt.receipt_problem("{", PLATFORM.public_key())


@pytest.mark.parametrize("over", [{"received_at": datetime(2026, 3, 2)}, {"sha256": "AB" * 32},
                                  {"version": 0}, {"size": True}, {"audit_index": -1}])
def test_sign_refuses_bad_fields(over):
    with pytest.raises(receipt.ReceiptError):
        receipt.sign_receipt(fields(**over), PLATFORM)


# --- command-line tools -----------------------------------------------------------------------

def run(module: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)


@pytest.fixture
def key_files(tmp_path, opening_key):
    pub = opening_key.public_key()
    pem = tmp_path / "opening.pem"
    pem.write_bytes(pub.public_bytes(serialization.Encoding.PEM,
                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    return pem, envelope.public_key_bytes(pub).hex()


def test_seal_cli_round_trip(tmp_path, opening_key, key_files):
    attachment = tmp_path / "技术方案.pdf"
    attachment.write_bytes(b"%PDF-1.7 " + bytes(5000))
    out = tmp_path / "bid.prsb"
    for key in key_files:
        done = run("bidding.seal", "--key", str(key), "--trade", TRADE, "--bidder", BIDDER,
                   "--version", "2", "--price", "4815000.00", "--field", "duration_days=360",
                   "--field", "quality=合格", "--file", str(attachment), "-o", str(out))
        assert done.returncode == 0, done.stderr
        assert envelope.fingerprint_hex(opening_key.public_key()) in done.stdout
        with out.open("rb") as fh:
            header = check_envelope(fh, TRADE, BIDDER, 2,
                                             envelope.fingerprint(opening_key.public_key()), 10**8)
        assert header.sha256.hex() in done.stdout
        plain = io.BytesIO()
        envelope.open_envelope(io.BytesIO(out.read_bytes()), opening_key, plain)
        form, files = envelope.decode_bid(io.BytesIO(plain.getvalue()))
        assert form == {"price": "4815000.00", "duration_days": "360", "quality": "合格"}
        assert files == [("技术方案.pdf", attachment.read_bytes())]


@pytest.mark.parametrize("args, message", [
    (["--price", "4815000.001"], "at most two decimals"),
    (["--price", "-5"], "at most two decimals"),
    (["--price", "0"], "greater than zero"),
    (["--price", "1", "--field", "novalue"], "name=value"),
    (["--price", "1", "--field", "price=2"], "given twice"),
    (["--price", "1", "--file", "/nonexistent/x.pdf"], "no such file"),
    (["--price", "1", "--version", "0"], "--version"),
    (["--price", "1", "--expect-fingerprint", "00" * 32], "not the expected"),
])
def test_seal_cli_errors(tmp_path, key_files, args, message):
    out = tmp_path / "bid.prsb"
    base = ["--key", str(key_files[0]), "--trade", TRADE, "--bidder", BIDDER, "-o", str(out)]
    if "--version" not in args:
        base += ["--version", "1"]
    done = run("bidding.seal", *base, *args)
    assert done.returncode == 1 and message in done.stderr and not out.exists()
    assert not list(tmp_path.glob(".sealing-*"))


def test_seal_cli_bad_key(tmp_path):
    done = run("bidding.seal", "--key", "zz", "--trade", TRADE, "--bidder", BIDDER, "--version", "1",
               "--price", "1.00", "-o", str(tmp_path / "b.prsb"))
    assert done.returncode == 1 and "--key" in done.stderr


def test_receipt_cli(tmp_path, seal_bytes):
    env = tmp_path / "bid.prsb"
    env.write_bytes(seal_bytes(b"bid"))
    digest, size = receipt.file_digest(env)
    signed = receipt.sign_receipt(fields(sha256=digest, size=size), PLATFORM)
    rec = tmp_path / "receipt.json"
    rec.write_text(receipt.receipt_json(signed), encoding="utf-8")
    pub = PLATFORM.public_key()
    pem = tmp_path / "platform.pem"
    pem.write_bytes(pub.public_bytes(serialization.Encoding.PEM,
                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    raw_hex = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
    for key in (str(pem), raw_hex):
        done = run("bidding.receipt", "verify", str(rec), key, "--envelope", str(env))
        assert done.returncode == 0 and done.stdout.startswith("OK"), done.stdout + done.stderr
    env.write_bytes(env.read_bytes() + b"x")
    done = run("bidding.receipt", "verify", str(rec), raw_hex, "--envelope", str(env))
    assert done.returncode == 1 and "bytes" in done.stdout
    rec.write_text(receipt.receipt_json(dict(signed, version=9)), encoding="utf-8")
    done = run("bidding.receipt", "verify", str(rec), raw_hex)
    assert done.returncode == 1 and done.stdout.startswith("FAILED")
    done = run("bidding.receipt", "verify", str(rec), "00")
    assert done.returncode == 1 and "32 bytes" in done.stdout


def test_seal_cli_accepts_the_published_fingerprint(tmp_path, opening_key, key_files):
    out = tmp_path / "bid.prsb"
    expected = envelope.fingerprint_hex(opening_key.public_key())
    done = run("bidding.seal", "--key", str(key_files[0]), "--trade", TRADE, "--bidder", BIDDER, "--version", "1",
               "--price", "1.00", "--expect-fingerprint", expected.upper(), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert out.exists() and expected in done.stdout
