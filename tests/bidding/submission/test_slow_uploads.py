"""Slow uploads hold no database connection while their bodies arrive.

A bidder on a slow line may take minutes to send a large envelope. The upload reads what it needs
(token, trade, latest version) before the body, then gives its pooled connection back: with the
pool's 5 + 10 connections of the time, sixteen bidders sending at once held every connection
through their bodies, so the sixteenth upload, and every page or API call after it, waited 30 s for
a connection and failed. Real HTTP (a threaded server), real SQLite file, real envelopes.
"""
from __future__ import annotations

import sqlalchemy as sa

from bidding.submission.models import Bid
from tests.bidding.submission.test_bids_api import _envelope, sealed_trade  # noqa: F401  (a fixture)
from tests.bidding.submission.test_submission_races import Upload, _incoming, _wait_for, server  # noqa: F401
from tests.conftest import api_headers
from trading.accounts.models import OrgKind
from trading.accounts.roles import Role

UPLOADS = 20  # more than the 15 connections the pool had when this failed (the check below holds for any pool)


def test_uploads_whose_bodies_are_still_arriving_hold_no_connection(
        db, app, client, sealed_trade, make_user, make_org, server):  # noqa: F811
    pool = db.engine.pool
    senders = []
    for i in range(UPLOADS):
        user = make_user(f"slow_bidder_{i}", (Role.BIDDER, None), org=make_org(OrgKind.BIDDER, f"Slow Line {i} Co."))
        data = _envelope(client, sealed_trade, user.organisation.credit_code, marker=user.username)
        senders.append((user, data, api_headers(client, user.username)))
    companies = sorted(user.organisation_id for user, _data, _headers in senders)
    db.session.commit()
    assert sealed_trade.id  # loaded again after the commit, then the test's own connection goes back too
    db.session.close()
    held_before = pool.checkedout()  # before any upload starts: none of theirs is counted in it
    uploads = [(user, data, Upload(server, sealed_trade, headers, data)) for user, data, headers in senders]
    for _user, data, upload in uploads:
        upload.send(data[:len(data) // 2])  # half the body, then the line stalls
    # every upload is inside the blob store, its body half in: none waits for a connection
    _wait_for(lambda: len(_incoming(app)) == UPLOADS, "every upload to be receiving its body")
    assert pool.checkedout() == held_before
    # the platform still answers everyone else at once
    assert client.get(f"/api/v1/trades/{sealed_trade.id}").status_code == 200
    for _user, data, upload in uploads:
        upload.send(data[len(data) // 2:])
    answers = [upload.answer() for _user, _data, upload in uploads]
    assert [status for status, _body in answers] == [201] * UPLOADS, answers
    db.session.expire_all()
    stored = db.session.scalars(sa.select(Bid.organisation_id).where(Bid.trade_id == sealed_trade.id)).all()
    assert sorted(stored) == companies
