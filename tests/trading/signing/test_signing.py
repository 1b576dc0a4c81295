"""Supervisors' own signing keys: published (public half only), replaced, revoked; statements issued and
checked against the published key; the offline CLI makes the same keys and signatures as the browser."""
from __future__ import annotations

import base64
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import api_headers, login
from tests.signing_helpers import PRIVATE, give_key, sign_text
from trading.errors import InvalidInput
from trading.signing import services, statements as st
from trading.signing.services import Expected

ROOT = Path(__file__).resolve().parents[3]


def _b64(key) -> str:
    return base64.b64encode(st.public_of(key)).decode()


def test_keys_are_published_replaced_and_revoked(db, client, users, clock):
    sup = api_headers(client, "supervisor")
    assert client.post("/api/v1/signing/keys", json={"public_key": _b64(st.generate())}).status_code == 401
    for wrong in ("staff", "decider", "bidder"):
        response = client.post("/api/v1/signing/keys", json={"public_key": _b64(st.generate())},
                               headers=api_headers(client, wrong))
        assert response.status_code == 403, wrong
    bad = client.post("/api/v1/signing/keys", json={"public_key": base64.b64encode(b"x" * 64).decode()}, headers=sup)
    assert bad.status_code == 422 and bad.get_json()["field"] == "public_key"
    first, second = st.generate(), st.generate()
    made = client.post("/api/v1/signing/keys", json={"public_key": _b64(first)}, headers=sup)
    assert made.status_code == 201
    fp1 = made.get_json()["fingerprint"]
    assert fp1 == st.fingerprint(st.public_of(first)) and made.get_json()["valid_until"] is None
    # the same key twice is refused; a PEM is read as well as base64 DER
    assert client.post("/api/v1/signing/keys", json={"public_key": _b64(first)}, headers=sup).status_code == 409
    pem = second.public_key().public_bytes(st.serialization.Encoding.PEM,
                                           st.serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    clock.advance(timedelta(minutes=1))
    fp2 = client.post("/api/v1/signing/keys", json={"public_key": pem}, headers=sup).get_json()["fingerprint"]
    listed = {k["fingerprint"]: k for k in client.get("/api/v1/signing/keys").get_json()}  # public, no token
    assert listed[fp1]["valid_until"] == listed[fp2]["valid_from"] and listed[fp2]["valid_until"] is None
    assert listed[fp2]["user_id"] == users["supervisor"].id and "private" not in json.dumps(listed)
    page = client.get("/signing/keys").get_data(as_text=True)
    assert fp1 in page and fp2 in page
    # revoked: no key in force, so no statement and no signature
    assert client.post(f"/api/v1/signing/keys/{fp2}/revoke", json={"reason": "U盘丢失"},
                       headers=api_headers(client, "social")).status_code == 422  # not theirs
    revoked = client.post(f"/api/v1/signing/keys/{fp2}/revoke", json={"reason": "U盘丢失"}, headers=sup)
    assert revoked.status_code == 200 and revoked.get_json()["revoked_at"]
    assert services.key_in_force(users["supervisor"].id) is None


def test_accept_refuses_other_keys_other_bytes_other_signers_and_stale_statements(db, users, clock):
    sup, social = users["supervisor"], users["social"]
    give_key(sup)
    subject = {"checkpoint_id": 1, "size": 5, "root": "ab" * 32, "origin": "test"}
    key = services.key_in_force(sup.id)
    text = st.encode(st.statement("checkpoint", subject, "signed", None, sup.id, key.fingerprint, clock.now())).decode()
    expected = Expected(subject)

    def field_of(statement, signature, who=sup, want=expected):
        with pytest.raises(InvalidInput) as info:
            services.accept(who, "checkpoint", want, statement, signature)
        return info.value.field, info.value.message

    other = base64.b64encode(st.sign(st.generate(), text.encode())).decode()
    assert field_of(text, other)[0] == "signature"
    assert field_of(text, None)[0] == "signature" and field_of(None, other)[0] == "statement"
    assert field_of(text.replace('"size":5', '"size":6'), sign_text(sup, text))[0] == "statement"
    assert field_of(text, sign_text(sup, text), want=Expected(dict(subject, size=6)))[0] == "statement"
    give_key(social)
    assert field_of(text, sign_text(sup, text), who=social)[0] == "statement"  # names another signer
    assert field_of(json.dumps(json.loads(text)), sign_text(sup, text))[0] == "statement"  # not canonical
    assert services.accept(sup, "checkpoint", expected, text, sign_text(sup, text)).key == key.fingerprint
    clock.advance(timedelta(minutes=16))
    field, message = field_of(text, sign_text(sup, text))
    assert field == "statement" and json.loads(text)["at"] in message and "已过期" in message  # zh_CN first


def test_the_cli_makes_keys_and_signatures_the_platform_accepts(db, users, tmp_path):
    sup = users["supervisor"]
    key_file = tmp_path / "key.pem"
    env = {"PASS": "correct horse battery staple", "PATH": "/usr/bin:/bin"}

    def cli(*args, stdin=None):
        done = subprocess.run([sys.executable, "-m", "trading.signing", *args], cwd=ROOT, input=stdin,
                              capture_output=True, text=True, timeout=120, env=env)
        assert done.returncode == 0, done.stderr
        return done.stdout

    out = cli("keygen", "--out", str(key_file), "--passphrase-env", "PASS")
    assert key_file.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    public = json.loads(cli("pubkey", "--key", str(key_file), "--passphrase-env", "PASS"))
    assert public["fingerprint"] in out
    row = services.register_key(sup, public["public_key"])
    subject = {"checkpoint_id": 1, "size": 5, "root": "ab" * 32, "origin": "test"}
    from trading.clock import now

    statement = st.encode(st.statement("checkpoint", subject, "signed", None, sup.id, row.fingerprint, now())).decode()
    signature = cli("sign", "--key", str(key_file), "--passphrase-env", "PASS", "-",
                    stdin=json.dumps({"statement": statement})).strip()
    assert services.accept(sup, "checkpoint", Expected(subject), statement, signature).key == row.fingerprint
    assert row.fingerprint not in PRIVATE  # the test never held this key: only the CLI did


def test_the_same_key_registered_twice_at_once_is_a_409_not_a_500(app, db, users):
    """A double click on "publish": both requests pass the "already registered?" check before either
    writes (they are held just before their INSERT until both are there); the second is told so."""
    from tests.trading.test_numbering import at_once, meet_before
    from trading.signing.models import SigningKey

    clients = [app.test_client(), app.test_client()]
    headers = [api_headers(c, "supervisor") for c in clients]
    body = {"public_key": _b64(st.generate())}
    with meet_before(app, "INSERT INTO SIGNING_KEYS"):
        responses = at_once(*[(lambda c=c, h=h: c.post("/api/v1/signing/keys", json=body, headers=h))
                              for c, h in zip(clients, headers)])
    assert sorted(r.status_code for r in responses) == [201, 409], [r.get_data(as_text=True)[:300] for r in responses]
    lost = next(r for r in responses if r.status_code == 409).get_json()
    assert lost["code"] == "key_exists" and lost["message"] == "该密钥已登记过：请生成新密钥，不要重复使用旧密钥。"
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SigningKey)) == 1
