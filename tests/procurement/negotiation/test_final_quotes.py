"""Final sealed quotes: the envelope format, the deadline, who is called; the opening from released shares;
the result: negotiation by the lowest final price, consultation by comprehensive scoring with C214's weights."""
from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest

from bidding.award import candidates
from bidding.scoring import services as scoring
from procurement.negotiation import quotes, services
from tests.conftest import api_headers
from tests.procurement.negotiation.conftest import final_envelope, org, post_quote, release_final
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput, NotAllowed
from trading.trades import services as trades

URL = "/api/v1/trades/{}/negotiation"
FINALS = {"sup_a": "930000.00", "sup_b": "940000.00", "sup_c": "920000.00"}


def _start_and_call(db, cast, trade, hours: int = 2):
    services.start(cast["staff_proc"], trade)
    call = services.call_final_quotes(cast["e1"], trade, now() + timedelta(hours=hours))
    db.session.commit()
    return call


def _quote_all(client, cast, trade, finals=FINALS):
    for who, price in finals.items():
        r = post_quote(client, trade, who, final_envelope(trade, cast[who].organisation.credit_code, price))
        assert r.status_code == 201, r.get_json()


@pytest.fixture
def called(db, cast, negotiating):
    _start_and_call(db, cast, negotiating)
    return negotiating


def test_quote_is_taken_with_a_signed_receipt_and_no_price(db, client, cast, called):
    data = final_envelope(called, cast["sup_a"].organisation.credit_code, "930000.00")
    r = post_quote(client, called, "sup_a", data)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["seq"] == 1 and body["price"] is None and json.loads(body["receipt"])["bidder"].startswith("FINAL-")
    assert "930000" not in r.get_data(as_text=True)
    # a second one replaces the first
    r = post_quote(client, called, "sup_a", final_envelope(called, cast["sup_a"].organisation.credit_code,
                                                            "925000.00", seq=2))
    assert r.status_code == 201 and r.get_json()["seq"] == 2
    assert quotes.quotes(called, org(cast, "sup_a"))[0].replaced_at is not None


def test_an_envelope_sealed_as_a_response_is_refused(db, client, cast, called):
    code = cast["sup_a"].organisation.credit_code
    r = post_quote(client, called, "sup_a", final_envelope(called, code, "930000.00", bidder=code))
    assert r.status_code == 422 and "FINAL-" in r.get_json()["errors"]["envelope"][0]
    assert quotes.quotes(called) == []


def test_another_suppliers_field_is_refused(db, client, cast, called):
    other = cast["sup_b"].organisation.credit_code
    r = post_quote(client, called, "sup_a", final_envelope(called, other, "930000.00"))
    assert r.status_code == 422


def test_no_quote_before_the_call(db, client, cast, negotiating):
    services.start(cast["staff_proc"], negotiating)
    db.session.commit()
    r = post_quote(client, negotiating, "sup_a",
                   final_envelope(negotiating, cast["sup_a"].organisation.credit_code, "930000.00"))
    assert r.status_code == 409 and r.get_json()["code"] == "not_called"


def test_no_quote_at_the_deadline(db, client, cast, called, clock):
    clock.freeze(services.call_of(called).deadline)
    r = post_quote(client, called, "sup_a", final_envelope(called, cast["sup_a"].organisation.credit_code, "1.00"))
    assert r.status_code == 409 and r.get_json()["code"] == "deadline_passed"


def test_a_supplier_set_aside_after_the_call_may_not_quote(db, client, cast, called):
    services.set_aside(cast["e1"], called, org(cast, "sup_c"), "售后服务承诺不满足")
    db.session.commit()
    r = post_quote(client, called, "sup_c", final_envelope(called, cast["sup_c"].organisation.credit_code, "1.00"))
    assert r.status_code == 409 and r.get_json()["code"] == "not_invited"


def test_a_non_responding_supplier_may_not_quote(db, client, cast, called):
    r = post_quote(client, called, "sup_x", final_envelope(called, cast["sup_x"].organisation.credit_code, "1.00"))
    assert r.status_code == 403


def test_shares_are_not_released_before_the_deadline(db, cast, called):
    with pytest.raises(IllegalMove) as exc:
        quotes.share_for(cast["staff_proc"], called)
    assert exc.value.code == "before_deadline"
    with pytest.raises(NotAllowed):
        quotes.share_for(cast["e1"], called)


def _opened(db, client, cast, trade, clock, finals=FINALS):
    _quote_all(client, cast, trade, finals)
    clock.freeze(services.call_of(trade).deadline)
    release_final(db, cast, trade)
    r = client.post(f"{URL.format(trade.id)}/final-opening", headers=api_headers(client, "staff_proc"))
    assert r.status_code == 200, r.get_json()
    db.session.expire_all()
    return r.get_json()


def test_opening_needs_both_thresholds(db, client, cast, called, clock):
    _quote_all(client, cast, called)
    clock.freeze(services.call_of(called).deadline)
    r = client.post(f"{URL.format(called.id)}/final-opening", headers=api_headers(client, "staff_proc"))
    assert r.status_code == 409 and r.get_json()["code"] == "shares_missing"


def test_opening_writes_each_final_price_and_a_hashed_record(db, client, cast, called, clock):
    body = _opened(db, client, cast, called, clock)
    record = body["opening"]
    assert {q["supplier"]: q["price"] for q in record["quotes"]} == {
        cast[w].organisation.name: p for w, p in FINALS.items()}
    assert all(q["price"] is not None for q in body["quotes"])
    assert quotes.final_prices(called) == {org(cast, w): Decimal(p) for w, p in FINALS.items()}
    r = client.post(f"{URL.format(called.id)}/final-opening", headers=api_headers(client, "staff_proc"))
    assert r.status_code == 409 and r.get_json()["code"] == "already_opened"
    # the suppliers read their own quote's price only
    mine = client.get(f"{URL.format(called.id)}/mine", headers=api_headers(client, "sup_b")).get_json()
    assert [q["price"] for q in mine["quotes"]] == ["940000.00"]


def test_a_quote_bound_to_another_trade_is_recorded_and_not_ranked(db, client, cast, called, clock):
    finals = dict(FINALS)
    del finals["sup_c"]
    _quote_all(client, cast, called, finals)
    bad = final_envelope(called, cast["sup_c"].organisation.credit_code, "1.00", ref="GP-OTHER-1")
    assert post_quote(client, called, "sup_c", bad).status_code == 201
    clock.freeze(services.call_of(called).deadline)
    release_final(db, cast, called)
    quotes.open_quotes(cast["supervisor_proc"], called)
    db.session.commit()
    record = quotes.opening_record(called)
    bad_row = next(q for q in record["quotes"] if q["organisation_id"] == org(cast, "sup_c"))
    assert bad_row["price"] is None and "GP-OTHER-1" in bad_row["problem"]
    assert org(cast, "sup_c") not in quotes.final_prices(called)


# ---- the result ------------------------------------------------------------------------------------------------

def _submit_sheets(cast, trade, scores=None):
    for name in ("e1", "e2", "e3"):
        scoring.submit_sheet(cast[name], trade, scores(name) if scores else None)


def test_negotiation_goes_to_the_lowest_final_price(db, client, cast, called, clock):
    scoring.set_plan(cast["staff_proc"], called, {"method": "lowest_evaluated_price", "subject": "goods"})
    _submit_sheets(cast, called)
    db.session.commit()
    assert scoring.final_ranking(called) == []  # nothing ranks before the final quotes are opened
    _opened(db, client, cast, called, clock)
    ranking = scoring.final_ranking(called)
    assert [(r.organisation_id, r.price) for r in ranking] == [
        (org(cast, "sup_c"), Decimal("920000.00")), (org(cast, "sup_a"), Decimal("930000.00")),
        (org(cast, "sup_b"), Decimal("940000.00"))]
    # then the normal award: the candidates' publicity names the final prices
    trades.move(called, "publicize", cast["staff_proc"])
    db.session.commit()
    listed = candidates.current_list(called)
    assert [(c.organisation_id, c.price) for c in listed.candidates][0] == (org(cast, "sup_c"), Decimal("920000.00"))


def test_negotiation_ranks_only_those_meeting_the_requirements(db, client, cast, called, clock):
    """The lowest final quote does not win when the panel finds it does not meet the requirements."""
    scoring.set_plan(cast["staff_proc"], called, {"method": "lowest_evaluated_price", "subject": "goods"})
    _opened(db, client, cast, called, clock)
    r = client.post(f"{URL.format(called.id)}/set-aside", headers=api_headers(client, "e2"),
                    json={"organisation_id": org(cast, "sup_c"), "reason": "最后报价明显低于成本且不能说明合理性"})
    assert r.status_code == 201, r.get_json()
    _submit_sheets(cast, called)
    db.session.commit()
    assert [r.organisation_id for r in scoring.final_ranking(called)] == [org(cast, "sup_a"), org(cast, "sup_b")]


def test_consultation_price_weight_follows_c214(db, cast, consulting):
    with pytest.raises(InvalidInput) as exc:
        scoring.set_plan(cast["staff_proc"], consulting, {"method": "comprehensive", "subject": "goods",
                                                          "price_weight": "25", "criteria": [
                                                              {"name": "技术", "max_points": "75"}]})
    assert "price_weight" in exc.value.errors and "214" in exc.value.errors["price_weight"][0]
    with pytest.raises(InvalidInput) as exc:
        scoring.set_plan(cast["staff_proc"], consulting, {"method": "comprehensive", "subject": "services",
                                                          "price_weight": "31", "criteria": [
                                                              {"name": "服务", "max_points": "69"}]})
    assert "price_weight" in exc.value.errors
    with pytest.raises(InvalidInput):
        scoring.set_plan(cast["staff_proc"], consulting, {"method": "lowest_evaluated_price", "subject": "goods"})
    scoring.set_plan(cast["staff_proc"], consulting, {"method": "comprehensive", "subject": "goods",
                                                      "price_weight": "60", "criteria": [
                                                          {"name": "技术", "max_points": "40"}]})


def test_consultation_scores_the_final_quotes(db, client, cast, consulting, clock):
    from bidding.evaluation.services import passed_bids
    plan = scoring.set_plan(cast["staff_proc"], consulting, {"method": "comprehensive", "subject": "goods",
                                                             "price_weight": "30", "criteria": [
                                                                 {"name": "技术方案", "max_points": "70"}]})
    _start_and_call(db, cast, consulting)
    tech = {org(cast, "sup_a"): "70", org(cast, "sup_b"): "60", org(cast, "sup_c"): "50"}
    crit = plan.criteria[0]
    entries = passed_bids(consulting)

    def scores(_name):
        return [{"entry_id": e.id, "criterion_id": crit.id, "points": tech[e.organisation_id]} for e in entries]

    _submit_sheets(cast, consulting, scores)
    db.session.commit()
    _opened(db, client, cast, consulting, clock)
    ranking = scoring.final_ranking(consulting)
    # price scores on the final quotes: lowest 920000 -> 30; A: 920000/930000*30 = 29.68; B: 29.36
    totals = {r.organisation_id: r.total for r in ranking}
    assert totals == {org(cast, "sup_a"): Decimal("99.68"), org(cast, "sup_b"): Decimal("89.36"),
                      org(cast, "sup_c"): Decimal("80.00")}
    assert ranking[0].organisation_id == org(cast, "sup_a") and ranking[0].price == Decimal("930000.00")


def test_the_final_quotes_are_not_adjusted(db, cast, called):
    """GPL 38 (5): the lowest final quote of those meeting the requirements; the panel may not cost deviations
    into a final quote (it sets a supplier aside instead)."""
    from bidding.evaluation.services import passed_bids

    scoring.set_plan(cast["staff_proc"], called, {"method": "lowest_evaluated_price", "subject": "goods"})
    entry = passed_bids(called)[0]
    with pytest.raises(IllegalMove) as exc:
        scoring.adjust_price(cast["e1"], called, entry.id, "5000.00", "交货期延长折算")
    assert exc.value.code == "not_adjustable"
