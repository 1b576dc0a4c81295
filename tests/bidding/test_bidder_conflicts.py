"""Conflict checks know who actually bid: companies that sent a bid or paid a deposit are bidders
(not only document downloaders); keyholders and supervisors are checked again when they release a
share or sign; a record signature counts only from a drawn, non-recused supervisor or a keyholder."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from bidding.ceremony.models import ShareRelease
from monitor.supervisors.models import DrawnSupervisor
from tests.bidding.ceremony.test_ceremony import (PASSPHRASES, PRICES, _bid_all, _complete, _release, _start,  # noqa: F401
                                                  _url, bidders, sealed_trade)
from tests.monitor.supervisors.supervisor_helpers import pdftotext, registry, run_draw  # noqa: F401
from tests.conftest import api_headers
from tests.signing_helpers import api_signed
from trading.accounts import policy
from trading.accounts.models import DeclaredRelation
from trading.accounts.roles import Role
from trading.errors import PolicyViolation
from trading.notices.models import Download

DUTIES = {"executing_keyholder": (Role.CENTRE_STAFF, "WORKS"),
          "supervising_keyholder": (Role.ADMIN_SUPERVISOR, "WORKS"),
          "supervisor": (Role.SOCIAL_SUPERVISOR, "WORKS")}


def _relate(db, user, org, nature="配偶任该公司法定代表人"):
    db.session.add(DeclaredRelation(user_id=user.id, organisation_id=org.id, nature=nature))
    db.session.commit()


def _deposit(client, trade, org):
    response = client.post(f"/api/v1/trades/{trade.id}/deposits", headers=api_headers(client, "staff"),
                           json={"organisation_id": org.id, "amount": "10000.00"})
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize("source", ["bid", "deposit"])
@pytest.mark.parametrize("duty", sorted(DUTIES))
def test_a_company_that_only_bid_or_paid_is_a_bidder(db, client, sealed_trade, bidders, make_user, duty, source):
    """No download at all: the bid (or the deposit) alone makes the company a bidder for the policy."""
    trade, company = sealed_trade, bidders["bidder_b"].organisation
    person = make_user("tied", DUTIES[duty])
    _relate(db, person, company)
    policy.check_participation(person, trade, duty)  # nothing tied to a bidder yet
    if source == "bid":
        _bid_all(client, trade, bidders, {"bidder_b": PRICES["bidder_b"]})
    else:
        _deposit(client, trade, company)
    assert not db.session.scalar(sa.select(Download.id).where(Download.organisation_id == company.id))
    assert company.id in policy.bidder_organisations(trade)
    with pytest.raises(PolicyViolation) as exc:
        policy.check_participation(person, trade, duty)
    assert exc.value.code == "recusal_required" and company.name not in exc.value.message


def test_a_keyholder_conflicted_later_is_refused_at_release(db, client, sealed_trade, bidders, clock):
    """Appointed before anything was known; the company they are tied to bids afterwards."""
    trade = sealed_trade
    _relate(db, bidders["staff2"], bidders["bidder_b"].organisation)
    _bid_all(client, trade, bidders)
    clock.freeze(trade.opening_at)
    assert _start(client, trade).status_code == 201
    refused = _release(client, trade, "staff2")
    assert refused.status_code == 403, refused.get_json()
    assert refused.get_json()["code"] == "recusal_required"
    assert bidders["bidder_b"].organisation.name not in refused.get_json()["message"]
    assert not db.session.scalar(sa.select(ShareRelease.id).join(ShareRelease.keyholder)
                                 .where(ShareRelease.held_share.is_not(None)))
    assert _release(client, trade, "staff").status_code == 201  # the others are not held up


@pytest.fixture
def supervised(db, registry, sealed_trade, bidders):  # noqa: F811
    """The sealed trade, published while WORKS keeps a registry: one social supervisor drawn."""
    run_draw(db, sealed_trade)  # the round fixed at publication, drawn by the tick after its commitment window
    drawn = db.session.scalars(sa.select(DrawnSupervisor).where(DrawnSupervisor.trade_id == sealed_trade.id)).all()
    assert len(drawn) == 1
    names = {u.id: name for name, u in bidders.items()}
    return {"trade": sealed_trade, "drawn": names[drawn[0].user_id],
            "not_drawn": next(n for n in ("social", "social2", "social3", "social4") if n != names[drawn[0].user_id])}


def _opened(client, trade, clock):
    clock.freeze(trade.opening_at)
    assert _start(client, trade).status_code == 201
    for who in PASSPHRASES:
        assert _release(client, trade, who).status_code == 201
    assert _complete(client, trade).status_code == 200


def _sign(client, trade, who, dissent=None):
    """Signed with the supervisor's own key over the statement the platform issues (tests/signing_helpers.py)."""
    headers = api_headers(client, who)
    signed = api_signed(client, headers, "opening-record", trade_id=trade.id, dissent=dissent)
    return client.post(_url(trade, "/signatures"), json={"dissent": dissent, **signed}, headers=headers)


def test_a_supervisor_conflicted_after_the_draw_is_refused_at_sign(db, client, supervised, bidders, clock):
    """Drawn when nothing was known; then a company they are tied to pays a deposit (no bid, no download)."""
    trade, who = supervised["trade"], supervised["drawn"]
    _bid_all(client, trade, bidders)
    _relate(db, bidders[who], bidders["bidder_d"].organisation)
    _deposit(client, trade, bidders["bidder_d"].organisation)
    _opened(client, trade, clock)
    refused = _sign(client, trade, who)
    assert refused.status_code == 403 and refused.get_json()["code"] == "recusal_required", refused.get_json()
    record = client.get(f"/api/v1/trades/{trade.id}/opening-record").get_json()
    assert record["signatures"] == []


def test_only_drawn_serving_supervisors_and_keyholders_sign(db, client, supervised, bidders, clock, tmp_path):
    trade = supervised["trade"]
    _bid_all(client, trade, bidders)
    _opened(client, trade, clock)
    outsider = _sign(client, trade, supervised["not_drawn"])  # registered at the centre, not drawn for this trade
    assert outsider.status_code == 403 and outsider.get_json()["code"] == "not_a_signer"
    drawn = _sign(client, trade, supervised["drawn"], "第三家报价未宣读")
    assert drawn.status_code == 201 and drawn.get_json()["counts"] is True
    assert _sign(client, trade, "supervisor").get_json()["counts"] is True  # the supervising keyholder

    # the drawn supervisor steps aside afterwards: the signature stays on file but no longer counts
    stepped = client.post(f"/api/v1/trades/{trade.id}/supervision/conflicts", json={"reason": "近亲属在投标单位任职"},
                          headers=api_headers(client, supervised["drawn"]))
    assert stepped.status_code == 201, stepped.get_json()
    name = bidders[supervised["drawn"]].display_name
    record = client.get(f"/api/v1/trades/{trade.id}/opening-record").get_json()
    assert {s["supervisor"]: s["counts"] for s in record["signatures"]} == {name: False, "Supervisor": True}
    state = client.get(_url(trade), headers=api_headers(client, "staff")).get_json()
    assert {s["supervisor"]: s["counts"] for s in state["signatures"]} == {name: False, "Supervisor": True}
    # e-supervision's "the opening record is signed" finds only the signatures that count
    from monitor.cards.esupervision import FACTS

    db.session.expire_all()
    assert len(FACTS["opening_record_signed"](trade)) == 1
    text = pdftotext(client.get(f"/api/v1/trades/{trade.id}/opening-record.pdf").data, tmp_path)
    assert "Supervisor" in text  # the keyholder's signature is printed; the one that no longer counts is not
    assert "第三家报价未宣读" not in text and "".join(name.split()) not in text
