"""The scoring formulas against hand-computed examples: each formula, its rounding, its ties and boundaries."""
from __future__ import annotations

from decimal import Decimal as D

import pytest

from bidding.scoring import methods as m


# ---- comprehensive scoring: lowest valid price / bid price x weight (O87 Art. 55) ----------------------

def test_comprehensive_price_scores_by_hand():
    prices = {"A": D("100000"), "B": D("125000"), "C": D("80000"), "D": D("90000")}
    # 80000/100000*30 = 24; 80000/125000*30 = 19.2; the lowest gets the whole weight; 80000/90000*30 = 26.666...
    assert m.comprehensive_price_scores(prices, D(30)) == {"A": D("24.00"), "B": D("19.20"), "C": D("30.00"),
                                                           "D": D("26.67")}


def test_comprehensive_rounds_half_up_not_to_even():
    # 80000/128000*1 = 0.625 exactly: half up gives 0.63 (banker's rounding would give 0.62)
    assert m.comprehensive_price_scores({"A": D(80000), "B": D(128000)}, D(1))["B"] == D("0.63")


def test_comprehensive_refuses_a_non_positive_price_and_skips_missing():
    with pytest.raises(ValueError):
        m.comprehensive_price_scores({"A": D(0), "B": D(10)}, D(30))
    assert m.comprehensive_price_scores({"A": None, "B": D(10)}, D(30)) == {"B": D("30.00")}
    assert m.comprehensive_price_scores({}, D(30)) == {}


# ---- the benchmark method ---------------------------------------------------------------------------------

def test_benchmark_trims_the_highest_and_lowest_from_enough_prices():
    five = [D(100), D(110), D(90), D(120), D(80)]
    assert m.kept_prices(five, trim=1, trim_from=5) == [D(90), D(100), D(110)]
    assert m.benchmark_price(five, trim=1, trim_from=5) == D("100.00")
    # four prices are fewer than trim_from: none dropped, mean (100+110+90+120)/4 = 105
    assert m.benchmark_price(five[:4], trim=1, trim_from=5) == D("105.00")
    # trimming never empties the list: 2 prices, trim 1, trim_from 2 keeps both
    assert m.kept_prices([D(1), D(3)], trim=1, trim_from=2) == [D(1), D(3)]
    # the factor floats the benchmark down: 100 x 0.97
    assert m.benchmark_price(five, trim=1, trim_from=5, factor=D("0.97")) == D("97.00")
    # to the fen, half up: (100.01 + 100.02 + 100.04) / 3 = 100.02333...
    assert m.benchmark_price([D("100.01"), D("100.02"), D("100.04")]) == D("100.02")
    with pytest.raises(ValueError):
        m.benchmark_price([])


def test_benchmark_scores_points_off_per_percent_above_and_below():
    prices = {"at": D(100), "above": D(110), "below": D(90), "far": D(120), "low": D(80)}
    scores = m.benchmark_price_scores(prices, D(60), D(100), off_above=D(1), off_below=D("0.5"))
    # 10% above: 10 points off; 10% below at 0.5 per percent: 5 off; 20% above: 20 off; 20% below: 10 off
    assert scores == {"at": D("60.00"), "above": D("50.00"), "below": D("55.00"), "far": D("40.00"),
                      "low": D("50.00")}


def test_benchmark_scores_with_a_floated_benchmark_and_the_floor_at_zero():
    b = D("97.00")
    scores = m.benchmark_price_scores({"x": D(100), "y": D(90)}, D(60), b, off_above=D(1), off_below=D("0.5"))
    # 100 is 3/97 = 3.0927835...% above: 60 - 3.0928 = 56.907... -> 56.91
    # 90 is 7/97 = 7.2164948...% below: 60 - 3.6082 = 56.3917... -> 56.39
    assert scores == {"x": D("56.91"), "y": D("56.39")}
    # 50% above at one point per percent takes all 10 points and no more
    assert m.benchmark_price_scores({"z": D(150)}, D(10), D(100), D(1), D("0.5")) == {"z": D("0.00")}


# ---- lowest evaluated price ------------------------------------------------------------------------------

def test_evaluated_prices_and_ties_to_the_lower_original_price():
    prices = {"A": D(100), "B": D(105), "C": D("107.50"), "D": D(100)}
    adjustments = {"A": [D(5), D("2.5")], "D": [D("7.5")]}
    evaluated = m.evaluated_prices(prices, adjustments)
    assert evaluated == {"A": D("107.50"), "B": D("105.00"), "C": D("107.50"), "D": D("107.50")}
    ranking = m.rank(["C", "A", "B", "D"], m.by_evaluated_price(evaluated, prices))
    # B lowest evaluated; A, C and D equal at 107.50: A and D bid 100 (lower than C's 107.50) and share rank 2
    assert ranking == [(1, "B"), (2, "A"), (2, "D"), (4, "C")]


def test_a_negative_adjustment_lowers_the_evaluated_price():
    assert m.evaluated_prices({"A": D(100)}, {"A": [D("-3.333")]}) == {"A": D("96.67")}


# ---- ranking by total ---------------------------------------------------------------------------------------

def test_rank_by_total_ties_to_the_lower_price_then_shared():
    totals = {"A": D("85.50"), "B": D("85.50"), "C": D("90.00"), "E": D("85.50")}
    prices = {"A": D(100), "B": D(90), "C": D(120), "E": D(100)}
    assert m.rank(["A", "B", "C", "E"], m.by_total(totals, prices)) == [(1, "C"), (2, "B"), (3, "A"), (3, "E")]


# ---- outlier fence -----------------------------------------------------------------------------------------

def test_outlier_fence_median_and_mad_with_its_boundaries():
    others = [D(8), D(8), D(9), D(10)]
    # median 8.5; |deviations| 0.5 0.5 0.5 1.5 -> MAD 0.5; 3 x 0.5 = 1.5 < 0.2 x 10 = 2: the band is 8.5 ± 2
    fence = m.outlier_fence(others, D(10), D(3), D("0.2"))
    assert fence == (D("6.5"), D("10.5"))
    assert not m.is_outlier(D("6.5"), fence) and m.is_outlier(D("6.49"), fence)
    # a wider spread: 2 4 6 8 -> median 5, MAD 2, 3 x 2 = 6 beats 0.2 x 10
    assert m.outlier_fence([D(2), D(4), D(6), D(8)], D(10), D(3), D("0.2")) == (D(-1), D(11))
    # others in perfect agreement: the minimum width keeps small differences legitimate
    agreed = m.outlier_fence([D(7)] * 3, D(10), D(3), D("0.2"))
    assert agreed == (D(5), D(9)) and m.is_outlier(D("9.01"), agreed) and not m.is_outlier(D(9), agreed)
    assert m.outlier_fence([], D(10), D(3), D("0.2")) is None and not m.is_outlier(D(0), None)
    # fewer other scores than asked for: nothing to compare with yet
    assert m.outlier_fence([D(7)], D(10), D(3), D("0.2"), min_others=2) is None
    assert m.outlier_fence([D(7), D(7)], D(10), D(3), D("0.2"), min_others=2) == (D(5), D(9))


def test_mean_points_rounds_half_up():
    assert m.mean_points([D("70"), D("71"), D("72.5")]) == D("71.17")  # 213.5 / 3 = 71.1666...
    assert m.mean_points([D("0.125"), D("0.125")]) == D("0.13")
