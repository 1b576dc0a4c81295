"""Key custody with the keyholders' secrets on their own machines: the platform receives public keys,
wrapped keys and opened shares, never a passphrase; a share that is not the holder's own is refused;
each keyholder's fingerprint is published with the notice and a swapped key is refused; the offline
tool enrols and opens shares on its own."""
from __future__ import annotations

import inspect
import io
import json
import os
from datetime import timedelta

import pytest
import sqlalchemy as sa

from bidding.ceremony import shares as share_store
from bidding.ceremony.models import ShareRelease
from bidding.keyholders import cli, client as holder_side, keys
from bidding.keyholders.models import Keyholder, PersonalKey, SealedShare
from bidding.keyholders.services import active_personal_key
from tests.bidding.ceremony.test_ceremony import _bid_all, _complete, _start, _url, bidders, sealed_trade  # noqa: F401
from tests.bidding.conftest import PASSPHRASES, enrol, release
from tests.conftest import START, BodyRecorder, api_headers, tender_timeline
from trading.notices.models import Notice
from trading.trades import services as trades


def _published(db, client, users, make_trade):
    """A works tender with staff and staff2 (executing) and supervisor (supervising) as keyholders,
    approved (the opening key made and sealed to their active keys) and published."""
    trade = make_trade(paper_bids=False, **tender_timeline(START))
    response = client.post(f"/api/v1/trades/{trade.id}/keyholders", headers=api_headers(client, "decider"),
                           json={"execute": [users["staff"].id, users["staff2"].id], "supervise": [users["supervisor"].id]})
    assert response.status_code == 201, response.get_json()
    for name, who in (("submit", "staff"), ("approve", "decider"), ("publish", "staff")):
        trades.move(trade, name, users[who])
    db.session.commit()
    return trade


def _held(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ShareRelease)
                             .where(ShareRelease.held_share.is_not(None)))


def test_the_platform_never_receives_a_passphrase(db, app, client, users, make_user, make_trade, clock):
    """Enrolment and release through the real HTTP stack, every request body recorded."""
    from trading.accounts.roles import Role

    recorder = app.wsgi_app = BodyRecorder(app.wsgi_app)
    users["staff2"] = make_user("staff2", (Role.CENTRE_STAFF, "WORKS"))
    for name in PASSPHRASES:
        enrol(client, name)
    trade = _published(db, client, users, make_trade)
    clock.freeze(trade.opening_at)
    assert _start(client, trade).status_code == 201
    for who in PASSPHRASES:
        assert release(client, trade, who).status_code == 201
    assert _held(db) == 3
    bodies = [(path, body) for method, path, _q, body in recorder.seen if method == "POST"]
    assert {p for p, _b in bodies} >= {"/api/v1/me/personal-key", f"/api/v1/trades/{trade.id}/ceremony/shares"}
    for path, body in bodies:
        assert b"passphrase" not in body, path
        for phrase in PASSPHRASES.values():
            assert phrase.encode() not in body, path
    for path, body in bodies:
        if path == "/api/v1/me/personal-key":
            assert set(json.loads(body)) == {"public_key", "wrapped_key"}
        if path.endswith("/ceremony/shares"):
            assert set(json.loads(body)) == {"share"}
    # and the platform has no code path that could take one: no unlock on the server side, the
    # release takes the opened share
    assert "unlock_personal_key" not in vars(keys) and "enrol_personal_key" not in vars(keys)
    assert list(inspect.signature(share_store.release_share).parameters) == ["actor", "trade", "share_bytes"]


def test_passphrase_requests_are_gone_with_the_way_forward(db, client, sealed_trade, bidders, clock):
    enrolled = client.post("/api/v1/me/personal-key", json={"passphrase": "correct horse battery staple"},
                           headers=api_headers(client, "social"))
    assert enrolled.status_code == 410 and enrolled.get_json()["code"] == "passphrase_not_accepted"
    assert "python -m bidding.keyholders.cli" in client.post(
        "/api/v1/me/personal-key", json={"passphrase": "x"},
        headers={**api_headers(client, "social"), "Accept-Language": "en"}).get_json()["message"]
    assert active_personal_key(bidders["social"].id) is None
    clock.freeze(sealed_trade.opening_at)
    assert _start(client, sealed_trade).status_code == 201
    old = client.post(_url(sealed_trade, "/shares"), json={"passphrase": PASSPHRASES["staff"]},
                      headers=api_headers(client, "staff"))
    assert old.status_code == 410 and old.get_json()["code"] == "passphrase_not_accepted"
    assert _held(db) == 0


def test_a_share_that_is_not_the_holders_own_is_refused(db, client, sealed_trade, bidders, clock):
    _bid_all(client, sealed_trade, bidders)
    clock.freeze(sealed_trade.opening_at)
    assert _start(client, sealed_trade).status_code == 201

    def opened(who: str) -> bytes:
        material = client.get(_url(sealed_trade, "/share"), headers=api_headers(client, who)).get_json()
        return holder_side.release(bytes.fromhex(material["wrapped_key"]), PASSPHRASES[who],
                                   bytes.fromhex(material["sealed_share"]), material["context"].encode())

    def post(raw, who: str = "staff"):
        body = {"share": raw.hex() if isinstance(raw, bytes) else raw}
        return client.post(_url(sealed_trade, "/shares"), json=body,
                           headers={**api_headers(client, who), "Accept-Language": "en"})

    own, colleague, supervisor = opened("staff"), opened("staff2"), opened("supervisor")
    parsed = keys.KeyShare.from_bytes(own)
    made_up = keys.KeyShare(parsed.side, parsed.key_fingerprint,
                            type(parsed.share)(x=parsed.share.x, y=os.urandom(32), k=parsed.share.k)).to_bytes()
    other_key = keys.KeyShare(parsed.side, os.urandom(32), parsed.share).to_bytes()
    for raw, rule in ((b"\x00" * 72, "is not an opening-key share"), ("not hex", "hexadecimal"),
                      (own[:-1], "is not an opening-key share"), (other_key, "another trade's opening key"),
                      (supervisor, "the other side of the key"),
                      (colleague, "is not the share sealed to you"),  # someone else's real share
                      (made_up, "is not the share sealed to you")):  # a point on no one's polynomial
        refused = post(raw)
        body = refused.get_json()
        assert refused.status_code == 422 and body["field"] == "share" and rule in json.dumps(body), (rule, body)
    assert _held(db) == 0
    assert post(own).status_code == 201
    assert post(colleague, "staff2").status_code == 201 and post(supervisor, "supervisor").status_code == 201
    done = _complete(client, sealed_trade)
    assert done.status_code == 200 and done.get_json()["outcome"] == "opened"


def test_fingerprints_published_and_a_swapped_key_refused(db, client, keyholding, make_trade, clock):
    """Each keyholder's fingerprint is on the notice and the public opening-key API before bidding;
    a key replaced afterwards does not change what the shares were sealed to, and a key row swapped
    under a sealed share is refused at the opening."""
    made = {name: enrol(client, name) for name in PASSPHRASES}  # the keys the holders noted
    trade = _published(db, client, keyholding, make_trade)
    notice = db.session.scalar(sa.select(Notice).where(Notice.trade_id == trade.id)).body
    published = client.get(f"/api/v1/trades/{trade.id}/opening-key").get_json()["keyholder_keys"]
    assert sorted(p["fingerprint"] for p in published) == sorted(m.fingerprint for m in made.values())
    assert [p["side"] for p in published] == ["execute", "execute", "supervise"]
    for m in made.values():
        assert m.fingerprint in notice
    assert "执行方持钥人1 个人公钥指纹" in notice and "监督方持钥人1 个人公钥指纹" in notice

    # the holder enrols a new key after publication: the trade's shares stay sealed to the published one
    enrol(client, "staff2", "a later passphrase for staff2")
    again = client.get(f"/api/v1/trades/{trade.id}/opening-key").get_json()["keyholder_keys"]
    assert again == published
    clock.freeze(trade.opening_at)
    assert _start(client, trade).status_code == 201
    assert release(client, trade, "staff2").status_code == 201  # with the key the share was sealed to

    # someone with the database swaps the key row a share was sealed to: refused, and visible
    sealed = db.session.scalar(sa.select(SealedShare).join(Keyholder, Keyholder.id == SealedShare.keyholder_id)
                               .where(Keyholder.user_id == keyholding["staff"].id))
    row = db.session.get(PersonalKey, sealed.personal_key_id)
    swap = holder_side.enrol("the intruder's passphrase", 1_000)
    row.public_key, row.protected_key = swap.public_key, swap.wrapped_key
    db.session.commit()
    refused = client.get(_url(trade, "/share"), headers=api_headers(client, "staff"))
    assert refused.status_code == 409 and refused.get_json()["code"] == "key_swapped"
    assert keys.personal_fingerprint(swap.public_key) not in notice
    forged = client.post(_url(trade, "/shares"), json={"share": "00" * 72}, headers=api_headers(client, "staff"))
    assert forged.status_code == 409 and forged.get_json()["code"] == "key_swapped"


def _cli(args: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    return cli.main(args, out=out), out.getvalue()


def test_offline_tool_round_trip(db, client, keyholding, make_trade, clock, tmp_path, capsys):
    """The offline tool makes a key (kept offline), the holder posts the body it prints, and at the
    opening it opens the share from the material the API hands out; the browser's blobs are the same."""
    phrase = tmp_path / "phrase"
    phrase.write_text("an offline keyholder's passphrase\n")
    key_file = tmp_path / "staff.key"
    status, printed = _cli(["--passphrase-file", str(phrase), "enrol", "--out", str(key_file),
                            "--iterations", "1000", "--keep-offline"])
    assert status == 0 and oct(key_file.stat().st_mode & 0o777) == "0o600"
    body = json.loads(printed)
    assert set(body) == {"public_key"}  # the wrapped key stays on the holder's machine
    assert _cli(["--passphrase-file", str(phrase), "enrol", "--out", str(key_file)])[0] == 1  # never overwritten
    enrolled = client.post("/api/v1/me/personal-key", json=body, headers=api_headers(client, "staff"))
    assert enrolled.status_code == 201 and enrolled.get_json()["wrapped_key_kept"] is False
    assert _cli(["fingerprint", "--key", str(key_file)]) == (0, enrolled.get_json()["fingerprint"] + "\n")

    trade = _published(db, client, keyholding, make_trade)
    clock.freeze(trade.opening_at + timedelta(minutes=1))
    assert _start(client, trade).status_code == 201
    material = client.get(_url(trade, "/share"), headers=api_headers(client, "staff")).get_json()
    assert material["wrapped_key"] is None
    material_file = tmp_path / "share.json"
    material_file.write_text(json.dumps(material))
    # without the key file it cannot; with a wrong passphrase it says so and prints nothing
    assert _cli(["--passphrase-file", str(phrase), "open-share", "--material", str(material_file)]) == (1, "")
    wrong = tmp_path / "wrong"
    wrong.write_text("not the passphrase at all\n")
    assert _cli(["--passphrase-file", str(wrong), "open-share", "--material", str(material_file),
                 "--key", str(key_file)]) == (1, "")
    assert "does not unlock" in capsys.readouterr().err
    # another key than the one the share was sealed to: refused before asking anything
    other = tmp_path / "other.key"
    assert _cli(["--passphrase-file", str(phrase), "enrol", "--out", str(other), "--iterations", "1000"])[0] == 0
    assert _cli(["--passphrase-file", str(phrase), "open-share", "--material", str(material_file),
                 "--key", str(other)])[0] == 1
    assert "fingerprint differs" in capsys.readouterr().err
    status, printed = _cli(["--passphrase-file", str(phrase), "open-share", "--material", str(material_file),
                            "--key", str(key_file)])
    assert status == 0 and set(json.loads(printed)) == {"share"}
    released = client.post(_url(trade, "/shares"), json=json.loads(printed), headers=api_headers(client, "staff"))
    assert released.status_code == 201, released.get_json()
    # a browser-style blob (kept on the platform) opens with the tool too, and the tool's blob with the twin
    sup = client.get(_url(trade, "/share"), headers=api_headers(client, "supervisor")).get_json()
    (tmp_path / "sup.json").write_text(json.dumps(sup))
    (tmp_path / "sup-phrase").write_text(PASSPHRASES["supervisor"] + "\n")
    status, printed = _cli(["--passphrase-file", str(tmp_path / "sup-phrase"), "open-share",
                            "--material", str(tmp_path / "sup.json")])
    assert status == 0
    assert client.post(_url(trade, "/shares"), json=json.loads(printed),
                       headers=api_headers(client, "supervisor")).status_code == 201
    stored = json.loads(key_file.read_text())
    assert holder_side.unwrap(bytes.fromhex(stored["wrapped_key"]), "an offline keyholder's passphrase")
    # rewrap: the same key (same fingerprint) under a new passphrase
    new_phrase = tmp_path / "new"
    new_phrase.write_text("a brand new offline passphrase\n")
    status, _printed = _cli(["--passphrase-file", str(phrase), "rewrap", "--key", str(key_file),
                             "--out", str(tmp_path / "new.key"), "--new-passphrase-file", str(new_phrase),
                             "--iterations", "1000"])
    assert status == 0
    assert _cli(["fingerprint", "--key", str(tmp_path / "new.key")])[1] == _cli(["fingerprint", "--key",
                                                                                  str(key_file)])[1]
