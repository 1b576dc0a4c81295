"""Uploads arriving together are stored together: the process's bid writer commits them in one
transaction, and each still gets its own audit entry (naming its own bidder's pseudonym, in order,
the hash chain intact) and a receipt citing that entry, answered only after the commit.

Real HTTP (a threaded server), real SQLite file, real crypto. The order is fixed without sleeps: the
first upload's bid is announced (`bid_submitted`) inside the writer's transaction, and the test holds
it there until every other upload is waiting for the writer.
"""
from __future__ import annotations

import json
import threading

import sqlalchemy as sa

from bidding.crypto import receipt
from bidding.submission import services, writer
from bidding.submission.models import Bid
from monitor.audit import log as audit
from monitor.audit import merkle
from monitor.audit.entries import pseudonym
from monitor.audit.models import AuditEntry
from tests.bidding.submission.test_bids_api import _envelope, sealed_trade  # noqa: F401  (a fixture)
from tests.bidding.submission.test_submission_races import WAIT, Upload, _wait_for, server  # noqa: F401  (a fixture)
from tests.conftest import api_headers
from trading.accounts.models import OrgKind
from trading.accounts.roles import Role

UPLOADS = 4


def _bidders(make_user, make_org, n: int) -> list:
    return [make_user(f"group_bidder_{i}", (Role.BIDDER, None), org=make_org(OrgKind.BIDDER)) for i in range(n)]


def test_uploads_waiting_together_commit_together_each_with_its_entry_and_receipt(
        db, app, client, sealed_trade, users, make_user, make_org, server):  # noqa: F811
    bidders = _bidders(make_user, make_org, UPLOADS)
    uploads = []
    for user in bidders:
        data = _envelope(client, sealed_trade, user.organisation.credit_code, marker=user.username)
        uploads.append((user, data, Upload(server, sealed_trade, api_headers(client, user.username), data)))

    commits, announced, release = [], [], threading.Event()

    def count_commit(conn):
        commits.append(threading.current_thread().name)

    def hold_first(_trade, bid=None, **_kw):
        announced.append(bid.organisation_id)
        if len(announced) == 1:  # the first group: wait until the others queue behind it
            assert release.wait(WAIT)

    sa.event.listen(db.engine, "commit", count_commit)
    services.bid_submitted.connect(hold_first)
    try:
        first_user, first_data, first = uploads[0]
        first.send(first_data)
        answers = [None] * UPLOADS
        threads = [threading.Thread(target=lambda: answers.__setitem__(0, first.answer()))]
        threads[0].start()
        _wait_for(lambda: announced, "the writer announces the first bid")
        assert announced == [first_user.organisation_id]
        for i, (_user, data, upload) in enumerate(uploads[1:], start=1):
            upload.send(data)
            threads.append(threading.Thread(target=lambda i=i, u=upload: answers.__setitem__(i, u.answer())))
            threads[-1].start()
        the_writer = writer._writer(app)
        _wait_for(lambda: len(the_writer.jobs) == UPLOADS - 1, "every other upload waits for the writer")
        release.set()
        for t in threads:
            t.join(WAIT)
    finally:
        services.bid_submitted.disconnect(hold_first)
        sa.event.remove(db.engine, "commit", count_commit)

    assert [status for status, _body in answers] == [201] * UPLOADS, answers
    # two transactions for four bids: the first alone, the three that waited behind it together
    assert commits.count("bid-writer") == 2, commits
    public = receipt.load_platform_key(client.get("/api/v1/receipt-key").get_json()["public_key"])
    db.session.expire_all()
    entries = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq)).all()
    bodies = [json.loads(e.body) for e in entries]
    # the log: each entry numbered in order and chained to the one before; the tree's root is the head's
    for i, (entry, body) in enumerate(zip(entries, bodies)):
        assert entry.seq == body["index"] == i
        if i:
            assert body["prev"] == merkle.leaf_hash(entries[i - 1].body.encode()).hex()
    size, root = audit.head()
    assert size == len(entries)
    assert merkle.root_from_leaf_hashes([merkle.leaf_hash(e.body.encode()) for e in entries]) == root
    inserts = [b for b in bodies if b["action"] == "bids.insert"]
    assert len(inserts) == UPLOADS  # exactly one entry per bid
    for (user, data, _upload), (_status, body) in zip(uploads, answers):
        signed = body["receipt"]
        assert receipt.verify_receipt(signed, public)
        bid = db.session.scalar(sa.select(Bid).where(Bid.organisation_id == user.organisation_id))
        assert json.loads(bid.receipt) == signed and bid.sha256 == signed["sha256"]
        logged = bodies[signed["audit_index"]]
        # the entry the receipt cites is this bid's, and names this bidder (by pseudonym), not another's
        assert logged["action"] == "bids.insert" and logged["object"]["id"] == bid.id
        assert logged["actor"] == {"pseudonym": pseudonym(sealed_trade.id, "user", user.id)}
        assert logged["after"]["submitted_by_id"] == pseudonym(sealed_trade.id, "user", user.id)
        assert user.organisation.credit_code not in entries[signed["audit_index"]].body
    # the group's entries follow the order the uploads were taken in
    assert [b["object"]["id"] for b in inserts] == sorted(b["object"]["id"] for b in inserts)
