"""Custody of the opened bids: the attached files are kept encrypted at the opening, the opening record
binds their hashes, and only the sitting committee, the tenderer after the award and supervisors on a
complaint read them, each read audited. Every viewer kind, before and after the award."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from bidding.custody.models import CustodyRead, KeptDocument
from bidding.evaluation import services as evaluation
from bidding.evaluation.models import SeatKind
from tests.bidding.ceremony.test_ceremony import PRICES, _bid_all, _open, _plaintext, bidders, sealed_trade  # noqa: F401
from tests.bidding.experts.helpers import pool  # noqa: F401  (fixture)
from tests.conftest import api_headers
from trading.accounts.models import OrgKind
from trading.accounts.roles import Role
from trading.trades import services as trades
from trading.trades.flows import TradeState

FILE = b"technical proposal "  # what _plaintext attaches as technical.txt (with an empty marker)

#: every kind of viewer, by the name of its user in the `cast` fixture
VIEWERS = ("anonymous", "public", "bidder", "bidder_b", "staff", "decider", "supervisor", "social", "expert_off",
           "committee_expert", "committee_rep", "tenderer_member", "other_tenderer", "complaint_supervisor")


#: viewer kinds played by the fixtures' existing users
USERNAMES = {"expert_off": "expert", "committee_rep": "tenderer"}


@pytest.fixture
def cast(db, bidders, make_user, make_org, users):
    """Beside the fixtures' people: a seated expert, an expert not seated, a second member of the tenderer,
    two more administrative supervisors (one assigns, one reviews a complaint)."""
    tenderer_org = users["tenderer"].organisation
    bidders["committee_expert"] = make_user("committee_expert", (Role.EXPERT, None))
    bidders["expert_off"] = bidders["expert"]
    bidders["committee_rep"] = bidders["tenderer"]
    bidders["tenderer_member"] = make_user("tenderer_member", (Role.TENDERER, None), org=tenderer_org)
    bidders["complaint_supervisor"] = make_user("complaint_supervisor", (Role.ADMIN_SUPERVISOR, "WORKS"))
    bidders["assigning_supervisor"] = make_user("assigning_supervisor", (Role.ADMIN_SUPERVISOR, "WORKS"))
    return bidders


@pytest.fixture
def opened(db, client, sealed_trade, cast, clock):
    _bid_all(client, sealed_trade, cast)
    state = _open(client, sealed_trade, clock)
    assert state["outcome"] == "opened"
    db.session.expire_all()
    return sealed_trade


def _headers(client, who: str, cache: dict) -> dict:
    if who == "anonymous":
        return {}
    if who not in cache:
        cache[who] = api_headers(client, USERNAMES.get(who, who))
    return cache[who]


def _readers(client, trade, cache) -> dict[str, int]:
    return {who: client.get(f"/api/v1/trades/{trade.id}/bid-documents", headers=_headers(client, who, cache)).status_code
            for who in VIEWERS}


def _expect(allowed: set[str]) -> dict[str, int]:
    return {who: 200 if who in allowed else (401 if who == "anonymous" else 403) for who in VIEWERS}


def test_the_opening_keeps_each_file_encrypted_and_the_record_binds_its_hash(db, client, opened, app):
    rows = db.session.scalars(sa.select(KeptDocument).order_by(KeptDocument.id)).all()
    assert len(rows) == 3 and len({r.sealed for r in rows}) == 3  # a fresh data key per document
    record = client.get(f"/api/v1/trades/{opened.id}/opening-record").get_json()["record"]
    assert record["format"] == "opening-record/1"
    for bid in record["bids"]:
        assert bid["files"] == [{"name": "technical.txt", "size": len(FILE), "sha256": hashlib.sha256(FILE).hexdigest()}]
    for row in rows:
        assert row.sha256 == hashlib.sha256(FILE).hexdigest() and row.name == "technical.txt"
        blob = (Path(app.config["BLOB_DIR"]) / row.blob_sha256[:2] / row.blob_sha256[2:]).read_bytes()
        assert hashlib.sha256(blob).hexdigest() == row.blob_sha256
        assert FILE not in blob and blob.startswith(b"PRCUST01")  # encrypted at rest
        # kept for the rule set's retention period (15 years, data on the rule set)
        assert row.retain_until.year - row.kept_at.year == opened.rule_set.limit("bid_retention").value == 15
    # the blob sweep spares kept documents
    from trading.blobs import sweep_orphans
    from datetime import timedelta

    swept = sweep_orphans(grace=timedelta(0))
    assert not {r.blob_sha256 for r in rows} & set(swept.orphans)


def test_who_reads_before_during_and_after_evaluation_and_after_the_award(db, client, opened, cast, app):
    cache: dict = {}
    # opened, committee not sitting yet: nobody
    assert _readers(client, opened, cache) == _expect(set())
    evaluation.seat_member(cast["staff"], opened, cast["committee_expert"], SeatKind.EXPERT)
    evaluation.seat_member(cast["staff"], opened, cast["committee_rep"], SeatKind.TENDERER_REP)
    db.session.commit()
    assert _readers(client, opened, cache) == _expect(set())  # seated, but the committee sits only in evaluation
    trades.move(opened, "start_evaluation", cast["staff"])
    db.session.commit()
    # the committee sits: its members, and nobody else (not the tenderer's other member, not staff)
    assert _readers(client, opened, cache) == _expect({"committee_expert", "committee_rep"})
    doc = db.session.scalars(sa.select(KeptDocument).order_by(KeptDocument.id)).first()
    got = client.get(f"/api/v1/trades/{opened.id}/bid-documents/{doc.id}",
                     headers=_headers(client, "committee_expert", cache))
    assert got.status_code == 200 and got.data == FILE and got.headers["X-Content-SHA256"] == doc.sha256
    for who in ("staff", "bidder", "tenderer_member", "expert_off"):
        refused = client.get(f"/api/v1/trades/{opened.id}/bid-documents/{doc.id}", headers=_headers(client, who, cache))
        assert refused.status_code == 403 and FILE not in refused.data
    trades.move(opened, "publicize", cast["staff"])
    db.session.commit()
    assert _readers(client, opened, cache) == _expect(set())  # the committee has risen; no award yet
    # a complaint: an administrative supervisor assigned to it reads until it is closed
    assigned = client.post(f"/api/v1/trades/{opened.id}/complaint-reviews",
                           json={"supervisor_id": cast["complaint_supervisor"].id, "complaint_ref": "投诉 2026-01"},
                           headers=_headers(client, "assigning_supervisor", cache))
    assert assigned.status_code == 201, assigned.get_json()
    assert _readers(client, opened, cache) == _expect({"complaint_supervisor"})
    trades.move(opened, "award", cast["staff"])
    db.session.commit()
    # after the award: the tenderer's members, and the supervisor while the complaint is open
    assert _readers(client, opened, cache) == _expect({"committee_rep", "tenderer_member", "complaint_supervisor"})
    closed = client.post(f"/api/v1/trades/{opened.id}/complaint-reviews/{assigned.get_json()['id']}/close",
                         headers=_headers(client, "assigning_supervisor", cache))
    assert closed.status_code == 200
    assert _readers(client, opened, cache) == _expect({"committee_rep", "tenderer_member"})
    got = client.get(f"/api/v1/trades/{opened.id}/bid-documents/{doc.id}", headers=_headers(client, "tenderer_member", cache))
    assert got.status_code == 200 and got.data == FILE


def test_each_read_is_audited(db, client, opened, cast):
    from monitor.audit.models import AuditEntry

    evaluation.seat_member(cast["staff"], opened, cast["committee_expert"], SeatKind.EXPERT)
    trades.move(opened, "start_evaluation", cast["staff"])
    db.session.commit()
    doc = db.session.scalars(sa.select(KeptDocument).order_by(KeptDocument.id)).first()
    headers = api_headers(client, "committee_expert")
    listed = client.get(f"/api/v1/trades/{opened.id}/bid-documents", headers=headers).get_json()
    assert listed["basis"] == "committee" and len(listed["documents"]) == 3
    assert "sealed" not in listed["documents"][0]
    for _ in range(2):
        assert client.get(f"/api/v1/trades/{opened.id}/bid-documents/{doc.id}", headers=headers).status_code == 200
    reads = db.session.scalars(sa.select(CustodyRead).order_by(CustodyRead.id)).all()
    assert [(r.document_id, r.user_id, r.basis) for r in reads] == [(doc.id, cast["committee_expert"].id, "committee")] * 2
    bodies = [json.loads(b) for b in db.session.scalars(sa.select(AuditEntry.body).order_by(AuditEntry.seq))]
    logged = [b for b in bodies if "custody_reads" in json.dumps(b)]
    assert len(logged) == 2
    # the wrapped data keys never reach the log
    sealed = db.session.scalars(sa.select(KeptDocument.sealed)).all()
    text = "\n".join(db.session.scalars(sa.select(AuditEntry.body)))
    assert not any(s.hex() in text for s in sealed)
    # a refused read leaves no read on record
    assert client.get(f"/api/v1/trades/{opened.id}/bid-documents/{doc.id}",
                      headers=api_headers(client, "staff")).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CustodyRead)) == 2


def test_a_document_of_another_trade_is_404(db, client, opened, cast, make_trade):
    evaluation.seat_member(cast["staff"], opened, cast["committee_expert"], SeatKind.EXPERT)
    trades.move(opened, "start_evaluation", cast["staff"])
    db.session.commit()
    headers = api_headers(client, "committee_expert")
    assert client.get(f"/api/v1/trades/{opened.id}/bid-documents/999999", headers=headers).status_code == 404


def test_the_page_lists_and_serves_the_documents_to_a_member(db, client, opened, cast):
    from tests.conftest import login

    evaluation.seat_member(cast["staff"], opened, cast["committee_expert"], SeatKind.EXPERT)
    trades.move(opened, "start_evaluation", cast["staff"])
    db.session.commit()
    login(client, "committee_expert")
    page = client.get(f"/bidding/trades/{opened.id}/bid-documents")
    assert page.status_code == 200 and "technical.txt" in page.get_data(as_text=True)
    doc = db.session.scalars(sa.select(KeptDocument)).first()
    assert client.get(f"/bidding/trades/{opened.id}/bid-documents/{doc.id}").data == FILE
    client.post("/logout")
    login(client, "staff")
    assert client.get(f"/bidding/trades/{opened.id}/bid-documents").status_code == 403


def test_a_tampered_or_moved_document_does_not_decrypt(db, client, opened, cast, app):
    from bidding.crypto import custody

    evaluation.seat_member(cast["staff"], opened, cast["committee_expert"], SeatKind.EXPERT)
    trades.move(opened, "start_evaluation", cast["staff"])
    db.session.commit()
    first, second = db.session.scalars(sa.select(KeptDocument).order_by(KeptDocument.id)).all()[:2]
    path = Path(app.config["BLOB_DIR"]) / first.blob_sha256[:2] / first.blob_sha256[2:]
    kek = custody.custody_key(app.config["SECRET_KEY"])
    ctx_first = custody.context(opened.ref, first.organisation.credit_code, 1, first.name)
    with path.open("rb") as fh:
        assert b"".join(custody.read_kept(fh, kek, first.sealed, ctx_first)) == FILE
    with path.open("rb") as fh, pytest.raises(custody.CustodyError):  # another bid's key or context
        b"".join(custody.read_kept(fh, kek, second.sealed, ctx_first))
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    with path.open("rb") as fh, pytest.raises(custody.CustodyError):
        b"".join(custody.read_kept(fh, kek, first.sealed, ctx_first))


def test_a_confirmed_expert_of_the_draw_reads_while_the_committee_sits(db, client, opened, cast, clock, pool):
    """The expert draw's seats count: confirmed, yes; drawn and not yet confirmed, no; not after it sits."""
    from bidding.experts import services as experts
    from tests.bidding.experts.helpers import plan, run_draw

    plan(db, cast, opened)
    experts.draw(cast["staff"], opened)
    db.session.commit()
    run_draw(db, clock, opened)
    seats = experts.seats(opened)
    assert len(seats) == 5
    confirmed_user = db.session.get(type(cast["staff"]), seats[0].user_id)
    waiting_user = db.session.get(type(cast["staff"]), seats[1].user_id)
    experts.confirm(confirmed_user, opened, seats[0].id)
    db.session.commit()
    url = f"/api/v1/trades/{opened.id}/bid-documents"
    confirmed, waiting = (api_headers(client, u.username) for u in (confirmed_user, waiting_user))
    assert client.get(url, headers=confirmed).status_code == 403  # not sitting before the evaluation
    trades.move(opened, "start_evaluation", cast["staff"])
    db.session.commit()
    assert client.get(url, headers=confirmed).get_json()["basis"] == "committee"
    assert client.get(url, headers=waiting).status_code == 403
