"""The audit API and page: proofs over HTTP that verify (and fail when one hash is flipped), 422 naming the
field, the caller matrix of every protected audit route, and entries filtered by who may see them."""
from __future__ import annotations

import base64
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from monitor.audit import log as audit
from monitor.audit import merkle
from monitor.audit.models import AuditEntry, Checkpoint, Countersignature
from tests.conftest import PASSWORD, api_headers, csrf_token, login
from tests.monitor.audit.audit_helpers import add_bidders, keyholding, run_trade  # noqa: F401  (fixture)
from tests.monitor.audit.matrix_audit import COVERED, PUBLIC
from tests.signing_helpers import PRIVATE, api_signed, give_key, page_signed
from trading.signing import statements as st

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def trip(db, client, runner, keyholding, make_user, make_org, clock):  # noqa: F811
    add_bidders(keyholding, make_user, make_org)
    return run_trade(db, client, runner, keyholding, clock)


def _flip(hex_hash: str) -> str:
    raw = bytes.fromhex(hex_hash)
    return (bytes([raw[0] ^ 1]) + raw[1:]).hex()


def _leaf(db, index: int) -> bytes:
    return merkle.leaf_hash(db.session.scalar(sa.select(AuditEntry.body).where(AuditEntry.seq == index)).encode())


# ---- proofs ---------------------------------------------------------------------------------------------------

def test_inclusion_proofs_verify_and_fail_when_one_hash_is_flipped(db, client, trip):
    size, root = audit.head()
    checkpoints = client.get("/api/v1/audit/checkpoints?limit=500").get_json()
    sizes = sorted({cp["size"] for cp in checkpoints} | {size, 1, 2, 7})
    for n in sizes:
        signed = {cp["size"]: cp["root"] for cp in checkpoints}.get(n)
        for index in sorted({0, n // 2, n - 1, min(5, n - 1)}):
            body = client.get(f"/api/v1/audit/proofs/inclusion?index={index}&size={n}").get_json()
            leaf = _leaf(db, index)
            assert body["leaf_hash"] == leaf.hex() and (body["index"], body["size"]) == (index, n)
            path = [bytes.fromhex(h) for h in body["path"]]
            assert merkle.verify_inclusion(index, n, leaf, path, bytes.fromhex(body["root"]))
            if signed:  # the root the proof leads to is the one the platform signed at that size
                assert body["root"] == signed
            if n == size:
                assert body["root"] == root.hex()
            for i in range(len(path)):
                flipped = list(path)
                flipped[i] = bytes.fromhex(_flip(body["path"][i]))
                assert not merkle.verify_inclusion(index, n, leaf, flipped, bytes.fromhex(body["root"]))
            if n > 1:
                assert not merkle.verify_inclusion(index, n, bytes.fromhex(_flip(leaf.hex())), path,
                                                   bytes.fromhex(body["root"]))


def test_consistency_proofs_verify_and_fail_when_one_hash_is_flipped(db, client, trip):
    size, root = audit.head()
    checkpoints = sorted(client.get("/api/v1/audit/checkpoints").get_json(), key=lambda c: c["size"])
    pairs = [(a["size"], b["size"]) for a, b in zip(checkpoints, checkpoints[1:]) if a["size"] < b["size"]]
    pairs += [(1, size), (3, 17), (size // 2, size), (size, size)]
    for first, second in pairs:
        body = client.get(f"/api/v1/audit/proofs/consistency?first={first}&second={second}").get_json()
        proof = [bytes.fromhex(h) for h in body["proof"]]
        r1, r2 = bytes.fromhex(body["first_root"]), bytes.fromhex(body["second_root"])
        assert r1 == audit.root_at(first) and r2 == audit.root_at(second)
        assert merkle.verify_consistency(first, second, r1, r2, proof), (first, second)
        for i in range(len(proof)):
            flipped = list(proof)
            flipped[i] = bytes.fromhex(_flip(body["proof"][i]))
            assert not merkle.verify_consistency(first, second, r1, r2, flipped), (first, second, i)
        if first < second:
            assert not merkle.verify_consistency(first, second, bytes.fromhex(_flip(r1.hex())), r2, proof)


@pytest.mark.parametrize("query,field,words", [
    ("proofs/inclusion?size=3", "index", "is required"),
    ("proofs/inclusion?index=x&size=3", "index", "whole number"),
    ("proofs/inclusion?index=-1&size=3", "index", "whole number from 0 to"),
    ("proofs/inclusion?index=3&size=3", "index", "smaller than size"),
    ("proofs/inclusion?index=0", "size", "is required"),
    ("proofs/inclusion?index=0&size=0", "size", "whole number from 1 to"),
    ("proofs/inclusion?index=0&size=100000", "size", "the log has only"),
    ("proofs/consistency?second=5", "first", "is required"),
    ("proofs/consistency?first=0&second=5", "first", "whole number from 1 to"),
    ("proofs/consistency?first=6&second=5", "first", "not be larger than second"),
    ("proofs/consistency?first=1&second=abc", "second", "whole number"),
    ("proofs/consistency?first=1&second=100000", "second", "the log has only"),
    ("checkpoints?limit=0", "limit", "whole number from 1 to"),
    (f"checkpoints?limit={2**63}", "limit", "whole number from 1 to"),
])
def test_bad_parameters_are_422_naming_the_field(db, client, make_trade, query, field, words):
    make_trade()  # a few entries
    response = client.get(f"/api/v1/audit/{query}", headers={"Accept-Language": "en"})
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["field"] == field and words in " ".join(body["errors"][field]), body


def test_public_endpoints_answer_anyone(db, client, trip):
    assert client.get("/api/v1/audit/key").get_json()["alg"] == "Ed25519"
    latest = client.get("/api/v1/audit/checkpoints/latest").get_json()
    assert latest["size"] == audit.head()[0] and latest["countersignatures"] == []
    listed = client.get("/api/v1/audit/checkpoints").get_json()
    assert listed[0]["id"] == latest["id"] and any(cp["countersignatures"] for cp in listed)
    assert len(PUBLIC) == 5


def test_no_checkpoint_yet_is_404(client, db):
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Checkpoint)) == 0
    assert client.get("/api/v1/audit/checkpoints/latest").status_code == 404


# ---- the caller matrix -------------------------------------------------------------------------------------------

def test_every_covered_route_is_tested_here():
    tested = {("audit_api.countersign_checkpoint", "POST"), ("audit_api.list_entries", "GET"),
              ("audit_api.export_zip", "GET"), ("monitor_audit.index", "GET"), ("monitor_audit.countersign", "POST"),
              ("monitor_audit.export_zip", "GET")}
    assert COVERED == tested


def test_countersign_api_matrix(db, client, trip, users):
    cp = audit.latest_checkpoint()
    url = f"/api/v1/audit/checkpoints/{cp.id}/countersign"
    response = client.post(url)
    assert response.status_code == 401 and response.get_json()["code"] == "unauthenticated"
    for wrong in ("bidder", "staff", "decider", "tenderer"):
        response = client.post(url, headers=api_headers(client, wrong), json={})
        assert response.status_code == 403 and response.get_json()["code"] == "forbidden", wrong
    before = audit.head()[0]
    social = api_headers(client, "social")
    unsigned = client.post(url, headers=social, json={})
    assert unsigned.status_code == 422 and unsigned.get_json()["field"] == "statement"
    good = api_signed(client, social, "checkpoint", checkpoint_id=cp.id)
    forged = dict(good, signature=base64.b64encode(st.sign(st.generate(), good["statement"].encode())).decode())
    refused = client.post(url, headers=social, json=forged)
    assert refused.status_code == 422 and refused.get_json()["field"] == "signature"
    assert not db.session.scalar(sa.select(Countersignature).where(Countersignature.checkpoint_id == cp.id))
    response = client.post(url, headers=social, json=good)  # a social supervisor may countersign
    assert response.status_code == 201, response.get_json()
    signed = response.get_json()["countersignatures"]
    assert [s["user"] for s in signed] == ["social"]
    entry = json.loads(db.session.scalar(sa.select(AuditEntry.body).where(AuditEntry.seq == signed[0]["entry"])))
    assert entry["action"] == "audit.countersign" and entry["after"]["root"] == bytes(cp.root).hex()
    assert entry["after"]["size"] == cp.size and entry["actor"]["username"] == "social" and signed[0]["entry"] >= before
    assert entry["after"]["countersignature"]["statement_sha256"] == hashlib.sha256(good["statement"].encode()).hexdigest()
    assert signed[0]["statement"] == good["statement"] and signed[0]["key"] == json.loads(good["statement"])["signer"]["key"]
    response = client.post(url, headers=social, json=good)
    assert response.status_code == 409 and response.get_json()["code"] == "already_countersigned"
    assert client.post("/api/v1/audit/checkpoints/99999/countersign", json={},
                       headers=api_headers(client, "supervisor")).status_code == 404


def test_export_zip_api_matrix_and_the_zip_verifies(db, client, trip, tmp_path):
    assert client.get("/api/v1/audit/export.zip").status_code == 401
    for wrong in ("bidder", "staff", "decider"):
        assert client.get("/api/v1/audit/export.zip", headers=api_headers(client, wrong)).status_code == 403
    response = client.get("/api/v1/audit/export.zip", headers=api_headers(client, "supervisor"))
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Cache-Control"] == "no-store"
    zipfile.ZipFile(io.BytesIO(response.data)).extractall(tmp_path)
    key = client.get("/api/v1/audit/key").get_json()["public_key"]
    done = subprocess.run([sys.executable, "-m", "monitor.verify", str(tmp_path / "audit-export"), "--key", key],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Countersignatures: 1, each checked" in done.stdout


def test_entries_api_matrix_and_visibility(db, client, trip, users, make_trade, centres):
    assert client.get("/api/v1/audit/entries").status_code == 401
    # a draft at another centre: only that centre's branches (and its author) see its entries
    proc = make_trade(actor=users["staff_proc"], centre_id=centres["PROC"].id, method="gp_open_tender",
                      title="Procurement draft")

    def seen(who: str, **query) -> list[dict]:
        out, after = [], -1
        while True:
            q = "&".join(f"{k}={v}" for k, v in {"after": after, "limit": 1000, **query}.items())
            response = client.get(f"/api/v1/audit/entries?{q}", headers=api_headers(client, who))
            assert response.status_code == 200, response.get_json()
            page = response.get_json()
            if not page:
                return out
            for row in page:
                assert merkle.leaf_hash(row["body"].encode()).hex() == row["leaf_hash"]
                assert json.loads(row["body"]) == row["entry"] and row["entry"]["index"] == row["index"]
            out += [row["entry"] for row in page]
            after = page[-1]["index"]

    everything = [json.loads(b) for b in db.session.scalars(sa.select(AuditEntry.body).order_by(AuditEntry.seq))]
    proc_entries = [e for e in everything if e["trade"] == proc.id]
    assert proc_entries and all(e["centre"] == centres["PROC"].id for e in proc_entries)

    supervisor = seen("supervisor")  # administrative supervisor at WORKS
    assert not [e for e in supervisor if e["trade"] == proc.id]
    assert [e for e in supervisor if e["trade"] == trip.trade_id and e["action"] == "bids.insert"]
    assert [e for e in supervisor if e["action"] == "users.insert"]  # platform entries: supervisors see them
    assert len(seen("supervisor", trade=trip.trade_id)) == len([e for e in supervisor if e["trade"] == trip.trade_id])
    assert [e for e in seen("staff_proc") if e["trade"] == proc.id]

    bidder = seen("bidder")
    mine = {e["index"] for e in bidder if e["action"] in ("bids.insert", "downloads.insert")}
    assert len(mine) == 2  # their own download and bid; not the other bidders'
    assert not [e for e in bidder if e["trade"] == proc.id]
    assert not [e for e in bidder if e["action"] == "users.insert"]
    public = [e for e in bidder if e["action"] == "trades.update" and e["trade"] == trip.trade_id]
    assert public  # the published trade's changes are public
    from monitor.audit.visibility import visible_to
    from monitor.audit.models import AuditEntry as Row

    rows = db.session.scalars(sa.select(Row)).all()
    for who in ("bidder", "supervisor", "staff_proc"):
        expected = {r.seq for r in rows if visible_to(users[who], r.audience, r.centre_id, r.actor_id)}
        assert {e["index"] for e in seen(who)} == expected, who


# ---- the page ------------------------------------------------------------------------------------------------

def test_audit_page_matrix(db, client, trip, users):
    response = client.get("/monitor/audit/")
    assert response.status_code == 302 and response.headers["Location"].split("?")[0].endswith("/login")
    cp = audit.latest_checkpoint()
    assert client.post(f"/monitor/audit/checkpoints/{cp.id}/countersign").status_code == 302
    assert client.get("/monitor/audit/export.zip").status_code == 302
    login(client, "bidder")
    assert client.get("/monitor/audit/").status_code == 403
    assert client.post(f"/monitor/audit/checkpoints/{cp.id}/countersign").status_code == 403
    assert client.get("/monitor/audit/export.zip").status_code == 403
    client.post("/logout")
    login(client, "decider")  # deciders may look, not countersign or download
    page = client.get("/monitor/audit/")
    assert page.status_code == 200 and "Countersign</button>" not in page.get_data(as_text=True)
    assert client.post(f"/monitor/audit/checkpoints/{cp.id}/countersign").status_code == 403
    assert client.get("/monitor/audit/export.zip").status_code == 403
    client.post("/logout")
    login(client, "social")
    html = client.get("/monitor/audit/?lang=en").get_data(as_text=True)
    size, root = audit.head()
    assert f'<dd id="log-size">{size}</dd>' in html and root.hex() in html
    assert f"--checkpoint {cp.size}:{bytes(cp.root).hex()}" in html
    assert audit.public_key_info()["public_key"] in html
    assert f'data-checkpoint="{cp.id}"' in html and "Countersign</button>" in html
    response = client.post(f"/monitor/audit/checkpoints/{cp.id}/countersign?lang=en",  # the flash in English
                           data=page_signed(client, "checkpoint", checkpoint_id=cp.id))
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Countersignature).where(Countersignature.checkpoint_id == cp.id,
                                                               Countersignature.user_id == users["social"].id))
    html = client.get("/monitor/audit/?lang=en").get_data(as_text=True)
    assert "You countersigned checkpoint" in html  # the flash, shown once
    row = html.split(f'data-checkpoint="{cp.id}"')[1].split("</tr>")[0]
    assert "social" in row and "Countersign</button>" not in row
    again = client.post(f"/monitor/audit/checkpoints/{cp.id}/countersign?lang=en", follow_redirects=True)
    assert "already countersigned" in again.get_data(as_text=True)
    assert client.post("/monitor/audit/checkpoints/99999/countersign").status_code == 404
    download = client.get("/monitor/audit/export.zip")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(download.data)).namelist()
    assert sorted(names) == ["audit-export/checkpoints.jsonl", "audit-export/entries.jsonl",
                             "audit-export/manifest.json", "audit-export/platform-key.json",
                             "audit-export/signatures.jsonl", "audit-export/signing-keys.json"]


def test_the_countersign_form_needs_its_csrf_token(make_app, clock):
    from trading.accounts.roles import Role
    from trading.accounts.services import create_user
    from trading.centres.models import Centre
    from trading.extensions import db as _db

    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        works = _db.session.scalar(sa.select(Centre).where(Centre.code == "WORKS"))
        watcher = create_user("watcher", PASSWORD, "Watcher", None, [(Role.ADMIN_SUPERVISOR, works.id)])
        give_key(watcher)
        _db.session.commit()
        cp_id = audit.sign_checkpoint("manual").id
        _db.session.commit()
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"username": "watcher", "password": PASSWORD, "csrf_token": token}).status_code == 302
    page = client.get("/monitor/audit/").get_data(as_text=True)
    assert client.post(f"/monitor/audit/checkpoints/{cp_id}/countersign").status_code == 400
    token = csrf_token(page)
    statement = client.post("/signing/statements", json={"kind": "checkpoint", "checkpoint_id": cp_id},
                            headers={"X-CSRFToken": token})
    assert statement.status_code == 200, statement.get_json()
    text = statement.get_json()["statement"]
    signature = base64.b64encode(st.sign(PRIVATE[statement.get_json()["fingerprint"]], text.encode())).decode()
    response = client.post(f"/monitor/audit/checkpoints/{cp_id}/countersign",
                           data={"csrf_token": token, "statement": text, "signature": signature})
    assert response.status_code == 302
    with app.app_context():
        assert _db.session.scalar(sa.select(sa.func.count()).select_from(Countersignature)) == 1
