"""The opening ceremony: shares released, the key rebuilt only at the opening time, every bid opened
with O20 Art 31 applied, the record hashed, published as JSON and PDF, objected to and signed."""
from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bidding.ceremony import services as ceremony
from bidding.crypto import envelope
from bidding.keyholders import keys
from bidding.ceremony.models import OpeningCeremony, OpeningEntry, ShareRelease
from bidding.keyholders.models import Keyholder, OpeningKey, SealedShare
from bidding.crypto.records import encode_bid
from bidding.keyholders.services import active_personal_key, share_context
from bidding.crypto.envelope_check import content_digest
from tests.bidding.matrix_ceremony import COVERED, DECIDER_ROUTES
from tests.conftest import START, api_headers, tender_timeline
from tests.signing_helpers import api_signed
from trading.accounts.models import OrgKind
from trading.accounts.roles import Role
from trading.trades import services as trades
from trading.canonical import canonical_json
from trading.signing import statements as st
from trading.trades.flows import TradeState

from bidding.keyholders import client as holder_side
from tests.bidding.conftest import PASSPHRASES, release
PRICES = {"bidder": "4815000.00", "bidder_b": "4700000.50", "bidder_c": "4999999.99"}


@pytest.fixture
def sealed_trade(db, client, keyholding, make_trade, clock):
    """A published works tender with 2-of-2 executing and 1-of-1 supervising keyholders, open for bids."""
    trade = make_trade(paper_bids=False, **tender_timeline(START))
    response = client.post(f"/api/v1/trades/{trade.id}/keyholders", headers=api_headers(client, "decider"),
                           json={"execute": [keyholding["staff"].id, keyholding["staff2"].id],
                                 "supervise": [keyholding["supervisor"].id]})
    assert response.status_code == 201, response.get_json()
    for name, who in (("submit", "staff"), ("approve", "decider"), ("publish", "staff")):
        trades.move(trade, name, keyholding[who])
    db.session.commit()
    assert trade.state is TradeState.BIDDING
    return trade


@pytest.fixture
def bidders(db, keyholding, make_user, make_org):
    """Three more bidder companies beside the fixture's one."""
    for name in ("bidder_b", "bidder_c", "bidder_d", "bidder_e"):
        keyholding[name] = make_user(name, (Role.BIDDER, None), org=make_org(OrgKind.BIDDER, f"{name} 建设有限公司"))
    return keyholding


def _public_key(client, trade):
    return envelope.load_public_key(client.get(f"/api/v1/trades/{trade.id}/opening-key").get_json()["public_key"])


def _plaintext(price: str, marker: str = "") -> list[bytes]:
    return list(encode_bid({"price": price, "duration_days": "360", "note": marker},
                           [("technical.txt", f"technical proposal {marker}".encode())]))


def _envelope(client, trade, code: str, price: str, *, foreign_key: bool = False) -> bytes:
    """A well-formed envelope; with `foreign_key` its file key is sealed to another key than the
    header names (a faulty sealer on the bidder's side): the platform accepts it, opening cannot."""
    pk = _public_key(client, trade)
    out = io.BytesIO()
    if not foreign_key:
        envelope.seal(_plaintext(price), public_key=pk, trade_ref=trade.ref, bidder_id=code, version=1,
                      chunk_size=1024, out=out)
        return out.getvalue()
    bound = envelope.build_bound_header(trade.ref, code, 1, envelope.fingerprint(pk), 1024,
                                        plaintext_size=len(b"".join(_plaintext(price))))
    file_key = os.urandom(32)
    sealed = envelope.SUITE.encrypt(file_key, keys.generate_opening_key().public_key(), info=bound)
    envelope.write_envelope(_plaintext(price), bound_header=bound, file_key=file_key, sealed_key=sealed, out=out)
    return out.getvalue()


def _submit(client, trade, who: str, data: bytes):
    response = client.post(f"/api/v1/trades/{trade.id}/bids", data=data, content_type="application/octet-stream",
                           headers={**api_headers(client, who), "Content-Digest": content_digest(data)})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _bid_all(client, trade, users, prices=PRICES, **faults):
    out = {}
    for who, price in prices.items():
        data = _envelope(client, trade, users[who].organisation.credit_code, price,
                         foreign_key=faults.get(who) == "foreign_key")
        out[who] = _submit(client, trade, who, data)
    return out


def _url(trade, tail: str = "") -> str:
    return f"/api/v1/trades/{trade.id}/ceremony{tail}"


def _release(client, trade, who: str, passphrase: str | None = None):
    """The keyholder's machine opens the share and sends only the share (tests/bidding/conftest.py)."""
    return release(client, trade, who, passphrase)


def _start(client, trade):
    return client.post(_url(trade), headers=api_headers(client, "staff"))


def _complete(client, trade):
    return client.post(_url(trade, "/complete"), headers=api_headers(client, "staff"))


def _open(client, trade, clock):
    """From the opening time: start, release every share, complete."""
    clock.freeze(trade.opening_at)
    assert _start(client, trade).status_code == 201
    for who in PASSPHRASES:
        assert _release(client, trade, who).status_code == 201
    response = _complete(client, trade)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# ---- timing and thresholds ------------------------------------------------------------------------

def test_refused_before_opening_time_even_with_every_keyholder_present(db, client, sealed_trade, bidders, clock):
    """Before the opening time nothing opens: no share can even leave its holder's passphrase."""
    _bid_all(client, sealed_trade, bidders)
    assert _release(client, sealed_trade, "staff").status_code == 409  # before the deadline: never
    # an opening set an hour after the deadline (written directly: the works rule set wants them equal)
    sealed_trade.opening_at = sealed_trade.bid_deadline + timedelta(hours=1)
    db.session.commit()
    clock.freeze(sealed_trade.opening_at - timedelta(milliseconds=1))
    for who in PASSPHRASES:  # every keyholder is there, passphrase ready: still refused
        refused = _release(client, sealed_trade, who)
        assert refused.status_code == 409 and refused.get_json()["code"] == "not_releasable"
    early = _start(client, sealed_trade)
    assert early.status_code == 409 and early.get_json()["code"] == "too_early"
    assert _complete(client, sealed_trade).get_json()["code"] == "not_started"
    db.session.expire_all()
    assert sealed_trade.state is not TradeState.OPENING
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ShareRelease)) == 0
    # at the opening time: start, release, open
    clock.freeze(sealed_trade.opening_at)
    assert _start(client, sealed_trade).status_code == 201
    for who in PASSPHRASES:
        assert _release(client, sealed_trade, who).status_code == 201
    done = _complete(client, sealed_trade)
    assert done.status_code == 200 and done.get_json()["outcome"] == "opened"


@pytest.mark.parametrize("missing", ["execute", "supervise"])
def test_refused_with_fewer_shares_than_either_threshold(db, client, sealed_trade, bidders, clock, missing):
    _bid_all(client, sealed_trade, bidders)
    clock.freeze(sealed_trade.opening_at + timedelta(minutes=5))
    assert _start(client, sealed_trade).status_code == 201
    released = ["staff", "supervisor"] if missing == "execute" else ["staff", "staff2"]
    for who in released:
        assert _release(client, sealed_trade, who).status_code == 201
    response = _complete(client, sealed_trade)
    body = response.get_json()
    assert response.status_code == 409 and body["code"] == "not_enough_shares"
    expected = "1 more executing and 0 more supervising" if missing == "execute" else \
        "0 more executing and 1 more supervising"
    assert expected in client.post(_url(sealed_trade, "/complete"), headers={
        **api_headers(client, "staff"), "Accept-Language": "en"}).get_json()["message"]
    state = client.get(_url(sealed_trade), headers=api_headers(client, "staff")).get_json()
    assert state["sides"][missing]["released"] < state["sides"][missing]["threshold"]
    db.session.expire_all()
    assert sealed_trade.state is TradeState.OPENING
    ceremony_id = db.session.scalar(sa.select(OpeningCeremony.id))
    assert len(ceremony.held_keyholders(ceremony_id)) == 2  # a refused completion keeps what was released
    ceremony.wipe_shares(ceremony_id)


def test_wrong_passphrase_and_non_keyholders(db, client, sealed_trade, bidders, clock):
    clock.freeze(sealed_trade.opening_at)
    assert _start(client, sealed_trade).status_code == 201
    with pytest.raises(holder_side.WrongPassphrase):  # found on the keyholder's machine: nothing is sent
        _release(client, sealed_trade, "staff", "not my passphrase at all")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ShareRelease)) == 0
    for outsider in ("social", "staff_proc", "bidder", "decider"):  # not keyholders of this trade
        response = client.post(_url(sealed_trade, "/shares"), json={"share": "00" * 72},
                               headers=api_headers(client, outsider))
        assert response.status_code == 403, outsider
        assert client.get(_url(sealed_trade, "/share"), headers=api_headers(client, outsider)).status_code == 403
    assert client.post(_url(sealed_trade, "/shares"), json={"share": "00" * 72}).status_code == 401
    assert client.get(_url(sealed_trade, "/share")).status_code == 401
    assert _release(client, sealed_trade, "staff").status_code == 201
    again = _release(client, sealed_trade, "staff")
    assert again.status_code == 409 and again.get_json()["code"] == "already_released"
    ceremony.wipe_shares(db.session.scalar(sa.select(OpeningCeremony.id)))


# ---- the full ceremony -------------------------------------------------------------------------------

def _scalar_of(db, trade) -> bytes:
    """Rebuild the opening key the way the keyholders would, to look for it in the database."""
    key = db.session.scalar(sa.select(OpeningKey).where(OpeningKey.trade_id == trade.id))
    opened = {"execute": [], "supervise": []}
    for share in db.session.scalars(sa.select(SealedShare).where(SealedShare.opening_key_id == key.id)):
        holder = db.session.get(Keyholder, share.keyholder_id)
        personal = holder_side.unwrap(active_personal_key(holder.user_id).protected_key,
                                      PASSPHRASES[holder.user.username])
        opened[share.side.value].append(holder_side.open_share(share.sealed, personal, share_context(trade, holder)))
    private = keys.rebuild_opening_key(opened["execute"], opened["supervise"], key.public_key)
    return private.private_numbers().private_value.to_bytes(32, "big")


def test_full_ceremony_opens_every_bid_and_publishes_the_record(db, client, sealed_trade, bidders, clock, app):
    received = []

    def listener(trade, **kw):
        received.append((trade.id, kw["ceremony"].id))

    _bid_all(client, sealed_trade, bidders)
    assert client.get(f"/api/v1/trades/{sealed_trade.id}/opening-record").status_code == 404
    with ceremony.ceremony_completed.connected_to(listener):
        state = _open(client, sealed_trade, clock)
    assert state["outcome"] == "opened" and state["state"] == "opened"
    db.session.expire_all()
    assert sealed_trade.state is TradeState.OPENED
    cer = db.session.scalar(sa.select(OpeningCeremony))
    assert received == [(sealed_trade.id, cer.id)]
    assert ceremony.held_keyholders(cer.id) == set()

    # the record is public: anyone reads it and checks its hash
    body = client.get(f"/api/v1/trades/{sealed_trade.id}/opening-record").get_json()
    assert hashlib.sha256(body["canonical"].encode("utf-8")).hexdigest() == body["sha256"] == cer.record_sha256
    assert canonical_json(body["record"]) == body["canonical"].encode("utf-8")
    record = body["record"]
    by_name = {b["bidder"]: b for b in record["bids"]}
    for who, price in PRICES.items():
        entry = by_name[bidders[who].organisation.name]
        assert entry["status"] == "opened" and entry["price"] == price
        assert entry["figures"] == {"duration_days": "360", "note": ""}
        assert entry["plaintext_sha256"] == hashlib.sha256(b"".join(_plaintext(price))).hexdigest()
        assert entry["files"][0]["name"] == "technical.txt"
    assert sorted(r["side"] for r in record["releases"]) == ["execute", "execute", "supervise"]
    assert record["valid_bids"] == 3 and record["min_bids"] == 3
    # the bidders in the opening see the results in the live state
    live = client.get(_url(sealed_trade), headers=api_headers(client, "bidder_b")).get_json()
    assert sorted(e["price"] for e in live["entries"]) == sorted(PRICES.values())

    # nothing secret was stored: the opening key's scalar is in no database page
    scalar = _scalar_of(db, sealed_trade)
    db.session.commit()
    db_file = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    for path in [db_file, *db_file.parent.glob(db_file.name + "-wal")]:
        assert scalar not in path.read_bytes() and scalar.hex().encode() not in path.read_bytes(), path
    # and the ceremony cannot be run twice
    assert _complete(client, sealed_trade).status_code == 409


def test_decryption_failures_per_o20_art_31_and_the_rest_continues(db, client, sealed_trade, bidders, clock, app):
    prices = {**PRICES, "bidder_d": "4100000.00", "bidder_e": "4200000.00"}
    submitted = _bid_all(client, sealed_trade, bidders, prices, bidder_d="foreign_key")
    blob = Path(app.config["BLOB_DIR"]) / submitted["bidder_e"]["sha256"][:2] / submitted["bidder_e"]["sha256"][2:]
    blob.unlink()  # the platform lost bidder_e's envelope
    state = _open(client, sealed_trade, clock)
    assert state["outcome"] == "opened"
    entries = {e.organisation.name: e for e in db.session.scalars(sa.select(OpeningEntry))}
    revoked = entries[bidders["bidder_d"].organisation.name]
    withdrawn = entries[bidders["bidder_e"].organisation.name]
    assert revoked.status.value == "revoked" and "投标人原因" in revoked.reason and revoked.price is None
    assert withdrawn.status.value == "withdrawn" and "平台原因" in withdrawn.reason
    assert sorted(str(e.price) for e in entries.values() if e.status.value == "opened") == sorted(PRICES.values())


def test_too_few_valid_bids_fail_the_trade(db, client, sealed_trade, bidders, clock):
    prices = {"bidder": "4815000.00", "bidder_b": "4700000.00", "bidder_c": "4600000.00"}
    _bid_all(client, sealed_trade, bidders, prices, bidder_c="foreign_key")
    state = _open(client, sealed_trade, clock)
    assert state["outcome"] == "failed" and state["state"] == "failed" and "流标" in state["reason"]
    db.session.expire_all()
    assert sealed_trade.state is TradeState.FAILED
    assert sealed_trade.history[-1].move == "fail" and "招标投标法" in sealed_trade.history[-1].reason


# ---- objections and signatures --------------------------------------------------------------------

def test_objections_during_the_ceremony(db, client, sealed_trade, bidders, clock):
    _bid_all(client, sealed_trade, bidders)
    clock.freeze(sealed_trade.opening_at)
    url = _url(sealed_trade, "/objections")
    before = client.post(url, json={"text": "too early"}, headers=api_headers(client, "bidder"))
    assert before.status_code == 409  # not under way yet
    assert _start(client, sealed_trade).status_code == 201
    lodged = client.post(url, json={"text": "我方对开标时间有异议"}, headers=api_headers(client, "bidder"))
    assert lodged.status_code == 201, lodged.get_json()
    oid = lodged.get_json()["id"]
    assert client.post(url, json={"text": ""}, headers=api_headers(client, "bidder")).status_code == 422
    for outsider in ("bidder_d", "staff", "supervisor", "tenderer"):  # bidder_d did not bid
        assert client.post(url, json={"text": "x"}, headers=api_headers(client, outsider)).status_code == 403
    assert client.post(url, json={"text": "x"}).status_code == 401
    # another bidder sees that an objection was raised, not by whom
    seen = client.get(_url(sealed_trade), headers=api_headers(client, "bidder_b")).get_json()["objections"]
    assert seen[0]["text"] == "我方对开标时间有异议" and seen[0]["bidder"] is None
    answer = _url(sealed_trade, f"/objections/{oid}/answer")
    assert client.post(answer, json={"text": "x"}).status_code == 401
    for wrong in ("bidder", "supervisor", "decider"):
        assert client.post(answer, json={"text": "x"}, headers=api_headers(client, wrong)).status_code == 403
    ok = client.post(answer, json={"text": "开标时间符合招标文件规定"}, headers=api_headers(client, "staff"))
    assert ok.status_code == 200 and ok.get_json()["answer"] == "开标时间符合招标文件规定"
    assert client.post(answer, json={"text": "again"}, headers=api_headers(client, "staff")).status_code == 409
    for who in PASSPHRASES:
        assert _release(client, sealed_trade, who).status_code == 201
    assert _complete(client, sealed_trade).status_code == 200
    # the results are out: objections to them are still heard until the supervisors sign
    on_results = client.post(url, json={"text": "报价宣读有误"}, headers=api_headers(client, "bidder"))
    assert on_results.status_code == 201
    sup = api_headers(client, "supervisor")
    assert client.post(_url(sealed_trade, "/signatures"), headers=sup,
                       json=api_signed(client, sup, "opening-record", trade_id=sealed_trade.id)).status_code == 201
    late = client.post(url, json={"text": "late"}, headers=api_headers(client, "bidder"))
    assert late.status_code == 409


def test_supervisors_sign_the_record(db, client, sealed_trade, bidders, clock):
    _bid_all(client, sealed_trade, bidders)
    url = _url(sealed_trade, "/signatures")
    clock.freeze(sealed_trade.opening_at)
    assert _start(client, sealed_trade).status_code == 201
    assert client.post(url, json={}, headers=api_headers(client, "supervisor")).status_code == 409  # no record yet
    for who in PASSPHRASES:
        assert _release(client, sealed_trade, who).status_code == 201
    assert _complete(client, sealed_trade).status_code == 200
    assert client.post(url, json={}).status_code == 401
    for wrong in ("bidder", "staff", "decider", "tenderer", "expert"):
        assert client.post(url, json={}, headers=api_headers(client, wrong)).status_code == 403, wrong
    sup, social = api_headers(client, "supervisor"), api_headers(client, "social")
    # unsigned, or signed with a key that is not the supervisor's published one: refused, nothing stored
    unsigned = client.post(url, json={}, headers=sup)
    assert unsigned.status_code == 422 and unsigned.get_json()["field"] == "statement"
    good = api_signed(client, sup, "opening-record", trade_id=sealed_trade.id)
    forged = dict(good, signature=base64.b64encode(st.sign(st.generate(), good["statement"].encode())).decode())
    refused = client.post(url, json=forged, headers=sup)
    assert refused.status_code == 422 and refused.get_json()["field"] == "signature"
    altered = dict(good, statement=good["statement"].replace('"decision":"signed"', '"decision":"dissent"'))
    assert client.post(url, json=altered, headers=sup).get_json()["field"] == "statement"
    assert client.get(f"/api/v1/trades/{sealed_trade.id}/opening-record").get_json()["signatures"] == []
    signed = client.post(url, json=good, headers=sup)
    assert signed.status_code == 201 and signed.get_json()["dissent"] is None
    assert signed.get_json()["statement"] == good["statement"] and signed.get_json()["signature"] == good["signature"]
    # a social supervisor of the centre who was neither drawn for the trade nor appointed keyholder: their
    # signature would not count, so it is refused (test_bidder_conflicts.py: a drawn one's dissent counts)
    dissent = client.post(url, json={"dissent": "第3家报价单位未当场宣读"}, headers=social)
    assert dissent.status_code == 403 and dissent.get_json()["code"] == "not_a_signer"
    record = client.get(f"/api/v1/trades/{sealed_trade.id}/opening-record").get_json()
    assert {s["record_sha256"] for s in record["signatures"]} == {record["sha256"]}
    assert [(s["supervisor"], s["counts"]) for s in record["signatures"]] == [("Supervisor", True)]
    assert client.post(url, json=good, headers=sup).status_code == 409


# ---- the caller matrix -----------------------------------------------------------------------------

def test_ceremony_route_matrix(db, client, sealed_trade, bidders, app):
    """Every protected ceremony route refuses anonymous callers (401) and the wrong branch (403)."""
    protected = {(r.endpoint, m) for r in app.url_map.iter_rules()
                 if r.rule.startswith("/api/") and ("/ceremony" in r.rule or "/opening-record" in r.rule)
                 for m in r.methods - {"HEAD", "OPTIONS"}}
    assert protected == COVERED
    record_routes = {e for e, _m in COVERED if "opening_record" in e}
    urls = {r.endpoint: r.rule.replace("<int:trade_id>", str(sealed_trade.id)).replace("<int:objection_id>", "1")
            for r in app.url_map.iter_rules()}
    decider, staff, other_staff = (api_headers(client, who) for who in ("decider", "staff", "staff_proc"))
    for endpoint, method in sorted(COVERED - {(e, "GET") for e in record_routes}):
        call = getattr(client, method.lower())
        kwargs = {"json": {"text": "x", "passphrase": "x", "reason": "x"}} if method == "POST" else {}
        assert call(urls[endpoint], **kwargs).status_code == 401, endpoint
        # deciders watch the opening (they may fail or postpone it): the staff of another centre may not
        wrong = staff if endpoint in DECIDER_ROUTES else other_staff if endpoint.endswith("get_ceremony") else decider
        assert call(urls[endpoint], headers=wrong, **kwargs).status_code == 403, endpoint
    # the right roles get past the permission check (the lifecycle may still refuse: 409, not 403)
    right = {"bidding_api.start_ceremony": "staff", "bidding_api.get_ceremony": "supervisor",
             "bidding_api.release_share": "staff2", "bidding_api.get_sealed_share": "staff2",
             "bidding_api.complete_ceremony": "staff",
             "bidding_api.sign_record": "social", "bidding_api.answer_objection": "staff",
             "bidding_api.restart_ceremony": "staff", "bidding_api.fail_opening": "decider",
             "bidding_api.postpone_opening": "decider"}
    for endpoint, who in right.items():
        method = next(m for e, m in COVERED if e == endpoint)
        kwargs = {"json": {"text": "x"} if "objection" in endpoint else
                  {"share": "00" * 72} if "share" in endpoint else
                  {"reason": "x", "opening_at": "2026-04-01T09:00:00+08:00"} if "postpone" in endpoint else
                  {"reason": "x"} if endpoint in ("bidding_api.restart_ceremony", "bidding_api.fail_opening") else {}}
        response = getattr(client, method.lower())(urls[endpoint], headers=api_headers(client, who),
                                                   **(kwargs if method == "POST" else {}))
        assert response.status_code in (200, 404, 409), (endpoint, response.get_json())
    _bid_all(client, sealed_trade, bidders, {"bidder": "4815000.00"})
    assert client.get(urls["bidding_api.get_ceremony"], headers=api_headers(client, "bidder")).status_code == 200
    assert client.get(urls["bidding_api.get_ceremony"], headers=api_headers(client, "bidder_b")).status_code == 403
    lodge = client.post(urls["bidding_api.lodge_objection"], json={"text": "x"}, headers=api_headers(client, "bidder"))
    assert lodge.status_code == 409  # the right bidder, but no ceremony under way


# ---- the PDF ---------------------------------------------------------------------------------------

def _pdftotext(data: bytes, tmp_path) -> str:
    assert shutil.which("pdftotext"), "pdftotext missing: `make test` installs Debian's poppler-utils"
    path = tmp_path / "record.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout
    return "".join(text.split())  # table cells wrap: compare without white space


def test_opening_record_pdf(db, client, sealed_trade, bidders, clock, tmp_path):
    _bid_all(client, sealed_trade, bidders)
    _open(client, sealed_trade, clock)
    sup = api_headers(client, "supervisor")
    assert client.post(_url(sealed_trade, "/signatures"), headers=sup,
                       json=api_signed(client, sup, "opening-record", trade_id=sealed_trade.id)).status_code == 201
    response = client.get(f"/api/v1/trades/{sealed_trade.id}/opening-record.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    artifacts = Path(__file__).resolve().parents[3] / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "opening-record.pdf").write_bytes(response.data)
    text = _pdftotext(response.data, tmp_path)
    assert "开标记录" in text
    for who in PRICES:
        assert "".join(bidders[who].organisation.name.split()) in text
    for shown in ("¥4,815,000.00", "¥4,700,000.50", "¥4,999,999.99"):
        assert shown in text


def test_opening_record_routes_follow_trade_view(db, client, make_trade, sealed_trade):
    """The record is public once made; an unpublished trade's record URL says nothing to outsiders."""
    draft = make_trade(paper_bids=False)
    for tail in ("opening-record", "opening-record.pdf"):
        url = f"/api/v1/trades/{draft.id}/{tail}"
        assert client.get(url).status_code == 401
        for outsider in ("other_tenderer", "bidder", "expert"):
            assert client.get(url, headers=api_headers(client, outsider)).status_code == 403, outsider
        assert client.get(url, headers=api_headers(client, "staff")).status_code == 404  # no record yet
        assert client.get(f"/api/v1/trades/{sealed_trade.id}/{tail}").status_code == 404  # public, not opened


def test_releases_and_opening_on_different_workers(db, app, client, sealed_trade, bidders, clock):
    """Several worker processes: each keyholder's request may land on another one. A second app on
    the same database and secret stands for a second worker; the held shares are in the database."""
    from trading import create_app

    _bid_all(client, sealed_trade, bidders)
    clock.freeze(sealed_trade.opening_at)
    assert _start(client, sealed_trade).status_code == 201
    from trading.config import TestConfig

    other = create_app(type("SecondWorker", (TestConfig,), {k: v for k, v in app.config.items() if k.isupper()}))
    other_client = other.test_client()
    names = list(PASSPHRASES)
    for i, who in enumerate(names):
        worker = client if i % 2 == 0 else other_client
        assert _release(worker, sealed_trade, who).status_code == 201
    response = _complete(other_client, sealed_trade)
    assert response.status_code == 200, response.get_json()
    db.session.expire_all()
    held = db.session.scalar(sa.select(sa.func.count()).select_from(ShareRelease)
                             .where(ShareRelease.held_share.is_not(None)))
    assert held == 0  # erased when the bids were opened
    with other.app_context():
        from trading.extensions import db as other_db

        other_db.session.remove()
        other_db.engine.dispose()


def test_held_shares_are_not_the_shares(db, client, sealed_trade, bidders, clock):
    """What the database holds between release and opening is sealed, not the share itself."""
    from bidding.keyholders.models import Keyholder, SealedShare
    from bidding.keyholders.services import active_personal_key, share_context

    clock.freeze(sealed_trade.opening_at)
    assert _start(client, sealed_trade).status_code == 201
    assert _release(client, sealed_trade, "staff").status_code == 201
    row = db.session.scalar(sa.select(ShareRelease))
    holder = db.session.get(Keyholder, row.keyholder_id)
    sealed = db.session.scalar(sa.select(SealedShare).where(SealedShare.keyholder_id == holder.id))
    personal = holder_side.unwrap(active_personal_key(holder.user_id).protected_key, PASSPHRASES["staff"])
    share = holder_side.open_share(sealed.sealed, personal, share_context(sealed_trade, holder)).to_bytes()
    assert row.held_share and share not in row.held_share
