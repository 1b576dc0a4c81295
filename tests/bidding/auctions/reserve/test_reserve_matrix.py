"""Every sealed-reserve route × every kind of caller: anonymous, wrong branch, other organisation, other centre,
right role (matrix_reserve.py lists them for the route matrix); and the API end to end."""
from __future__ import annotations

import json
from bidding.crypto.envelope_check import content_digest
from tests.bidding.auctions.conftest import LISTING_CLOSE, release_reserve_shares, reserve_envelope
from tests.bidding.auctions.keyholding import opened_share
from tests.bidding.auctions.reserve.matrix_reserve import COVERED
from tests.conftest import api_headers, login
from tests.signing_helpers import api_signed

OCTET = "application/octet-stream"


def _call(client, who, method, path, cache, *, json_body=None, data=None, headers=None):
    """A page call with the session (anonymous: logged out), an API call with a bearer token."""
    headers = dict(headers or {})
    if not path.startswith("/api/"):
        client.post("/logout")
        if who != "anonymous":
            login(client, who)
        return client.open(path, method=method, data=data, headers=headers)
    if who != "anonymous":
        headers.update(cache.setdefault(who, api_headers(client, who)))
    return client.open(path, method=method, json=json_body, data=data, headers=headers)


def _envelope(trade, seq):
    data = reserve_envelope(trade, seq=seq)
    return {"data": data, "headers": {"Content-Type": OCTET, "Content-Digest": content_digest(data)}}


def _refused_to_others(client, cache, method, path, callers, **kw):
    page = not path.startswith("/api/")
    assert _call(client, "anonymous", method, path, cache, **kw).status_code == (302 if page else 401), path
    for who in callers:
        assert _call(client, who, method, path, cache, **kw).status_code == 403, (path, who)


def test_reserve_route_matrix(db, client, listing, land, users, clock):
    trade, _regs = listing
    cache: dict = {}
    api, page = f"/api/v1/trades/{trade.id}/reserve", f"/bidding/trades/{trade.id}/reserve"
    tested = set()

    # sealing, while the listing is open: the LAND decision branch only
    for endpoint, path, seq in (("bidding_api.seal_reserve", api, 1), ("bidding.reserve_seal", f"{page}/seal", 2)):
        _refused_to_others(client, cache, "POST", path, ("land_staff", "buyer1", "decider"), **_envelope(trade, seq))
        answer = _call(client, "land_decider", "POST", path, cache, **_envelope(trade, seq))
        assert answer.status_code == 201, answer.get_json()
        assert answer.get_json()["seq"] == seq and json.loads(answer.get_json()["receipt"])["bidder"] == "RESERVE"
        tested.add((endpoint, "POST"))
    # where it stands: the centre's branches and the keyholders; never a bidder, the seller or another centre
    for endpoint, path in (("bidding_api.get_reserve", api), ("bidding.reserve_page", page)):
        _refused_to_others(client, cache, "GET", path, ("buyer1", "tenderer", "staff"))
        for who in ("land_staff", "land_decider", "land_social"):
            assert _call(client, who, "GET", path, cache).status_code == 200, (endpoint, who)
        tested.add((endpoint, "GET"))

    clock.freeze(LISTING_CLOSE)  # no quote: nobody can enter a live round, the last bid is in
    cache.clear()  # the tokens expired while the listing ran
    # the keyholders' shares (the decider holds none)
    for endpoint, path in (("bidding_api.get_reserve_share", f"{api}/share"), ("bidding.reserve_share", f"{page}/share")):
        _refused_to_others(client, cache, "GET", path, ("land_decider", "buyer1", "staff"))
        assert _call(client, "land_staff", "GET", path, cache).status_code == 200, endpoint
        tested.add((endpoint, "GET"))
    from bidding.auctions.reserve.opening import reserve_share_for

    share = {who: opened_share(land[who], reserve_share_for(land[who], trade)).hex() for who in ("staff", "staff2")}
    _refused_to_others(client, cache, "POST", f"{api}/shares", ("land_decider", "buyer1", "staff"),
                       json_body={"share": share["staff"]})
    assert _call(client, "land_staff", "POST", f"{api}/shares", cache, json_body={"share": share["staff"]}
                 ).status_code == 201
    _refused_to_others(client, cache, "POST", f"{page}/shares", ("land_decider", "buyer1", "staff"),
                       data={"share": share["staff2"]})
    assert _call(client, "land_staff2", "POST", f"{page}/shares", cache, data={"share": share["staff2"]}
                 ).status_code == 302
    tested |= {("bidding_api.release_reserve_share", "POST"), ("bidding.reserve_release", "POST")}
    release_reserve_shares(land, trade, ("supervisor",))
    db.session.commit()
    # opening: the supervisors only
    for endpoint, path in (("bidding.reserve_open", f"{page}/open"), ("bidding_api.open_reserve", f"{api}/open")):
        _refused_to_others(client, cache, "POST", path, ("land_staff", "buyer1", "supervisor"))
        tested.add((endpoint, "POST"))
    opened = _call(client, "land_supervisor", "POST", f"{api}/open", cache)
    assert opened.status_code == 200, opened.get_json()
    assert opened.get_json()["opened"]["reserve"] == "10500000.00" and opened.get_json()["opened"]["seq"] == 2
    again = _call(client, "land_supervisor", "POST", f"{page}/open", cache)
    assert again.status_code == 302
    # signing the record: a supervisor of the centre or the supervising keyholder; the service then wants one
    # who counts (drawn or the keyholder: the social supervisor of LAND, never drawn, is a 403 not_a_signer)
    path = f"{api}/signatures"
    body = api_signed(client, cache["land_supervisor"], "reserve-record", trade_id=trade.id)
    _refused_to_others(client, cache, "POST", path, ("land_staff", "land_decider", "buyer1", "supervisor"),
                       json_body=body)
    social = _call(client, "land_social", "POST", path, cache, json_body=body)
    assert social.status_code == 403 and social.get_json()["code"] == "not_a_signer", social.get_json()
    signed = _call(client, "land_supervisor", "POST", path, cache, json_body=body)
    assert signed.status_code == 201, signed.get_json()
    assert _call(client, "land_supervisor", "POST", path, cache, json_body=body).status_code == 409
    tested.add(("bidding_api.sign_reserve_record", "POST"))
    _refused_to_others(client, cache, "POST", f"{page}/signatures", ("land_staff", "land_decider", "buyer1",
                                                                     "supervisor"), data=body)
    assert _call(client, "land_supervisor", "POST", f"{page}/signatures", cache, data=body).status_code == 302
    tested.add(("bidding.reserve_sign", "POST"))
    assert tested == COVERED


def test_opening_early_through_the_api_is_a_409_with_its_code(db, client, listing, land):
    trade, _regs = listing
    headers = api_headers(client, "land_supervisor")
    answer = client.post(f"/api/v1/trades/{trade.id}/reserve/open", headers=headers)
    assert answer.status_code == 409 and answer.get_json()["code"] == "reserve_listing_open"
    share = client.get(f"/api/v1/trades/{trade.id}/reserve/share", headers=headers)
    assert share.status_code == 409 and share.get_json()["code"] == "reserve_listing_open"
    # a passphrase is never taken
    gone = client.post(f"/api/v1/trades/{trade.id}/reserve/shares", json={"share": "00", "passphrase": "x" * 12},
                       headers=headers)
    assert gone.status_code == 410


def test_a_bad_upload_names_the_field(db, client, listing, land):
    trade, _regs = listing
    headers = {**api_headers(client, "land_decider"), "Content-Type": OCTET}
    data = reserve_envelope(trade)
    missing = client.post(f"/api/v1/trades/{trade.id}/reserve", data=data, headers=headers)
    assert missing.status_code == 422 and "envelope" in missing.get_json()["errors"]
    garbage = client.post(f"/api/v1/trades/{trade.id}/reserve", data=b"12000000.00",
                          headers={**headers, "Content-Digest": content_digest(b"12000000.00")})
    assert garbage.status_code == 422 and "envelope" in garbage.get_json()["errors"]
    other = client.post(f"/api/v1/trades/{trade.id}/reserve", data=data,
                        headers={**headers, "Content-Digest": content_digest(b"other bytes")})
    assert other.status_code == 422
