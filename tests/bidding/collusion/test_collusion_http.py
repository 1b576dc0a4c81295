"""Collusion signals end to end over real HTTP: the uploads record what they saw, the opening raises the flags
(identical file, same author, same address and device, same deposit account), nobody sees them before the
opening, only the supervisors and the sitting committee after it, and the committee records its decisions."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from bidding.collusion.models import BidSighting, CollusionFlag, DocumentMetadata, FlagReview
from bidding.evaluation import services as evaluation
from bidding.evaluation.models import SeatKind
from bidding.submission.models import Bid
from monitor.audit.models import AuditEntry
from tests.bidding.ceremony.test_ceremony import _open, bidders, sealed_trade  # noqa: F401  (fixtures)
from tests.bidding.collusion.helpers import docx, pdf, submit
from tests.conftest import api_headers, login
from trading.accounts.roles import Role
from trading.trades import services as trades

SHARED = pdf(body="ring's shared method statement")
RING_DEVICE = "3f1c9a7e-0d2b-4c55-9a61-5b0e2f4d8c11"

#: every kind of viewer: who may see the flags after the opening
VIEWERS = ("anonymous", "public", "bidder", "bidder_b", "staff", "decider", "tenderer", "expert", "supervisor",
           "social", "committee_expert")


@pytest.fixture
def ringed(db, client, sealed_trade, bidders, make_user):
    """Four bids: bidder_b and bidder_c are a ring (same address and device, the same PDF author, one file
    attached by both, deposits from one account); bidder and bidder_d bid on their own."""
    bidders["committee_expert"] = make_user("committee_expert", (Role.EXPERT, None))
    own = lambda who: pdf(author_hex="FEFF" + {"bidder": "738B5DE5", "bidder_d": "674E5DE5"}[who], body=who,  # noqa: E731
                          created={"bidder": "D:20260311093000+08'00'", "bidder_d": "D:20260312140000+08'00'"}[who])
    submit(client, sealed_trade, bidders["bidder"], "4815000.00", [("技术标.pdf", own("bidder"))],
           address="198.51.100.10", device="aaaaaaaa-0000-4000-8000-000000000001")
    submit(client, sealed_trade, bidders["bidder_b"], "4700000.50",
           [("技术标.pdf", pdf(body="b")), ("业绩.pdf", SHARED),
            ("商务标.docx", docx("郑工", "郑工", "2026-03-10T08:00:00Z"))],
           address="203.0.113.77", device=RING_DEVICE)
    submit(client, sealed_trade, bidders["bidder_c"], "4760000.00",
           [("技术标.pdf", pdf(body="c")), ("业绩证明.pdf", SHARED)],
           address="203.0.113.77", device=RING_DEVICE, agent="python-bidding-seal/1")
    submit(client, sealed_trade, bidders["bidder_d"], "4999999.99", [("技术标.pdf", own("bidder_d"))],
           address="192.0.2.44", device=None)
    staff = api_headers(client, "staff")
    for who, account in (("bidder", "6222 0001"), ("bidder_b", "6222 8888 0000"), ("bidder_c", "6222-8888-0000"),
                         ("bidder_d", "6222 0004")):
        response = client.post(f"/api/v1/trades/{sealed_trade.id}/deposits", headers=staff, json={
            "organisation_id": bidders[who].organisation_id, "amount": "100000.00", "payer_account": account})
        assert response.status_code == 201, response.get_json()
    return sealed_trade


def _statuses(client, trade) -> dict[str, int]:
    out = {}
    for who in VIEWERS:
        headers = {} if who == "anonymous" else api_headers(client, who)
        out[who] = client.get(f"/api/v1/trades/{trade.id}/collusion/flags", headers=headers).status_code
    return out


def _expect(allowed: set[str]) -> dict[str, int]:
    return {who: 200 if who in allowed else (401 if who == "anonymous" else 403) for who in VIEWERS}


def test_each_upload_records_what_it_saw(db, ringed, bidders):
    rows = {db.session.get(Bid, s.bid_id).organisation_id: s for s in db.session.scalars(sa.select(BidSighting))}
    ring_b, ring_c = rows[bidders["bidder_b"].organisation_id], rows[bidders["bidder_c"].organisation_id]
    assert (ring_b.address, ring_b.device_id) == ("203.0.113.77", RING_DEVICE)
    assert ring_c.user_agent == "python-bidding-seal/1"
    assert rows[bidders["bidder_d"].organisation_id].device_id is None  # no header: nothing invented
    assert len(rows) == 4
    # the audit log has the sightings, the address and device only as the trade's pseudonyms
    logged = " ".join(db.session.scalars(sa.select(AuditEntry.body)))
    assert "bid_sightings" in logged and "203.0.113.77" not in logged and RING_DEVICE not in logged


def test_nobody_sees_flags_before_the_opening(db, client, ringed):
    assert _statuses(client, ringed) == _expect(set())
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CollusionFlag)) == 0


def test_the_opening_raises_flags_that_explain_themselves(db, client, ringed, bidders, clock):
    assert _open(client, ringed, clock)["outcome"] == "opened"
    assert _statuses(client, ringed) == _expect({"supervisor", "social"})
    body = client.get(f"/api/v1/trades/{ringed.id}/collusion/flags", headers=api_headers(client, "supervisor")).get_json()
    assert body["screening"]["trigger"] == "opening" and body["screening"]["bids"] == 4
    ring = sorted([bidders["bidder_b"].organisation_id, bidders["bidder_c"].organisation_id])
    by_rule = {f["rule"]: f for f in body["flags"]}
    for rule, clause in (("identical_files", "Reg 40(4)"), ("same_author", "Reg 40(1)"), ("same_address", "Reg 40(2)"),
                         ("same_device", "Reg 40(2)"), ("same_deposit_account", "Reg 40(6)")):
        assert by_rule[rule]["clause"] == clause
        assert [o["id"] for o in by_rule[rule]["organisations"]] == ring, rule
        assert {o["name"] for o in by_rule[rule]["organisations"]} == {"bidder_b 建设有限公司", "bidder_c 建设有限公司"}
    assert by_rule["same_author"]["evidence"]["author"] == "郑工"  # read from the kept PDFs at the opening
    assert by_rule["identical_files"]["evidence"]["sha256"] == __import__("hashlib").sha256(SHARED).hexdigest()
    assert by_rule["same_address"]["evidence"]["user_agents"] == ["Mozilla/5.0 (Windows NT 10.0) Chrome/131.0",
                                                                  "python-bidding-seal/1"]
    assert "same_author" in by_rule and not any(  # the honest bidders are named by no match
        bidders["bidder"].organisation_id in [o["id"] for o in f["organisations"]]
        for f in body["flags"] if f["rule"].startswith("same_") or f["rule"] == "identical_files")
    kinds = {m.kind for m in db.session.scalars(sa.select(DocumentMetadata))}
    assert kinds == {"pdf", "office"}


def test_the_committee_records_what_it_did_and_the_screens_run_again(db, client, ringed, bidders, clock):
    _open(client, ringed, clock)
    db.session.expire_all()
    evaluation.seat_member(bidders["staff"], ringed, bidders["committee_expert"], SeatKind.EXPERT)
    trades.move(ringed, "start_evaluation", bidders["staff"])
    db.session.commit()
    assert _statuses(client, ringed) == _expect({"supervisor", "social", "committee_expert"})
    # the workspace leads the sitting member (and the supervisors) there, never a bidder
    for who, shown in (("committee_expert", True), ("supervisor", True), ("bidder_b", False), ("staff", False)):
        login(client, who)
        page = client.get("/workspace/").get_data(as_text=True)
        assert (f"/bidding/trades/{ringed.id}/collusion" in page) is shown, who
        assert ('id="collusion-panel"' in page) is shown, who
        client.post("/logout")
    member = api_headers(client, "committee_expert")
    flags = client.get(f"/api/v1/trades/{ringed.id}/collusion/flags", headers=member).get_json()["flags"]
    flag = next(f for f in flags if f["rule"] == "same_device")
    url = f"/api/v1/trades/{ringed.id}/collusion/flags/{flag['id']}/reviews"
    refused = client.post(url, headers=member, json={"decision": "disqualified", "note": ""})
    assert refused.status_code == 422 and set(refused.get_json()["errors"]) == {"decision", "note"}
    for who in ("supervisor", "bidder_b", "staff"):  # supervisors see, only the committee decides
        assert client.post(url, headers=api_headers(client, who),
                           json={"decision": "referred", "note": "x"}).status_code == 403
    made = client.post(url, headers=member, json={"decision": "referred", "note": "同一设备封装两家投标文件，移交监督"})
    assert made.status_code == 201 and made.get_json()["decision"] == "referred"
    assert "by" not in made.get_json()  # the committee list stays secret
    rerun = client.post(f"/api/v1/trades/{ringed.id}/collusion/screenings", headers=member)
    assert rerun.status_code == 201 and rerun.get_json()["trigger"] == "request"
    again = client.get(f"/api/v1/trades/{ringed.id}/collusion/flags", headers=api_headers(client, "supervisor"))
    kept = next(f for f in again.get_json()["flags"] if f["id"] == flag["id"])
    assert kept["decision"]["decision"] == "referred" and kept["current"] is True
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FlagReview)) == 1
    # the decision is in the audit log, in the same transaction
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.body.contains("collusion_flag_reviews"), AuditEntry.body.contains("referred"))) == 1


@pytest.mark.parametrize("lang, title, clause", [
    ("zh_CN", "同一网络地址投标", "第四十条第（二）项"),
    ("en", "Bids from the same network address", "Reg 40(2): the same unit or person handles")])
def test_the_page_for_supervisors_in_both_languages(db, client, ringed, clock, lang, title, clause):
    _open(client, ringed, clock)
    for who, status in (("bidder_b", 403), ("tenderer", 403), ("staff", 403), ("supervisor", 200)):
        login(client, who)
        response = client.get(f"/bidding/trades/{ringed.id}/collusion?lang={lang}")
        assert response.status_code == status, who
    page = response.get_data(as_text=True)
    assert "bidder_b 建设有限公司" in page and title in page and clause in page
    client.post("/logout")
    assert client.get(f"/bidding/trades/{ringed.id}/collusion").status_code == 302
