"""Each member scores alone; submitting locks the sheet; a far-off score needs its reason; the totals, ranking
and `final_ranking` follow the plan's method, computed by hand here."""
from __future__ import annotations

from decimal import Decimal as D

import pytest

from bidding.scoring import services as scoring
from bidding.scoring.ranking import results
from tests.bidding.scoring.conftest import entries_by_bidder
from trading.errors import IllegalMove, InvalidInput, NotAllowed

PLAN = {"method": "comprehensive", "subject": "works", "price_weight": "40",
        "criteria": [{"name": "技术方案", "max_points": "40"}, {"name": "施工组织设计", "max_points": "20"}]}

#: (technical, organisation) per bidder, per expert
SHEETS = {
    "e1": {"bidder": (30, 15), "bidder_b": (28, 14), "bidder_c": (35, 18)},
    "e2": {"bidder": (32, 16), "bidder_b": (27, 15), "bidder_c": (34, 17)},
    "e3": {"bidder": (31, 15), "bidder_b": (29, 13), "bidder_c": (36, 16)},
}


def _scores(plan, entries, sheet: dict, reasons: dict | None = None) -> list[dict]:
    tech, org = plan.criteria
    out = []
    for who, (t, o) in sheet.items():
        e = entries[who]
        out.append({"entry_id": e.id, "criterion_id": tech.id, "points": str(t),
                    "reason": (reasons or {}).get(who)})
        out.append({"entry_id": e.id, "criterion_id": org.id, "points": str(o)})
    return out


@pytest.fixture
def planned(db, evaluating, committee):
    plan = scoring.set_plan(committee["staff"], evaluating, PLAN)
    db.session.commit()
    return plan


def test_comprehensive_totals_and_ranking_by_hand(db, evaluating, committee, planned):
    entries = entries_by_bidder(evaluating, committee)
    for name, sheet in SHEETS.items():
        assert scoring.final_ranking(evaluating) == [] and not scoring.scoring_complete(evaluating)
        scoring.submit_sheet(committee[name], evaluating, _scores(planned, entries, sheet))
        db.session.commit()
    assert scoring.scoring_complete(evaluating)
    ranking = scoring.final_ranking(evaluating)
    # price scores: lowest 4700000.50 (bidder_b) gets 40; 4700000.50/4815000.00*40 = 39.0446... -> 39.04;
    # 4700000.50/4999999.99*40 = 37.6000... -> 37.60. Experts' means: bidder (45+48+46)/3 = 46.33,
    # bidder_b 42.00, bidder_c (53+51+52)/3 = 52.00. Totals: bidder_c 89.60, bidder 85.37, bidder_b 82.00.
    assert [(r.rank, r.entry_id, r.total) for r in ranking] == [
        (1, entries["bidder_c"].id, D("89.60")), (2, entries["bidder"].id, D("85.37")),
        (3, entries["bidder_b"].id, D("82.00"))]
    assert ranking[0].price == D("4999999.99") and ranking[0].evaluated_price is None
    rows = {r.entry.id: r for r in results(evaluating).rows}
    assert rows[entries["bidder"].id].price_score == D("39.04")
    assert rows[entries["bidder"].id].expert_mean == D("46.33")


def test_the_sheet_locks_on_submission_and_must_be_complete(db, evaluating, committee, planned):
    entries = entries_by_bidder(evaluating, committee)
    e1 = committee["e1"]
    partial = _scores(planned, entries, SHEETS["e1"])[:-1]
    with pytest.raises(InvalidInput) as missing:
        scoring.submit_sheet(e1, evaluating, partial)
    assert list(missing.value.errors) == [scoring.cell(entries["bidder_c"].id, planned.criteria[1].id, "points")]
    db.session.rollback()
    over = [{"entry_id": entries["bidder"].id, "criterion_id": planned.criteria[1].id, "points": "20.5"}]
    with pytest.raises(InvalidInput) as too_many:  # above the criterion's 20 points
        scoring.save_scores(e1, evaluating, over)
    assert scoring.cell(entries["bidder"].id, planned.criteria[1].id, "points") in too_many.value.errors
    db.session.rollback()
    scoring.submit_sheet(e1, evaluating, _scores(planned, entries, SHEETS["e1"]))
    db.session.commit()
    with pytest.raises(IllegalMove):
        scoring.save_scores(e1, evaluating, _scores(planned, entries, SHEETS["e2"]))
    with pytest.raises(IllegalMove):
        scoring.submit_sheet(e1, evaluating)
    db.session.rollback()
    assert scoring.sheet_of(e1, evaluating).scores[0].points == D(30)
    # the plan is fixed once scoring has begun; and only sitting members score
    with pytest.raises(IllegalMove):
        scoring.set_plan(committee["staff"], evaluating, PLAN)
    with pytest.raises(NotAllowed):
        scoring.save_scores(committee["expert"], evaluating, [])


def test_a_score_outside_the_fence_needs_a_reason(db, evaluating, committee, planned):
    entries = entries_by_bidder(evaluating, committee)
    tech = planned.criteria[0]
    c = entries["bidder_c"]
    for name in ("e1", "e2"):
        scoring.submit_sheet(committee[name], evaluating, _scores(planned, entries, SHEETS[name]))
    db.session.commit()
    low = {**SHEETS["e3"], "bidder_c": (10, 16)}
    # others on bidder_c's technical proposal: 35 and 34; median 34.5, MAD 0.5; 3 x 0.5 < 0.2 x 40 = 8:
    # the band is 26.50 to 42.50, and 10 is outside it
    with pytest.raises(InvalidInput) as far:
        scoring.submit_sheet(committee["e3"], evaluating, _scores(planned, entries, low))
    field = scoring.cell(c.id, tech.id, "reason")
    assert list(far.value.errors) == [field] and "10" in far.value.errors[field][0]
    assert "26.5" not in far.value.errors[field][0]  # the band would tell where the others stand
    db.session.rollback()
    # at the band's edge no reason is needed
    edge = {**SHEETS["e3"], "bidder_c": (D("26.5"), 16)}
    scoring.save_scores(committee["e3"], evaluating, _scores(planned, entries, edge))
    assert scoring.unexplained(evaluating, scoring.sheet_of(committee["e3"], evaluating)) == []
    scoring.submit_sheet(committee["e3"], evaluating,
                         _scores(planned, entries, low, {"bidder_c": "技术方案未响应关键工期节点"}))
    db.session.commit()
    assert scoring.scoring_complete(evaluating) and scoring.pending_reasons(evaluating) == []


def test_an_early_submitter_explains_a_score_the_later_sheets_put_outside(db, evaluating, committee, planned):
    entries = entries_by_bidder(evaluating, committee)
    tech = planned.criteria[0]
    b = entries["bidder_b"]
    first = {**SHEETS["e1"], "bidder_b": (5, 14)}  # nothing to compare with yet: accepted
    scoring.submit_sheet(committee["e1"], evaluating, _scores(planned, entries, first))
    for name in ("e2", "e3"):
        scoring.submit_sheet(committee[name], evaluating, _scores(planned, entries, SHEETS[name]))
    db.session.commit()
    pending = scoring.pending_reasons(evaluating)
    assert [(sheet.user_id, s.entry_id, s.criterion_id) for sheet, s in pending] == \
        [(committee["e1"].id, b.id, tech.id)]
    with pytest.raises(IllegalMove):  # a score inside the fence takes no late reason
        scoring.explain(committee["e2"], evaluating, b.id, tech.id, "late")
    with pytest.raises(InvalidInput):
        scoring.explain(committee["e1"], evaluating, b.id, tech.id, "  ")
    scoring.explain(committee["e1"], evaluating, b.id, tech.id, "商务偏差较大")
    db.session.commit()
    assert scoring.pending_reasons(evaluating) == []
    assert scoring.sheet_of(committee["e1"], evaluating).scores[2].points == D(5)  # points unchanged


@pytest.mark.parametrize("data, field, words", [
    ({**PLAN, "method": "auction"}, "method", "comprehensive"),
    ({**PLAN, "subject": "land"}, "subject", "goods"),
    ({**PLAN, "price_weight": "45"}, "criteria", "105"),
    ({**PLAN, "price_weight": None}, "price_weight", "required"),
    ({**PLAN, "criteria": [{"name": "", "max_points": "60"}]}, "criteria.0.name", "empty"),
    ({**PLAN, "params": {"outlier_k": "0"}}, "params.outlier_k", "0.5"),
    ({**PLAN, "params": {"trim": "1"}}, "params.trim", "outlier_k"),
    ({"method": "lowest_evaluated_price", "subject": "works", "criteria": PLAN["criteria"]}, "criteria", "adjust"),
])
def test_plan_errors_name_the_field_and_rule(db, evaluating, committee, data, field, words):
    from flask_babel import force_locale

    with force_locale("en"), pytest.raises(InvalidInput) as bad:
        scoring.set_plan(committee["staff"], evaluating, data)
    assert list(bad.value.errors) == [field]
    assert words in bad.value.errors[field][0]


def test_procurement_price_weights_are_held_to_o87_art_55(db, make_trade, users, centres):
    from flask_babel import force_locale

    trade = make_trade(actor=users["staff_proc"], centre_id=centres["PROC"].id, method="gp_open_tender")
    goods = {**PLAN, "subject": "goods", "price_weight": "20",
             "criteria": [{"name": "技术", "max_points": "80"}]}
    with force_locale("en"), pytest.raises(InvalidInput) as low:
        scoring.set_plan(users["staff_proc"], trade, goods)
    assert "at least 30" in low.value.errors["price_weight"][0] and "Order 87 Art. 55" in low.value.errors["price_weight"][0]
    services = {**goods, "subject": "services", "price_weight": "10", "criteria": [{"name": "服务", "max_points": "90"}]}
    assert scoring.set_plan(users["staff_proc"], trade, services).price_weight == D(10)  # services: 10 is enough
    with pytest.raises(InvalidInput) as just_below:
        scoring.set_plan(users["staff_proc"], trade, {**goods, "price_weight": "29.99",
                                                 "criteria": [{"name": "技术", "max_points": "70.01"}]})
    assert "price_weight" in just_below.value.errors
    assert scoring.set_plan(users["staff_proc"], trade, {**goods, "price_weight": "30",
                                                    "criteria": [{"name": "技术", "max_points": "70"}]})


def test_lowest_evaluated_price_with_adjustments_and_the_tie_to_the_lower_bid(db, evaluating, committee):
    entries = entries_by_bidder(evaluating, committee)
    scoring.set_plan(committee["staff"], evaluating, {"method": "lowest_evaluated_price", "subject": "works"})
    e1 = committee["e1"]
    scoring.adjust_price(e1, evaluating, entries["bidder_b"].id, "200000", "工期偏差：按招标文件折算")
    # 4999999.99 - 184999.99 = 4815000.00: equal to bidder's evaluated (and bid) price
    scoring.adjust_price(e1, evaluating, entries["bidder_c"].id, "-184999.99", "可量化的优惠条件")
    with pytest.raises(InvalidInput) as zero:
        scoring.adjust_price(e1, evaluating, entries["bidder"].id, "-4815000", "x")
    assert list(zero.value.errors) == ["amount"]
    with pytest.raises(InvalidInput) as no_reason:
        scoring.adjust_price(e1, evaluating, entries["bidder"].id, "10", " ")
    assert list(no_reason.value.errors) == ["reason"]
    for name in ("e1", "e2"):
        scoring.submit_sheet(committee[name], evaluating)
    db.session.commit()
    assert scoring.final_ranking(evaluating) == []  # e3 has not submitted
    scoring.submit_sheet(committee["e3"], evaluating)
    db.session.commit()
    ranking = scoring.final_ranking(evaluating)
    # bidder 4815000.00 and bidder_c 4815000.00 evaluated: the lower bid price (bidder's) first;
    # bidder_b 4700000.50 + 200000 = 4900000.50 last
    assert [(r.rank, r.entry_id, r.evaluated_price) for r in ranking] == [
        (1, entries["bidder"].id, D("4815000.00")), (2, entries["bidder_c"].id, D("4815000.00")),
        (3, entries["bidder_b"].id, D("4900000.50"))]
    assert all(r.total is None for r in ranking)


def test_benchmark_method_by_hand(db, evaluating, committee):
    entries = entries_by_bidder(evaluating, committee)
    plan = scoring.set_plan(committee["staff"], evaluating, {
        "method": "benchmark", "subject": "works", "price_weight": "40", "params": {"factor": "0.97"},
        "criteria": [{"name": "技术方案", "max_points": "40"}, {"name": "施工组织设计", "max_points": "20"}]})
    for name, sheet in SHEETS.items():
        scoring.submit_sheet(committee[name], evaluating, _scores(plan, entries, sheet))
    db.session.commit()
    res = results(evaluating)
    # three prices are fewer than trim_from (5): none dropped; mean 14515000.49 / 3 = 4838333.4967 x 0.97
    # = 4693183.4917 -> 4693183.49. bidder 2.5956% above: 40 - 2.5956 = 37.40; bidder_b 0.1453% above: 39.85;
    # bidder_c 6.5375% above: 33.46. Totals: bidder 37.40 + 46.33 = 83.73; bidder_b 39.85 + 42 = 81.85;
    # bidder_c 33.46 + 52 = 85.46
    assert res.benchmark == D("4693183.49") and len(res.kept) == 3
    assert [(r.entry.id, r.price_score, r.total) for r in res.rows] == [
        (entries["bidder_c"].id, D("33.46"), D("85.46")), (entries["bidder"].id, D("37.40"), D("83.73")),
        (entries["bidder_b"].id, D("39.85"), D("81.85"))]
