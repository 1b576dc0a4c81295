"""Supervisors' own keys in tests: made here (as `python -m trading.signing keygen` makes them), published
through the service, and used to sign the statements the platform issues, exactly as the browser does."""
from __future__ import annotations

import base64

from trading.signing import services, statements as st

#: private keys by fingerprint (the test is the supervisor's machine; the server never holds these)
PRIVATE: dict[str, object] = {}


def give_key(user):
    """`user`'s private key in force, made and published now if they have none."""
    row = services.key_in_force(user.id)
    if row is not None and row.fingerprint in PRIVATE:
        return PRIVATE[row.fingerprint]
    key = st.generate()
    row = services.register_key(user, base64.b64encode(st.public_of(key)).decode())
    PRIVATE[row.fingerprint] = key
    return key


def sign_text(user, text: str) -> str:
    return base64.b64encode(st.sign(give_key(user), text.encode("utf-8"))).decode()


def signed(user, kind: str, **params) -> dict:
    """{statement, signature}: the statement the platform issues for this act, signed with `user`'s key."""
    give_key(user)
    text = services.issue(user, kind, {k: v for k, v in params.items() if v is not None}).decode("utf-8")
    return {"statement": text, "signature": sign_text(user, text)}


def sign_record(user, trade, dissent=None):
    from bidding.ceremony import services as ceremony

    return ceremony.sign_record(user, trade, dissent, **signed(user, "opening-record", trade_id=trade.id,
                                                                dissent=dissent))


def signoff_kind(trade, stage) -> str:
    from monitor.supervisors import signoffs

    value = getattr(stage, "value", stage)
    return "opening-record" if value == "opening_record" and signoffs.opening_record_subject(trade) else "sign-off"


def sign_off(user, trade, stage, decision, reason=None):
    from monitor.supervisors import signoffs

    value = getattr(stage, "value", stage)
    return signoffs.sign_off(user, trade, stage, decision, reason,
                             **signed(user, signoff_kind(trade, stage), trade_id=trade.id, stage=value,
                                      decision=decision, dissent=reason))


def countersign(user, cp):
    from monitor.audit import services as audit_services

    return audit_services.countersign(user, cp, **signed(user, "checkpoint", checkpoint_id=cp.id))


def page_signed(client, kind: str, **params) -> dict:
    """The same through the pages' JSON endpoints, with the session cookie, as the browser's signer.js."""
    return api_signed(client, {}, kind, _base="/signing", **params)


def api_signed(client, headers: dict, kind: str, _base: str = "/api/v1/signing", **params) -> dict:
    """Through the HTTP API only, as a supervisor's own tool would: fetch the statement (publishing a new key
    first if the caller has none in force, or none this test holds), sign it. {} when the platform refuses
    to issue one (the act itself is then refused with the same error)."""
    body = {"kind": kind, **{k: v for k, v in params.items() if v is not None}}
    response = client.post(f"{_base}/statements", json=body, headers=headers)
    fp = (response.get_json() or {}).get("fingerprint")
    if response.status_code == 422 and (response.get_json() or {}).get("field") == "signature" or \
            (response.status_code == 200 and fp not in PRIVATE):
        key = st.generate()
        made = client.post(f"{_base}/keys", json={"public_key": base64.b64encode(st.public_of(key)).decode()},
                           headers=headers)
        assert made.status_code == 201, made.get_json()
        PRIVATE[made.get_json()["fingerprint"]] = key
        response = client.post(f"{_base}/statements", json=body, headers=headers)
    if response.status_code != 200:
        return {}
    data = response.get_json()
    text = data["statement"]
    return {"statement": text,
            "signature": base64.b64encode(st.sign(PRIVATE[data["fingerprint"]], text.encode("utf-8"))).decode()}
