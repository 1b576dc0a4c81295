"""`python -m monitor.verify` checks the supervisors' signatures on a land sale's reserve record (table
auction_reserve_signatures, kind reserve-record) like those on a tender's opening record: intact it passes; a
signature forged or altered in the database or in the export, a statement altered, a row stored without one,
or a signed row deleted each make it fail (exit 1), naming the row."""
from __future__ import annotations

import base64
import json

import pytest
import sqlalchemy as sa

from bidding.auctions.reserve.models import ReserveSignature
from tests.bidding.auctions.conftest import LISTING_CLOSE, land, land_sale, listing, open_reserve, seal_reserve  # noqa: F401
from tests.monitor.verify.test_signatures import _export, _export_copy, _rows, _unlogged
from tests.monitor.verify.test_verify import _jsonl, copy_with, verify_cli
from tests.signing_helpers import signed
from trading.signing import statements as st

TABLE = "auction_reserve_signatures"


@pytest.fixture
def reserve_signed(db, client, listing, land, clock):  # noqa: F811
    """The reserve opened after the listing closed, its record signed by the supervising keyholder with a dissent."""
    from bidding.auctions.reserve import signatures

    trade, _regs = listing
    seal_reserve(land, trade)
    clock.freeze(LISTING_CLOSE)
    open_reserve(land, trade)
    sup = land["supervisor"]
    signatures.sign_reserve_record(sup, trade, "开启时未宣读信封哈希",
                                   **signed(sup, "reserve-record", trade_id=trade.id, dissent="开启时未宣读信封哈希"))
    db.session.commit()
    return client.get("/api/v1/audit/key").get_json()["public_key"]


def test_an_intact_reserve_signature_verifies(db, runner, reserve_signed, tmp_path):
    where = _export(runner, tmp_path / "export")
    rows = [r for r in _rows(where) if r["table"] == TABLE]
    assert len(rows) == 1 and rows[0]["statement"] and rows[0]["signature"] and rows[0]["key"]
    assert json.loads(rows[0]["statement"])["kind"] == "reserve-record"
    done = verify_cli(where, "--key", reserve_signed)
    assert done.returncode == 0, done.stdout
    assert "Signatures: 1 signed acts, 1 verified" in done.stdout


def test_a_reserve_signature_forged_in_the_database_fails(db, runner, reserve_signed, tmp_path):
    row = db.session.scalar(sa.select(ReserveSignature))
    forged = st.sign(st.generate(), row.statement.encode())  # well formed, over the same bytes, another key
    _unlogged(db, f"UPDATE {TABLE} SET signature = :sig WHERE id = :id", sig=forged, id=row.id)
    done = verify_cli(_export(runner, tmp_path / "export"), "--key", reserve_signed)
    assert done.returncode == 1
    assert f"{TABLE} row {row.id} (user {row.user_id}): the signature does not verify" in done.stdout, done.stdout


def test_a_reserve_statement_altered_in_the_database_fails(db, runner, reserve_signed, tmp_path):
    row = db.session.scalar(sa.select(ReserveSignature))
    altered = row.statement.replace("开启时未宣读信封哈希", "无异议")
    assert altered != row.statement
    _unlogged(db, f"UPDATE {TABLE} SET statement = :s, dissent = '无异议' WHERE id = :id", s=altered, id=row.id)
    done = verify_cli(_export(runner, tmp_path / "export"), "--key", reserve_signed)
    assert done.returncode == 1 and f"{TABLE} row {row.id}" in done.stdout, done.stdout
    assert "forged or altered" in done.stdout


def test_a_reserve_signature_missing_from_its_row_fails(db, runner, reserve_signed, tmp_path):
    row = db.session.scalar(sa.select(ReserveSignature))
    _unlogged(db, f"UPDATE {TABLE} SET signature = NULL, statement = NULL WHERE id = :id", id=row.id)
    done = verify_cli(_export(runner, tmp_path / "export"), "--key", reserve_signed)
    assert done.returncode == 1
    assert f"{TABLE} row {row.id} (user {row.user_id}): no signature" in done.stdout, done.stdout


def test_a_reserve_signature_deleted_or_forged_in_the_export_fails(db, runner, reserve_signed, tmp_path):
    where = _export(runner, tmp_path / "export")
    rows = _rows(where)
    mine = next(r for r in rows if r["table"] == TABLE)
    forged = [dict(r, signature=base64.b64encode(st.sign(st.generate(), r["statement"].encode())).decode())
              if r is mine else r for r in rows]
    done = verify_cli(copy_with(_export_copy(where, tmp_path, "forged"), tmp_path / "f",
                                signatures_jsonl=_jsonl(forged)), "--key", reserve_signed)
    assert done.returncode == 1 and f"{TABLE} row {mine['id']}" in done.stdout, done.stdout
    fewer = [r for r in rows if r is not mine]
    done = verify_cli(copy_with(_export_copy(where, tmp_path, "fewer"), tmp_path / "d",
                                signatures_jsonl=_jsonl(fewer)), "--key", reserve_signed)
    assert done.returncode == 1 and "that signatures.jsonl does not hold" in done.stdout, done.stdout
