"""An open tender and an invitation tender from the plan to the contract on the shared machinery: the budget draw,
keyholders, sealed bids (an invitation tender refuses a supplier it did not invite), the ceremony, the committee's
scoring, the award, the contract, and the savings the plan reads back."""
from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest

from bidding.award import services as award
from procurement.results import services as results
from procurement.methods import services as methods
from procurement.plans import services as plans
from tests.bidding.award.helpers import score
from tests.bidding.ceremony.test_ceremony import PRICES, _bid_all, _envelope, _open
from tests.conftest import START, api_headers, tender_timeline
from trading.trades import services as trades
from trading.errors import InvalidInput
from trading.trades.flows import TradeState

from bidding.crypto.envelope_check import content_digest


def _to_contract(db, client, people, trade, clock) -> Decimal:
    """Bids from the three PRICES bidders, the opening, scoring, the award and the contract; the price."""
    _bid_all(client, trade, people, PRICES)
    assert _open(client, trade, clock)["outcome"] == "opened"
    db.session.expire_all()
    trades.move(trade, "start_evaluation", people["staff"])
    score(db, trade, people, subject="goods")
    trades.move(trade, "publicize", people["staff"])
    decision = results.decide(people["tenderer"], trade).award  # the purchaser decides (O87 68)
    db.session.commit()
    assert trade.state is TradeState.AWARDED
    clock.freeze(decision.decided_at + timedelta(days=3))
    award.record_contract(people["staff"], trade, decision.price, "0", decision.decided_at + timedelta(days=2),
                          "合同.pdf", "application/pdf", io.BytesIO(b"%PDF-1.4 signed contract"))
    db.session.commit()
    assert trade.state is TradeState.CONTRACTED
    return decision.price


def _sealed_draft(client, people, make_trade, centres, method):
    trade = make_trade(actor=people["staff"], centre_id=centres["PROC"].id, method=method, paper_bids=False,
                       title=f"Office computers ({method})", **tender_timeline(START))
    got = client.post(f"/api/v1/trades/{trade.id}/keyholders", headers=api_headers(client, "decider"),
                      json={"execute": [people["staff"].id, people["staff2"].id], "supervise": [people["supervisor"].id]})
    assert got.status_code == 201, got.get_json()
    return trade


def _publish(db, people, trade):
    for name, who in (("submit", "staff"), ("approve", "decider"), ("publish", "staff")):
        trades.move(trade, name, people[who])
    db.session.commit()
    assert trade.state is TradeState.BIDDING


def test_an_open_tender_from_the_plan_to_the_contract(db, client, proc_people, big_plan, make_trade, centres, clock):
    people = proc_people
    line = big_plan.lines[0]
    trade = _sealed_draft(client, people, make_trade, centres, "gp_open_tender")
    plans.draw(people["tenderer"], trade, line.id)
    db.session.commit()
    assert line.left == Decimal("7000000.00")
    _publish(db, people, trade)
    price = _to_contract(db, client, people, trade, clock)
    assert price == Decimal(PRICES["bidder_b"])  # the lowest evaluated price
    db.session.refresh(line)
    assert line.left == Decimal("7000000.00")  # a contracted trade keeps its draw
    savings = client.get("/api/v1/procurement/savings?group=project", headers=api_headers(client, "tenderer"))
    (row,) = savings.get_json()["rows"]
    assert (row["key"], row["budget"], row["contract"]) == (trade.ref, "5000000.00", PRICES["bidder_b"])
    assert Decimal(row["saving"]) == Decimal("5000000.00") - price


def test_an_invitation_tender_from_the_plan_to_the_contract(db, client, proc_people, big_plan, make_trade, centres,
                                                             clock):
    people = proc_people
    line = big_plan.lines[0]
    trade = _sealed_draft(client, people, make_trade, centres, "gp_invited_tender")
    # 5,000,000 of goods is above the open-tender threshold: the decision branch approves the method first
    plans.approve_method(people["decider"], trade, "few suppliers make this equipment")
    plans.draw(people["tenderer"], trade, line.id)
    invited = [people[w].organisation_id for w in PRICES]
    with pytest.raises(InvalidInput) as two:
        methods.publish_list(people["tenderer"], trade, invited[:2], "written recommendation")
    assert "organisation_ids" in two.value.errors
    methods.publish_list(people["tenderer"], trade, invited, "written recommendation")
    db.session.commit()
    _publish(db, people, trade)
    outsider = people["bidder_d"].organisation
    data = _envelope(client, trade, outsider.credit_code, "4000000.00")
    refused = client.post(f"/api/v1/trades/{trade.id}/bids", data=data, content_type="application/octet-stream",
                          headers={**api_headers(client, "bidder_d"), "Content-Digest": content_digest(data)})
    assert refused.status_code == 409 and refused.get_json()["code"] == "not_eligible"
    assert outsider.name in refused.get_json()["message"]
    assert client.get(f"/api/v1/trades/{trade.id}/invitees").status_code == 401  # not before the opening
    price = _to_contract(db, client, people, trade, clock)
    assert price == Decimal(PRICES["bidder_b"])
    assert trade.state is TradeState.CONTRACTED
    public = client.get(f"/api/v1/trades/{trade.id}/invitees")  # once the opening named the bidders: public
    assert public.status_code == 200 and len(public.get_json()["invitees"]) == 3
    db.session.refresh(line)
    assert line.left == Decimal("7000000.00")


def test_too_few_bids_fail_the_tender_and_free_its_budget(db, client, proc_people, big_plan, make_trade, centres,
                                                          clock):
    """Two bids where three are the minimum (O87 41-44): the ceremony fails the trade unopened, and the draw
    goes back to the line; the decision branch may then approve another method."""
    people = proc_people
    line = big_plan.lines[0]
    trade = _sealed_draft(client, people, make_trade, centres, "gp_open_tender")
    plans.draw(people["tenderer"], trade, line.id)
    db.session.commit()
    _publish(db, people, trade)
    _bid_all(client, trade, people, {"bidder": "4815000.00", "bidder_b": "4700000.00"})
    state = _open(client, trade, clock)
    assert state["outcome"] == "too_few" and "财政部令第87号" in state["reason"]
    db.session.expire_all()
    assert trade.state is TradeState.FAILED
    assert line.left == Decimal("12000000.00")
    from procurement.methods import changes

    change = changes.request(people["tenderer"], trade, "gp_competitive_negotiation", "two suppliers bid")
    changes.decide(people["decider"], trade, True, "O74 27: negotiate with the two")
    db.session.commit()
    assert change.follow_on.method == "gp_competitive_negotiation"
