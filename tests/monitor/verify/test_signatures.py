"""`python -m monitor.verify` checks people's signatures offline: every opening-record signature, sign-off and
countersignature against the signer's published key and against the log. A signature altered in the
database, a row stored without one, a forged one in the export, a substituted key or a deleted signed act
each make it fail (exit 1), naming the row."""
from __future__ import annotations

import base64
import json

import pytest
import sqlalchemy as sa

from bidding.ceremony.models import RecordSignature
from monitor.audit.bulk import UNLOGGED
from tests.monitor.audit.audit_helpers import add_bidders, keyholding, run_trade  # noqa: F401  (fixture)
from tests.monitor.verify.test_verify import _jsonl, copy_with, verify_cli
from trading.signing import statements as st


@pytest.fixture
def signed_trip(db, client, runner, keyholding, make_user, make_org, clock):  # noqa: F811
    """A sealed tender opened, its record signed and a checkpoint countersigned, each with the supervisor's key."""
    add_bidders(keyholding, make_user, make_org)
    run_trade(db, client, runner, keyholding, clock)
    key = client.get("/api/v1/audit/key").get_json()["public_key"]
    return key


def _export(runner, where):
    result = runner.invoke(args=["audit", "export", str(where)])
    assert result.exit_code == 0, result.output
    return where


def _rows(where) -> list[dict]:
    return [json.loads(x) for x in (where / "signatures.jsonl").read_text().splitlines() if x]


def _unlogged(db, sql: str, **params) -> None:
    """What someone with the database's password does: a write the platform never sees (and never logs)."""
    db.session.execute(sa.text(sql), params, execution_options={UNLOGGED: True})
    db.session.commit()


def test_intact_signatures_verify(db, runner, signed_trip, tmp_path):
    where = _export(runner, tmp_path / "export")
    rows = _rows(where)
    assert {r["table"] for r in rows} == {"record_signatures", "audit_countersignatures"}
    assert all(r["statement"] and r["signature"] and r["key"] for r in rows)
    keys = json.loads((where / "signing-keys.json").read_text())
    assert {k["fingerprint"] for k in keys} == {r["key"] for r in rows}
    done = verify_cli(where, "--key", signed_trip)
    assert done.returncode == 0, done.stdout
    assert "Signatures: 2 signed acts, 2 verified against 1 published keys and the log" in done.stdout


def test_a_signature_altered_in_the_database_fails(db, runner, signed_trip, tmp_path):
    row = db.session.scalar(sa.select(RecordSignature))
    # a well-formed signature over the same statement, by a key that is not the supervisor's
    forged = st.sign(st.generate(), row.statement.encode())
    _unlogged(db, "UPDATE record_signatures SET signature = :sig WHERE id = :id", sig=forged, id=row.id)
    done = verify_cli(_export(runner, tmp_path / "export"), "--key", signed_trip)
    assert done.returncode == 1, done.stdout
    assert f"record_signatures row {row.id} (user {row.user_id}): the signature does not verify" in done.stdout


def test_a_statement_altered_in_the_database_fails(db, runner, signed_trip, tmp_path):
    row = db.session.scalar(sa.select(RecordSignature))
    altered = row.statement.replace('"decision":"signed","dissent":null', '"decision":"dissent","dissent":"x"')
    assert altered != row.statement
    _unlogged(db, "UPDATE record_signatures SET statement = :s, dissent = 'x' WHERE id = :id", s=altered, id=row.id)
    done = verify_cli(_export(runner, tmp_path / "export"), "--key", signed_trip)
    assert done.returncode == 1 and f"record_signatures row {row.id}" in done.stdout, done.stdout


def test_a_row_without_signature_fails(db, runner, signed_trip, tmp_path):
    row = db.session.scalar(sa.select(RecordSignature))
    _unlogged(db, "UPDATE record_signatures SET signature = NULL, statement = NULL WHERE id = :id", id=row.id)
    done = verify_cli(_export(runner, tmp_path / "export"), "--key", signed_trip)
    assert done.returncode == 1, done.stdout
    assert f"record_signatures row {row.id} (user {row.user_id}): no signature" in done.stdout
    assert "(missing)" in done.stdout


def test_forged_substituted_or_deleted_signatures_in_the_export_fail(db, runner, signed_trip, tmp_path):
    where = _export(runner, tmp_path / "export")
    rows = _rows(where)
    cs = next(r for r in rows if r["table"] == "audit_countersignatures")
    # a forged countersignature (another key)
    forged = [dict(r, signature=base64.b64encode(st.sign(st.generate(), r["statement"].encode())).decode())
              if r is cs else r for r in rows]
    done = verify_cli(copy_with(_export_copy(where, tmp_path, "forged"), tmp_path / "f", signatures_jsonl=_jsonl(forged)),
                      "--key", signed_trip)
    assert done.returncode == 1 and f"audit_countersignatures row {cs['id']}" in done.stdout, done.stdout
    # the supervisor's key replaced by the forger's, and the statement re-signed with it
    attacker = st.generate()
    der = st.public_of(attacker)
    fp = st.fingerprint(der)
    keys = json.loads((where / "signing-keys.json").read_text())
    keys = [dict(k, fingerprint=fp, public_key=base64.b64encode(der).decode()) for k in keys]
    resigned = []
    for r in rows:
        text = r["statement"].replace(r["key"], fp)
        resigned.append(dict(r, key=fp, statement=text,
                             signature=base64.b64encode(st.sign(attacker, text.encode())).decode()))
    done = verify_cli(copy_with(_export_copy(where, tmp_path, "swapped"), tmp_path / "s",
                                signatures_jsonl=_jsonl(resigned), signing_keys_json=json.dumps(keys).encode()),
                      "--key", signed_trip)
    assert done.returncode == 1, done.stdout
    assert "was never registered in the log" in done.stdout and "the log did not record this statement" in done.stdout
    # a signed act dropped from the export
    fewer = [r for r in rows if r is not cs]
    done = verify_cli(copy_with(_export_copy(where, tmp_path, "fewer"), tmp_path / "d", signatures_jsonl=_jsonl(fewer)),
                      "--key", signed_trip)
    assert done.returncode == 1 and "that signatures.jsonl does not hold" in done.stdout, done.stdout


def _export_copy(where, tmp_path, name):
    """copy_with wants an Export; only its directory matters here."""
    from tests.monitor.verify.test_verify import Export

    return Export(where, "", where / "platform-key.json", [])


def test_a_key_published_in_a_supervisors_name_is_caught_by_their_pinned_fingerprint(db, runner, signed_trip,
                                                                                     keyholding, tmp_path):
    """The platform could register a key of its own for a supervisor (it is logged and listed, so nothing
    else flags it); the supervisor who pins their fingerprint with --signer sees it."""
    from trading.signing import services as signing

    mine = signing.key_in_force(keyholding["supervisor"].id).fingerprint
    where = _export(runner, tmp_path / "before")
    assert verify_cli(where, "--key", signed_trip, "--signer", mine).returncode == 0
    done = verify_cli(where, "--key", signed_trip, "--signer", "ab" * 32)
    assert done.returncode == 1 and "is not in signing-keys.json" in done.stdout
    planted = signing.register_key(keyholding["supervisor"], base64.b64encode(st.public_of(st.generate())).decode())
    db.session.commit()
    where = _export(runner, tmp_path / "after")
    assert verify_cli(where, "--key", signed_trip).returncode == 0  # a logged registration: nothing else says so
    done = verify_cli(where, "--key", signed_trip, "--signer", mine)
    assert done.returncode == 1 and f"lists key {planted.fingerprint[:16]}" in done.stdout, done.stdout
