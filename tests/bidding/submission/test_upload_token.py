"""The bearer token of a sealed-bid upload is checked in one plain statement (no User row built), by
the same rule as every other API route, on every request: a revoked or expired token, a deactivated
user or a withdrawn bidder grant counts from the very next upload, and nothing stays remembered.

Real HTTP (Flask's test client), real SQLite file, real crypto.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from bidding.submission.models import Bid
from tests.bidding.submission.test_bids_api import _envelope, sealed_trade  # noqa: F401  (a fixture)
from bidding.crypto.envelope_check import content_digest
from tests.conftest import api_headers
from trading.accounts.models import Caller, RoleGrant, User
from trading.accounts.roles import Role
from trading.accounts.services import caller_for_token, issue_token, user_for_token


def _upload(client, trade, headers: dict, data: bytes):
    return client.post(f"/api/v1/trades/{trade.id}/bids", data=data, content_type="application/octet-stream",
                       headers={**headers, "Content-Digest": content_digest(data)})


def _bids(db, trade) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Bid).where(Bid.trade_id == trade.id))


def test_a_revoked_token_is_refused_by_the_next_upload(db, client, sealed_trade, users):  # noqa: F811
    code = users["bidder"].organisation.credit_code
    headers = api_headers(client, "bidder")
    first = _upload(client, sealed_trade, headers, _envelope(client, sealed_trade, code))
    assert first.status_code == 201, first.get_json()
    assert client.delete("/api/v1/tokens", headers=headers).status_code == 204
    refused = _upload(client, sealed_trade, headers, _envelope(client, sealed_trade, code, version=2))
    assert refused.status_code == 401 and refused.get_json()["code"] == "unauthenticated"
    assert _bids(db, sealed_trade) == 1
    # another token of the same bidder still works: the revocation is the token's, not the person's
    again = _upload(client, sealed_trade, api_headers(client, "bidder"),
                    _envelope(client, sealed_trade, code, version=2))
    assert again.status_code == 201, again.get_json()


def test_deactivation_and_a_withdrawn_grant_count_at_once_and_are_not_remembered(
        db, client, sealed_trade, users):  # noqa: F811
    bidder = users["bidder"]
    code = bidder.organisation.credit_code
    headers = api_headers(client, "bidder")
    data = _envelope(client, sealed_trade, code)

    bidder.active = False
    db.session.commit()
    refused = _upload(client, sealed_trade, headers, data)
    assert refused.status_code == 401 and refused.get_json()["code"] == "unauthenticated"

    bidder.active = True
    grant = db.session.scalar(sa.select(RoleGrant).where(RoleGrant.user_id == bidder.id))
    db.session.delete(grant)
    db.session.commit()
    refused = _upload(client, sealed_trade, headers, data)
    assert refused.status_code == 403 and refused.get_json()["permission"] == "trade.bid"
    assert _bids(db, sealed_trade) == 0

    db.session.add(RoleGrant(user_id=bidder.id, role=Role.BIDDER, centre_id=None))
    db.session.commit()
    stored = _upload(client, sealed_trade, headers, data)  # the same token, the same envelope: now taken
    assert stored.status_code == 201, stored.get_json()
    assert _bids(db, sealed_trade) == 1


def test_an_expired_token_is_refused(db, client, sealed_trade, users, clock, app):  # noqa: F811
    code = users["bidder"].organisation.credit_code
    headers = api_headers(client, "bidder")
    data = _envelope(client, sealed_trade, code)
    clock.advance(timedelta(hours=app.config["API_TOKEN_HOURS"]))
    refused = _upload(client, sealed_trade, headers, data)
    assert refused.status_code == 401 and refused.get_json()["code"] == "unauthenticated"
    assert _bids(db, sealed_trade) == 0


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Bearer ", "bearer x.y.z"])
def test_an_unknown_token_is_refused(db, client, sealed_trade, users, header):  # noqa: F811
    refused = _upload(client, sealed_trade, {"Authorization": header}, b"anything")
    assert refused.status_code == 401 and refused.get_json()["code"] == "unauthenticated"


def test_the_upload_builds_no_user_row(db, client, sealed_trade, users):  # noqa: F811
    """The token check of an upload loads no User (nor its grants or organisation) through the ORM:
    one statement of plain columns. A route that reads more of its caller still gets the row."""
    code = users["bidder"].organisation.credit_code
    headers = api_headers(client, "bidder")
    data = _envelope(client, sealed_trade, code)
    loaded: list = []

    def on_load(target, _context):
        loaded.append(target)

    db.session.expunge_all()  # the test's own rows out of the shared session: whatever the request needs, it loads
    sa.event.listen(User, "load", on_load)
    try:
        response = _upload(client, sealed_trade, headers, data)
        assert response.status_code == 201, response.get_json()
        assert loaded == []
        listed = client.get(f"/api/v1/trades/{sealed_trade.id}/bids", headers=headers)  # an ordinary route
        assert listed.status_code == 200
        assert [u.username for u in loaded] == ["bidder"]
    finally:
        sa.event.remove(User, "load", on_load)


def test_the_caller_holds_what_the_user_row_holds(db, users, make_user, centres):
    """The two readings of a token agree: id, username, language, organisation and every grant; a
    person without organisation or grants too."""
    cases = [users["bidder"], users["decider"],
             make_user("nobody_in_particular")]  # no organisation, no grant
    users["decider"].locale = "en"
    db.session.commit()
    centre_ids = [None, *(c.id for c in centres.values())]
    for person in cases:
        token, _row = issue_token(person)
        db.session.commit()
        caller = caller_for_token(token)
        db.session.expunge_all()
        user = user_for_token(token)
        assert isinstance(caller, Caller) and isinstance(user, User)
        assert (caller.id, caller.username, caller.locale, caller.organisation_id) == \
            (user.id, user.username, user.locale, user.organisation_id)
        if user.organisation is None:
            assert caller.organisation is None
        else:
            org = user.organisation
            assert caller.organisation == (org.id, org.name, org.kind, org.credit_code)
        assert sorted((g.role.value, g.centre_id or 0) for g in caller.grants) == \
            sorted((g.role.value, g.centre_id or 0) for g in user.grants)
        for centre in centre_ids:
            assert caller.roles_at(centre) == user.roles_at(centre)
            for role in Role:
                assert caller.has_role(role, centre) == user.has_role(role, centre)
        assert caller.roles() == user.roles() and caller.branches() == user.branches()
        assert caller.is_authenticated and not caller.is_anonymous and caller.get_id() == str(user.id)
    with pytest.raises(AttributeError):
        caller.id = 1  # read-only: the bid writer thread reads it too
