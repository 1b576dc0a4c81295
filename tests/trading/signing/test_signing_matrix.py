"""Who may publish a signing key, revoke one and fetch a statement to sign: supervisors only, over the API
(bearer token) and the pages (session); the published list is public."""
from __future__ import annotations

import base64

import pytest

from tests.conftest import api_headers, login
from tests.trading.signing.matrix_signing import COVERED, PUBLIC
from trading.signing import statements as st

API = {
    ("signing_api.create_signing_key", "POST"): "/api/v1/signing/keys",
    ("signing_api.revoke_signing_key", "POST"): "/api/v1/signing/keys/{fp}/revoke",
    ("signing_api.create_signing_statement", "POST"): "/api/v1/signing/statements",
}
PAGES = {"signing.register": "/signing/keys", "signing.revoke": "/signing/keys/{fp}/revoke",
         "signing.statement": "/signing/statements"}


def _key() -> str:
    return base64.b64encode(st.public_of(st.generate())).decode()


def test_the_matrix_names_every_route(app):
    rules = {(r.endpoint, m) for r in app.url_map.iter_rules() if r.endpoint.startswith("signing_api.")
             for m in r.methods - {"HEAD", "OPTIONS"}}
    assert rules == COVERED | PUBLIC and set(API) == COVERED


@pytest.mark.parametrize("route", sorted(API))
@pytest.mark.parametrize("who", ["anonymous", "staff", "decider", "bidder", "supervisor", "social"])
def test_api_matrix(db, client, users, route, who):
    path = API[route].format(fp="0" * 64)
    body = {"public_key": _key()} if path.endswith("/keys") else {"kind": "checkpoint", "checkpoint_id": 1} \
        if path.endswith("statements") else {}
    headers = api_headers(client, who) if who != "anonymous" else {}
    status = client.post(path, json=body, headers=headers).status_code
    expected = {"anonymous": {401}, "staff": {403}, "decider": {403}, "bidder": {403}}.get(who)
    if expected is None:  # supervisors pass the permission; the business answer follows (no such key, checkpoint)
        expected = {201} if path.endswith("/keys") else {422}
    assert status in expected, (who, status)


@pytest.mark.parametrize("endpoint", sorted(PAGES))
@pytest.mark.parametrize("who", ["anonymous", "staff", "bidder", "supervisor"])
def test_page_matrix(db, client, users, endpoint, who):
    path = PAGES[endpoint].format(fp="0" * 64)
    if who != "anonymous":
        login(client, who)
    json_body = {"public_key": _key()} if endpoint == "signing.register" else \
        {"kind": "checkpoint", "checkpoint_id": 1}
    response = client.post(path, json=json_body) if endpoint != "signing.revoke" else client.post(path, data={})
    if who == "anonymous":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    elif who in ("staff", "bidder"):
        assert response.status_code == 403
    else:
        assert response.status_code in {"signing.register": (201,), "signing.revoke": (302,),
                                        "signing.statement": (422,)}[endpoint]
    assert client.get("/signing/keys").status_code == 200  # the published list: anyone
