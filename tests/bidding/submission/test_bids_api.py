"""Keyholders, the opening key made at approval, and sealed bids received over HTTP with signed receipts."""
from __future__ import annotations

import io
import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization

from bidding.crypto import envelope, receipt
from bidding.keyholders import keys
from bidding.keyholders.models import Keyholder, OpeningKey, SealedShare, Side
from bidding.submission.models import Bid, BidState
from bidding.crypto.records import encode_bid
from bidding.keyholders.services import active_personal_key, share_context
from monitor.audit import log as audit
from monitor.audit import merkle
from monitor.audit.models import AuditEntry
from bidding.crypto.envelope_check import content_digest
from tests.conftest import api_headers
from trading.accounts.roles import Role
from trading.errors import IllegalMove
from trading.trades import services as trades
from trading.trades.flows import TradeState

from bidding.keyholders import client as holder_side
from tests.bidding.conftest import PASSPHRASES
MARKER = "MARKER-7f3a9c-绝密标价"


def _approve(db, client, users, trade) -> None:
    response = client.post(f"/api/v1/trades/{trade.id}/keyholders", headers=api_headers(client, "decider"),
                           json={"execute": [users["staff"].id, users["staff2"].id],
                                 "supervise": [users["supervisor"].id]})
    assert response.status_code == 201, response.get_json()
    trades.move(trade, "submit", users["staff"])
    trades.move(trade, "approve", users["decider"])
    db.session.commit()


@pytest.fixture
def sealed_trade(db, client, keyholding, make_trade, clock):
    """A published works tender with keyholders and an opening key, open for bids."""
    from tests.conftest import START, tender_timeline

    trade = make_trade(paper_bids=False, **tender_timeline(START))
    _approve(db, client, keyholding, trade)
    trades.move(trade, "publish", keyholding["staff"])
    db.session.commit()
    assert trade.state is TradeState.BIDDING
    return trade


def _public_key(client, trade):
    body = client.get(f"/api/v1/trades/{trade.id}/opening-key").get_json()
    return envelope.load_public_key(body["public_key"]), body


def _envelope(client, trade, bidder_code: str, version: int = 1, price: str = "4815000.00",
              marker: str = "", trade_ref: str | None = None) -> bytes:
    pk, _body = _public_key(client, trade)
    out = io.BytesIO()
    plaintext = encode_bid({"price": price, "duration_days": "360", "note": marker},
                           [("technical.txt", f"technical proposal {marker}".encode())])
    envelope.seal(plaintext, public_key=pk, trade_ref=trade_ref or trade.ref, bidder_id=bidder_code,
                  version=version, chunk_size=1024, out=out)
    return out.getvalue()


def _submit(client, trade, who: str, data: bytes, digest: str | None = None):
    """POST an envelope as a sealer does: with its RFC 9530 Content-Digest (or `digest` as given)."""
    return client.post(f"/api/v1/trades/{trade.id}/bids", data=data, content_type="application/octet-stream",
                       headers={**api_headers(client, who), "Content-Digest": digest or content_digest(data)})


# ---- the opening key ----------------------------------------------------------------------------

def test_approval_makes_the_opening_key_and_only_shares_are_stored(db, client, sealed_trade, keyholding, app):
    key = db.session.scalar(sa.select(OpeningKey).where(OpeningKey.trade_id == sealed_trade.id))
    pk, body = _public_key(client, sealed_trade)
    assert body["fingerprint"] == envelope.fingerprint(pk).hex() == key.fingerprint
    assert (key.execute_threshold, key.supervise_threshold) == (2, 1)
    shares = db.session.scalars(sa.select(SealedShare).where(SealedShare.opening_key_id == key.id)).all()
    assert sorted(s.side.value for s in shares) == ["execute", "execute", "supervise"]

    # the keyholders, and only they, can rebuild it: each unlocks their key with their passphrase
    opened = {Side.EXECUTE: [], Side.SUPERVISE: []}
    for share in shares:
        holder = db.session.get(Keyholder, share.keyholder_id)
        name = holder.user.username
        personal = holder_side.unwrap(active_personal_key(holder.user_id).protected_key, PASSPHRASES[name])
        opened[share.side].append(holder_side.open_share(share.sealed, personal, share_context(sealed_trade, holder)))
    private = keys.rebuild_opening_key(opened[Side.EXECUTE], opened[Side.SUPERVISE], key.public_key)
    scalar = private.private_numbers().private_value.to_bytes(32, "big")
    der = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    # the whole private key is in no database page and no file the platform wrote
    db.session.commit()
    db_file = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    written = [db_file, *db_file.parent.glob(db_file.name + "-wal")]
    written += [p for p in Path(app.config["BLOB_DIR"]).rglob("*") if p.is_file()]
    for path in written:
        data = path.read_bytes()
        assert scalar not in data and der not in data, path

    with pytest.raises(keys.KeyCustodyError):
        keys.rebuild_opening_key(opened[Side.EXECUTE][:1], opened[Side.SUPERVISE], key.public_key)
    with pytest.raises(holder_side.WrongPassphrase):
        holder_side.unwrap(active_personal_key(keyholding["staff"].id).protected_key, "not the passphrase")


def test_approval_refused_until_every_keyholder_has_enrolled(db, client, users, make_user, make_trade):
    users["staff2"] = make_user("staff2", (Role.CENTRE_STAFF, "WORKS"))
    trade = make_trade(paper_bids=False)
    client.post(f"/api/v1/trades/{trade.id}/keyholders", headers=api_headers(client, "decider"),
                json={"execute": [users["staff"].id, users["staff2"].id], "supervise": [users["supervisor"].id]})
    trades.move(trade, "submit", users["staff"])
    db.session.commit()
    response = client.post(f"/api/v1/trades/{trade.id}/transitions", json={"move": "approve"},
                           headers=api_headers(client, "decider"))
    assert response.status_code == 409 and response.get_json()["code"] == "keyholder_not_enrolled"
    db.session.expire_all()
    assert trade.state is TradeState.SUBMITTED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OpeningKey)) == 0


def test_keyholder_appointment_rules(db, client, keyholding, make_trade):
    trade = make_trade(paper_bids=False)
    headers = api_headers(client, "decider")
    url = f"/api/v1/trades/{trade.id}/keyholders"
    too_few = client.post(url, headers=headers, json={"execute": [keyholding["staff"].id],
                                                      "supervise": [keyholding["supervisor"].id]})
    assert too_few.status_code == 422 and "execute" in too_few.get_json()["errors"]
    both = client.post(url, headers=headers, json={"execute": [keyholding["staff"].id, keyholding["staff2"].id],
                                                   "supervise": [keyholding["staff"].id]})
    assert both.status_code == 422
    # a decider cannot hold a share: the separation of duties applies to keyholders too
    wrong_branch = client.post(url, headers=headers, json={
        "execute": [keyholding["staff"].id, keyholding["decider"].id], "supervise": [keyholding["supervisor"].id]})
    assert wrong_branch.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Keyholder)) == 0


def test_enrolment_takes_keys_not_passphrases(client, users):
    response = client.post("/api/v1/me/personal-key", json={"passphrase": "long enough passphrase"},
                           headers=api_headers(client, "staff"))
    assert response.status_code == 410 and response.get_json()["code"] == "passphrase_not_accepted"
    bad = client.post("/api/v1/me/personal-key", json={"public_key": "04" + "00" * 64},
                      headers=api_headers(client, "staff"))
    assert bad.status_code == 422 and bad.get_json()["field"] == "public_key"
    made = holder_side.enrol("long enough passphrase", 1_000)
    bidder = client.post("/api/v1/me/personal-key", json={"public_key": made.public_key.hex()},
                         headers=api_headers(client, "bidder"))
    assert bidder.status_code == 403


# ---- submission and receipts -----------------------------------------------------------------------

def test_submit_gives_a_receipt_the_bidder_can_verify(db, client, sealed_trade, users):
    code = users["bidder"].organisation.credit_code
    data = _envelope(client, sealed_trade, code)
    response = _submit(client, sealed_trade, "bidder", data)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["version"] == 1 and body["size"] == len(data)
    signed = body["receipt"]
    assert signed["trade"] == sealed_trade.ref and signed["bidder"] == code and signed["version"] == 1
    import hashlib

    assert signed["sha256"] == hashlib.sha256(data).hexdigest()
    platform = client.get("/api/v1/receipt-key").get_json()
    public = receipt.load_platform_key(platform["public_key"])
    assert receipt.verify_receipt(signed, public)
    tampered = dict(signed, size=signed["size"] + 1)
    assert not receipt.verify_receipt(tampered, public)
    # the receipt cites the audit-log entry of the submission, which names the bidder only by a pseudonym,
    # and the log proves that entry is in it
    entry = db.session.get(AuditEntry, signed["audit_index"])
    logged = json.loads(entry.body)
    assert logged["action"] == "bids.insert" and logged["object"]["type"] == "bids"
    assert logged["after"]["sha256"] == signed["sha256"]
    assert code not in entry.body and logged["after"]["organisation_id"].startswith("anon:")
    total, root = audit.head()
    proof = client.get(f"/api/v1/audit/proofs/inclusion?index={signed['audit_index']}&size={total}").get_json()
    assert proof["root"] == root.hex()
    assert merkle.verify_inclusion(signed["audit_index"], total, merkle.leaf_hash(entry.body.encode()),
                                   [bytes.fromhex(h) for h in proof["path"]], root)


@pytest.mark.parametrize("case", ["plain_pdf", "other_trade", "other_bidder", "wrong_version", "truncated", "empty"])
def test_bad_envelopes_refused_and_nothing_stored(db, client, sealed_trade, users, app, case):
    code = users["bidder"].organisation.credit_code
    good = _envelope(client, sealed_trade, code)
    data = {
        "plain_pdf": b"%PDF-1.7\n" + os.urandom(2000),
        "other_trade": _envelope(client, sealed_trade, code, trade_ref="GC-2026-9999"),
        "other_bidder": _envelope(client, sealed_trade, users["other_tenderer"].organisation.credit_code),
        "wrong_version": _envelope(client, sealed_trade, code, version=2),
        "truncated": good[:60],  # cut inside the header (a cut in the last chunk shows only at opening)
        "empty": b"",
    }[case]
    before = sorted(p for p in Path(app.config["BLOB_DIR"]).rglob("*") if p.is_file())
    response = _submit(client, sealed_trade, "bidder", data)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["field"] == "envelope" and response.get_json()["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Bid)) == 0
    assert sorted(p for p in Path(app.config["BLOB_DIR"]).rglob("*") if p.is_file()) == before


def test_plain_file_gets_a_clear_message_in_both_languages(client, sealed_trade, users):
    headers = api_headers(client, "bidder")
    headers["Content-Digest"] = content_digest(b"just a price list")
    zh = client.post(f"/api/v1/trades/{sealed_trade.id}/bids", data=b"just a price list", headers=headers,
                     content_type="application/octet-stream").get_json()["message"]
    en = client.post(f"/api/v1/trades/{sealed_trade.id}/bids", data=b"just a price list",
                     headers={**headers, "Accept-Language": "en"},
                     content_type="application/octet-stream").get_json()["message"]
    assert "加密" in zh and "encrypted" in en


def test_deadline_to_the_millisecond(db, client, sealed_trade, users, clock):
    code = users["bidder"].organisation.credit_code
    clock.freeze(sealed_trade.bid_deadline - timedelta(milliseconds=1))
    assert _submit(client, sealed_trade, "bidder", _envelope(client, sealed_trade, code)).status_code == 201
    clock.freeze(sealed_trade.bid_deadline)
    late = _submit(client, sealed_trade, "bidder", _envelope(client, sealed_trade, code, version=2))
    assert late.status_code == 409 and late.get_json()["code"] == "deadline_passed"
    withdraw = client.delete(f"/api/v1/trades/{sealed_trade.id}/bids", headers=api_headers(client, "bidder"))
    assert withdraw.status_code == 409
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Bid)) == 1


def test_replace_and_withdraw(db, client, sealed_trade, users):
    code = users["bidder"].organisation.credit_code
    headers = api_headers(client, "bidder")
    assert _submit(client, sealed_trade, "bidder", _envelope(client, sealed_trade, code)).status_code == 201
    second = _submit(client, sealed_trade, "bidder", _envelope(client, sealed_trade, code, version=2, price="4700000.00"))
    assert second.status_code == 201 and second.get_json()["version"] == 2
    mine = client.get(f"/api/v1/trades/{sealed_trade.id}/bids", headers=headers).get_json()
    assert [(b["version"], b["state"]) for b in mine] == [(1, "replaced"), (2, "submitted")]
    gone = client.delete(f"/api/v1/trades/{sealed_trade.id}/bids", headers=headers)
    assert gone.status_code == 200 and gone.get_json()["state"] == "withdrawn"
    assert client.delete(f"/api/v1/trades/{sealed_trade.id}/bids", headers=headers).status_code == 409


def test_replacing_a_bid_logs_the_earlier_versions_change(db, client, sealed_trade, users):
    code = users["bidder"].organisation.credit_code
    assert _submit(client, sealed_trade, "bidder", _envelope(client, sealed_trade, code)).status_code == 201
    first = db.session.scalar(sa.select(Bid).where(Bid.trade_id == sealed_trade.id))
    size = audit.head()[0]
    second = _submit(client, sealed_trade, "bidder", _envelope(client, sealed_trade, code, version=2))
    assert second.status_code == 201
    new = [json.loads(b) for b in db.session.scalars(sa.select(AuditEntry.body).where(AuditEntry.seq >= size)
                                                      .order_by(AuditEntry.seq))]
    changed = [e for e in new if e["action"] == "bids.update" and e["object"] == {"type": "bids", "id": first.id}]
    assert len(changed) == 1, [e["action"] for e in new]
    assert (changed[0]["before"], changed[0]["after"]) == ({"state": "submitted"}, {"state": "replaced"})
    assert changed[0]["trade"] == sealed_trade.id and changed[0]["actor"]["pseudonym"].startswith("anon:")


def test_who_sees_bids_before_opening(db, client, sealed_trade, users, make_user, make_org):
    from trading.accounts.models import OrgKind

    other = make_user("bidder_b", (Role.BIDDER, None), org=make_org(OrgKind.BIDDER, "Second Bidder Co."))
    for who, user in (("bidder", users["bidder"]), ("bidder_b", other)):
        data = _envelope(client, sealed_trade, user.organisation.credit_code)
        assert _submit(client, sealed_trade, who, data).status_code == 201
    url = f"/api/v1/trades/{sealed_trade.id}/bids"
    own = client.get(url, headers=api_headers(client, "bidder_b")).get_json()
    assert len(own) == 1 and "organisation" not in own[0]
    for insider in ("staff", "tenderer"):
        listed = client.get(url, headers=api_headers(client, insider)).get_json()
        assert sorted(b["organisation"] for b in listed) == sorted(
            [users["bidder"].organisation.name, "Second Bidder Co."])
    for outsider in ("supervisor", "decider", "expert", "public", "other_tenderer"):
        assert client.get(url, headers=api_headers(client, outsider)).status_code == 403, outsider
    assert client.get(url).status_code == 401
    assert client.post(url, data=b"x", content_type="application/octet-stream").status_code == 401
    # a staff member cannot submit a bid
    assert _submit(client, sealed_trade, "staff", b"x").status_code == 403


def test_nothing_readable_before_opening(db, client, sealed_trade, users, app, caplog):
    """After bids carrying a marker are submitted, no database page, blob or log line contains it."""
    code = users["bidder"].organisation.credit_code
    caplog.set_level("DEBUG")
    data = _envelope(client, sealed_trade, code, marker=MARKER)
    assert MARKER.encode() not in data
    assert _submit(client, sealed_trade, "bidder", data).status_code == 201
    db.session.commit()
    db_file = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    files = [db_file, *db_file.parent.glob(db_file.name + "-wal")]
    files += [p for p in Path(app.config["BLOB_DIR"]).rglob("*") if p.is_file()]
    needles = [MARKER.encode(), MARKER.encode("utf-16-le"), "4815000.00".encode()]
    for path in files:
        content = path.read_bytes()
        for needle in needles:
            assert needle not in content, (path, needle)
    assert MARKER not in caplog.text
    bid = db.session.scalar(sa.select(Bid))
    assert bid.state is BidState.SUBMITTED and json.loads(bid.receipt)["version"] == 1


def test_bids_refused_without_opening_key_or_outside_bidding(db, client, published_trade, users):
    # a published trade whose decision branch appointed no keyholders takes no electronic bids
    response = _submit(client, published_trade, "bidder", b"PRSB" + bytes(200))
    assert response.status_code == 409 and response.get_json()["code"] == "no_key"


def test_trade_not_open_refuses_bids(db, client, keyholding, make_trade):
    trade = make_trade(paper_bids=False)
    _approve(db, client, keyholding, trade)
    response = _submit(client, trade, "bidder", b"PRSB" + bytes(200))
    assert response.status_code == 403  # not published: bidders cannot even see it
    with pytest.raises(IllegalMove):
        from bidding.submission.services import submit_bid

        trade.published_at = trade.created_at  # seen as public, but still not open for bids
        submit_bid(keyholding["bidder"], trade, io.BytesIO(b"PRSB"), content_digest(b"PRSB"))


def test_notice_publishes_the_opening_key_fingerprint(client, sealed_trade):
    _pk, body = _public_key(client, sealed_trade)
    notices = client.get(f"/api/v1/notices?trade={sealed_trade.id}&kind=announcement").get_json()["items"]
    assert body["fingerprint"] in notices[0]["body"]
    assert body["fingerprint"] in client.get(f"/trades/{sealed_trade.ref}").get_data(as_text=True)


def test_resent_envelope_gets_the_same_receipt(db, client, sealed_trade, users):
    """A bid stored whose answer never reached the client: sent again as the same envelope, it gets
    the same bid and receipt (idempotent), not wrong_version; nothing is stored twice."""
    code = users["bidder"].organisation.credit_code
    data = _envelope(client, sealed_trade, code)
    first = _submit(client, sealed_trade, "bidder", data)
    assert first.status_code == 201
    again = _submit(client, sealed_trade, "bidder", data)
    assert again.status_code == 201, again.get_json()
    assert again.get_json() == first.get_json()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Bid)) == 1
    inserts = [e for e in db.session.scalars(sa.select(AuditEntry)) if json.loads(e.body)["action"] == "bids.insert"]
    assert len(inserts) == 1
    # another envelope under the stored version is still a wrong version
    other = _envelope(client, sealed_trade, code, price="4700000.00")
    refused = _submit(client, sealed_trade, "bidder", other)
    assert refused.status_code == 422 and "2" in refused.get_json()["message"]
    # once replaced, the earlier envelope is no longer the standing bid: sending it again is refused
    assert _submit(client, sealed_trade, "bidder", _envelope(client, sealed_trade, code, version=2)).status_code == 201
    late_copy = _submit(client, sealed_trade, "bidder", data)
    assert late_copy.status_code == 422 and late_copy.get_json()["field"] == "envelope"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Bid)) == 2


def test_oversize_envelope_refused_and_nothing_stored(db, client, sealed_trade, users, app):
    app.config["MAX_BID_BYTES"] = 4096
    data = _envelope(client, sealed_trade, users["bidder"].organisation.credit_code) + bytes(0)
    big = _envelope(client, sealed_trade, users["bidder"].organisation.credit_code, marker="x" * 10_000)
    assert len(data) < 4096 < len(big)
    before = sorted(p for p in Path(app.config["BLOB_DIR"]).rglob("*") if p.is_file())
    response = _submit(client, sealed_trade, "bidder", big)
    assert response.status_code == 422 and response.get_json()["field"] == "envelope"
    assert sorted(p for p in Path(app.config["BLOB_DIR"]).rglob("*") if p.is_file()) == before
    assert _submit(client, sealed_trade, "bidder", data).status_code == 201
