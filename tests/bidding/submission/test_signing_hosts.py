"""Two app hosts behind one database: with different signing keys the second refuses to sign (receipts
and checkpoints); with the same keys both sign, and everything verifies against the published key."""
from __future__ import annotations

import base64
import logging

import pytest
import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from bidding.crypto import receipt
from bidding.crypto.envelope_check import content_digest
from bidding.submission.models import Bid
from monitor.audit import log as audit
from monitor.audit.models import Checkpoint
from tests.bidding.submission.test_bids_api import _envelope, _submit, sealed_trade  # noqa: F401  (fixture)
from tests.conftest import api_headers, write_key
from trading.extensions import db as _db
from trading.platform_keys.models import PublishedKey
from trading.platform_keys.services import SigningKeyMismatch


@pytest.fixture
def keys_a(tmp_path) -> dict:
    return {"RECEIPT_SIGNING_KEY_FILE": str(write_key(tmp_path / "a-receipt.pem")),
            "AUDIT_SIGNING_KEY_FILE": str(write_key(tmp_path / "a-audit.pem"))}


@pytest.fixture
def app(make_app, keys_a):
    """Host A: the app every other fixture uses, with its own configured keys."""
    return make_app(**keys_a)


def _host_b(make_app, app, **keys):
    """A second host on A's database and blob store."""
    return make_app(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], **keys)


def _bidder_b(make_user, make_org):
    from trading.accounts.models import OrgKind
    from trading.accounts.roles import Role

    return make_user("bidder_b", (Role.BIDDER, None), org=make_org(OrgKind.BIDDER, "Second Bidder Co."))


def _published(app, purpose: str) -> Ed25519PublicKey:
    with app.app_context():
        row = _db.session.get(PublishedKey, purpose)
        raw = bytes(row.public_key)
        _db.session.remove()
    return Ed25519PublicKey.from_public_bytes(raw)


def _checkpoint(app, reason: str) -> Checkpoint:
    with app.app_context():
        try:
            cp = audit.sign_checkpoint(reason)
            _db.session.commit()
            _db.session.refresh(cp)
            _db.session.expunge(cp)
            return cp
        finally:
            _db.session.remove()


def _verify_checkpoint(cp: Checkpoint, key: Ed25519PublicKey) -> None:
    key.verify(bytes(cp.signature), cp.body.encode())


def test_a_second_host_with_its_own_keys_refuses_to_sign(db, app, client, make_app, make_user, make_org, users,
                                                         sealed_trade, tmp_path, caplog):  # noqa: F811
    bidder_b = _bidder_b(make_user, make_org)
    first = _submit(client, sealed_trade, "bidder", _envelope(client, sealed_trade,
                                                              users["bidder"].organisation.credit_code))
    assert first.status_code == 201, first.get_json()
    cp_a = _checkpoint(app, "host-a")

    host_b = _host_b(make_app, app, RECEIPT_SIGNING_KEY_FILE=str(write_key(tmp_path / "b-receipt.pem")),
                     AUDIT_SIGNING_KEY_FILE=str(write_key(tmp_path / "b-audit.pem")))
    client_b = host_b.test_client()
    data = _envelope(client_b, sealed_trade, bidder_b.organisation.credit_code)
    with caplog.at_level(logging.ERROR):
        refused = _submit(client_b, sealed_trade, "bidder_b", data)
    assert refused.status_code == 503, refused.get_json()
    body = refused.get_json()
    assert body["code"] == "signing_key_mismatch" and "签名密钥" in body["message"]
    assert any("refusing to sign receipt" in r.getMessage() for r in caplog.records)
    english = client_b.post(f"/api/v1/trades/{sealed_trade.id}/bids?lang=en", data=data,
                            content_type="application/octet-stream",
                            headers={**api_headers(client_b, "bidder_b"), "Content-Digest": content_digest(data)})
    assert english.status_code == 503 and "refuses to sign" in english.get_json()["message"]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Bid).where(
        Bid.organisation_id == bidder_b.organisation_id)) == 0  # nothing stored without a receipt

    with pytest.raises(SigningKeyMismatch):
        _checkpoint(host_b, "host-b")
    with host_b.app_context():  # the scheduled tick refuses too, and leaves no checkpoint behind
        with pytest.raises(SigningKeyMismatch):
            audit.sign_checkpoint("schedule")
        _db.session.rollback()
        assert _db.session.scalar(sa.select(sa.func.count()).select_from(Checkpoint)) == 1
        # a key move's checkpoint is signed when its transaction commits: the commit fails, the move with it
        from trading.trades.models import Trade

        audit.request_checkpoint("move:close")
        _db.session.get(Trade, sealed_trade.id).title = "changed on host B"
        with pytest.raises(SigningKeyMismatch):
            _db.session.commit()
        _db.session.rollback()
        assert _db.session.get(Trade, sealed_trade.id).title != "changed on host B"
        _db.session.remove()

    # host B still publishes the platform's keys, not its own
    published = client_b.get("/api/v1/receipt-key").get_json()
    assert published == client.get("/api/v1/receipt-key").get_json()
    signed = first.get_json()["receipt"]
    assert receipt.verify_receipt(signed, receipt.load_platform_key(published["public_key"]))
    audit_key = client_b.get("/api/v1/audit/key").get_json()
    assert audit_key["key_id"] == cp_a.key_id
    _verify_checkpoint(cp_a, Ed25519PublicKey.from_public_bytes(base64.b64decode(audit_key["public_key"])))


def test_hosts_with_the_same_keys_both_sign_against_the_published_key(db, app, client, make_app, make_user,
                                                                      make_org, users, sealed_trade,
                                                                      keys_a, tmp_path):  # noqa: F811
    bidder_b = _bidder_b(make_user, make_org)
    # host B gets the same keys, the receipt key as a base64 secret (as a secret store would give it)
    secret = base64.b64encode(open(keys_a["RECEIPT_SIGNING_KEY_FILE"], "rb").read()).decode()
    host_b = _host_b(make_app, app, RECEIPT_SIGNING_KEY=secret, AUDIT_SIGNING_KEY_FILE=keys_a["AUDIT_SIGNING_KEY_FILE"])
    client_b = host_b.test_client()

    cp_b = _checkpoint(host_b, "host-b")  # B signs first this time and so publishes
    on_b = _submit(client_b, sealed_trade, "bidder_b", _envelope(client_b, sealed_trade,
                                                                 bidder_b.organisation.credit_code))
    on_a = _submit(client, sealed_trade, "bidder", _envelope(client, sealed_trade,
                                                             users["bidder"].organisation.credit_code))
    assert (on_a.status_code, on_b.status_code) == (201, 201), (on_a.get_json(), on_b.get_json())
    cp_a = _checkpoint(app, "host-a")

    receipt_key = _published(app, "receipt")
    for response in (on_a, on_b):
        assert receipt.verify_receipt(response.get_json()["receipt"], receipt_key)
    assert client.get("/api/v1/receipt-key").get_json()["public_key"] == receipt_key.public_bytes_raw().hex()
    audit_key = _published(app, "audit")
    for cp in (cp_a, cp_b):
        _verify_checkpoint(cp, audit_key)
        assert cp.key_id == client_b.get("/api/v1/audit/key").get_json()["key_id"]
    with pytest.raises(InvalidSignature):  # the check above is a real one: another key does not verify
        _verify_checkpoint(cp_a, Ed25519PrivateKey.generate().public_key())
