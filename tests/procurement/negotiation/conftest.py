"""A competitive negotiation (or consultation) at PROC whose three responses were sealed, opened at a real
ceremony, under evaluation with a panel of three experts seated; helpers that seal and open final quotes."""
from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest

from bidding.crypto import envelope
from bidding.crypto.envelope_check import content_digest
from bidding.crypto.records import encode_bid
from bidding.evaluation import services as evaluation
from bidding.evaluation.models import SeatKind
from bidding.keyholders import client as holder_side
from bidding.keyholders.services import opening_key
from procurement.negotiation import quotes
from tests.bidding.ceremony.test_ceremony import _envelope, _submit
from tests.bidding.conftest import enrol, release
from tests.conftest import START, api_headers, tender_timeline
from trading.accounts.models import OrgKind
from trading.accounts.roles import Role
from trading.trades import services as trades
from trading.trades.flows import TradeState

PASS = {"staff_proc": "proc staff passphrase 1", "staff_proc2": "proc staff2 passphrase 2",
        "supervisor_proc": "proc supervisor pass 3"}
SUPPLIERS = ("sup_a", "sup_b", "sup_c")
RESPONSES = {"sup_a": "980000.00", "sup_b": "950000.00", "sup_c": "990000.00"}
PANEL = ("e1", "e2", "e3")


@pytest.fixture
def cast(db, client, users, make_user, make_org):
    """Two PROC clerks and a PROC supervisor (the keyholders, personal keys enrolled), three suppliers, three
    experts, and a supplier that did not respond."""
    users["staff_proc2"] = make_user("staff_proc2", (Role.CENTRE_STAFF, "PROC"))
    users["supervisor_proc"] = make_user("supervisor_proc", (Role.ADMIN_SUPERVISOR, "PROC"))
    for name in (*SUPPLIERS, "sup_x"):
        users[name] = make_user(name, (Role.BIDDER, None), org=make_org(OrgKind.BIDDER, f"{name} 科技有限公司"))
    for name in (*PANEL, "e4"):
        users[name] = make_user(name, (Role.EXPERT, None))
    db.session.commit()
    for name, passphrase in PASS.items():
        enrol(client, name, passphrase)
    return users


def _sealed(db, client, cast, make_trade, clock, method: str, days: int):
    trade = make_trade(actor=cast["staff_proc"], method=method, centre_id=cast["staff_proc"].grants[0].centre_id,
                       estimated_price=Decimal("1000000.00"), bid_security=None, paper_bids=False,
                       title="智慧教室交互设备", **tender_timeline(START, days=days))
    response = client.post(f"/api/v1/trades/{trade.id}/keyholders", headers=api_headers(client, "decider"),
                           json={"execute": [cast["staff_proc"].id, cast["staff_proc2"].id],
                                 "supervise": [cast["supervisor_proc"].id]})
    assert response.status_code == 201, response.get_json()
    for name, who in (("submit", "staff_proc"), ("approve", "decider"), ("publish", "staff_proc")):
        trades.move(trade, name, cast[who])
    db.session.commit()
    assert trade.state is TradeState.BIDDING
    for who, price in RESPONSES.items():
        _submit(client, trade, who, _envelope(client, trade, cast[who].organisation.credit_code, price))
    clock.freeze(trade.opening_at)
    assert client.post(f"/api/v1/trades/{trade.id}/ceremony", headers=api_headers(client, "staff_proc")).status_code == 201
    for who, passphrase in PASS.items():
        assert release(client, trade, who, passphrase).status_code == 201
    response = client.post(f"/api/v1/trades/{trade.id}/ceremony/complete", headers=api_headers(client, "staff_proc"))
    assert response.status_code == 200, response.get_json()
    db.session.expire_all()
    trades.move(trade, "start_evaluation", cast["staff_proc"])
    db.session.commit()
    return trade


def seat_panel(db, cast, trade, names=PANEL, kind=SeatKind.EXPERT):
    for name in names:
        evaluation.seat_member(cast["staff_proc"], trade, cast[name], kind)
    db.session.commit()


@pytest.fixture
def sitting(db, client, cast, make_trade, clock):
    """A competitive negotiation under evaluation, its three responses opened, no panel seated yet."""
    return _sealed(db, client, cast, make_trade, clock, "gp_competitive_negotiation", 12)


@pytest.fixture
def negotiating(db, cast, sitting):
    """The negotiation with its panel of three experts seated (not yet started)."""
    seat_panel(db, cast, sitting)
    return sitting


@pytest.fixture
def consulting(db, client, cast, make_trade, clock):
    trade = _sealed(db, client, cast, make_trade, clock, "gp_competitive_consultation", 12)
    seat_panel(db, cast, trade)
    return trade


def org(cast, who: str) -> int:
    return cast[who].organisation_id


def final_envelope(trade, credit_code: str, price: str, seq: int = 1, *, ref: str | None = None,
                   bidder: str | None = None) -> bytes:
    """What the supplier's browser seals: {"price", "trade"} to the trade's opening key."""
    out = io.BytesIO()
    envelope.seal(list(encode_bid({"price": price, "trade": ref or trade.ref})),
                  public_key=envelope.load_public_key(opening_key(trade).public_key.hex()), trade_ref=trade.ref,
                  bidder_id=bidder or quotes.bidder_field(credit_code), version=seq, out=out)
    return out.getvalue()


def post_quote(client, trade, who: str, data: bytes):
    return client.post(f"/api/v1/trades/{trade.id}/negotiation/final-quotes", data=data,
                       content_type="application/octet-stream",
                       headers={**api_headers(client, who), "Content-Digest": content_digest(data)})


def release_final(db, cast, trade) -> None:
    """Each keyholder's machine opens their share again and releases it for the final quotes."""
    for name, passphrase in PASS.items():
        user = cast[name]
        material = quotes.share_for(user, trade)
        share = holder_side.release(bytes.fromhex(material["wrapped_key"]), passphrase,
                                    bytes.fromhex(material["sealed_share"]), material["context"].encode())
        quotes.release_share(user, trade, share)
    db.session.commit()


def later(clock, hours: int = 1):
    clock.advance(timedelta(hours=hours))
