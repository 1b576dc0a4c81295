"""Scoring methods as data: which evaluation methods a rule set allows, with their sources, the price-weight
bounds by subject (goods, services, works) and the default parameters a trade's scoring plan starts from.

The formulas live in bidding/scoring/methods.py; the plan a trade follows (bidding.scoring.models.ScoringPlan)
picks one of these methods and may set the parameters marked as adjustable, inside the bounds given here."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from trading.rules.model import Source

LOWEST_EVALUATED_PRICE = "lowest_evaluated_price"  # 经评审的最低投标价法
COMPREHENSIVE = "comprehensive"  # 综合评分法
BENCHMARK = "benchmark"  # 基准价法 (works, local practice)
HIGHEST_PRICE = "highest_price"  # 价高者得: a land tender's sealed price offers, the highest first (O39 Art. 13)
COMPREHENSIVE_HIGHEST = "comprehensive_highest"  # 综合评价 of a land tender: the highest price scores full weight
#: the methods where the committee scores no criteria (the price alone, or adjusted prices, ranks)
PRICE_ONLY = (LOWEST_EVALUATED_PRICE, HIGHEST_PRICE)

#: what a tender buys: the price-weight bounds depend on it (O87 Art. 55)
SUBJECTS = ("works", "goods", "services")
#: a land tender sells land use rights: its methods take this subject alone
LAND = "land"
ALL_SUBJECTS = (*SUBJECTS, LAND)
SUBJECT_LABELS = {"works": _l("works"), "goods": _l("goods"), "services": _l("services"),
                  "land": _l("land use rights")}

REG_53 = Source("招标投标法实施条例 第53条；招标投标法 第41条", "Tendering Regulation Art. 53; Tendering Law Art. 41")
O87_54 = Source("财政部令第87号 第54条", "MOF Order 87 Art. 54", "✓",
                _l("equal evaluated prices rank by the lower bid price; equal in both: ranked equal"))
O87_55 = Source("财政部令第87号 第55条", "MOF Order 87 Art. 55", "✓",
                _l("price score = lowest valid price / bid price x price weight; equal totals rank by the lower "
                   "bid price; equal in both: ranked equal"))
C214_24 = Source("财库〔2014〕214号 第24条", "MOF Circular 214 (2014) Art. 24")
WORKS_COMPREHENSIVE = Source("招标投标法 第41条；评标委员会和评标方法暂行规定 第34-35条",
                             "Tendering Law Art. 41; Interim Provisions on Evaluation Committees and Methods "
                             "Arts. 34-35", "~", _l("no national minimum price weight for works: the tender "
                                                    "documents set it"))
BENCHMARK_PRACTICE = Source("地方规范：工程施工评标基准价法", "Local practice: the works benchmark-price method", "?",
                            _l("trimming, the benchmark factor and the points off per percent differ between "
                               "localities: all are parameters of the tender's scoring plan"))
O39_13 = Source("国土资源部令第39号 第13条", "MLR Order 39 Art. 13", "~",
                _l("a land tender goes to the highest evaluated price offer, or to the offer best meeting the "
                   "comprehensive evaluation standards of the tender documents; equal prices rank equal"))
O39_13_COMPREHENSIVE = Source("国土资源部令第39号 第13条", "MLR Order 39 Art. 13", "~",
                              _l("price score = bid price / highest valid price x price weight; equal totals rank by "
                                 "the higher bid price; equal in both: ranked equal"))
OUTLIER_PRACTICE = Source("评标委员会和评标方法暂行规定 第42条；地方规范：畸高畸低评分须说明理由",
                          "Interim Provisions Art. 42; local practice: a score far from the others needs a reason",
                          "?", _l("the fence (median ± k·MAD, at least a share of the criterion's maximum) is "
                                  "configurable"))

#: the outlier fence every method starts from: a score further than max(k x MAD, min_share x max points)
#: from the median of the other members' scores on the same bid and criterion needs a written reason, once at
#: least outlier_min_others other scores are there to compare with (one other's view is not "the others")
OUTLIER_DEFAULTS = {"outlier_k": Decimal("3"), "outlier_min_share": Decimal("0.2"), "outlier_min_others": Decimal(2)}


@dataclass(frozen=True)
class ScoringMethod:
    """One evaluation method a rule set allows.

    `price_weight`: subject -> (min, max) percent of the 100 points the price score may weigh (None: no bound);
    only for the methods that score. `params`: default parameters a plan starts from (Decimal values)."""

    key: str
    name: Any  # lazy string
    source: Source
    price_weight: dict[str, tuple[Decimal | None, Decimal | None]] = field(default_factory=dict)
    params: dict[str, Decimal] = field(default_factory=dict)
    weight_source: Source | None = None
    #: the subjects a plan of this method may name (empty: SUBJECTS)
    subjects: tuple[str, ...] = ()
    #: whether the committee may cost deviations into the evaluated price (lowest evaluated price); an
    #: inquiry's price is given once and not changed (GPL 40): its method says False
    adjustable: bool = True

    @property
    def scores(self) -> bool:
        """Whether experts score criteria (the lowest-evaluated-price method adjusts prices instead)."""
        return self.key not in PRICE_ONLY

    def subject_keys(self) -> tuple[str, ...]:
        return self.subjects or SUBJECTS

    def weight_bounds(self, subject: str) -> tuple[Decimal | None, Decimal | None]:
        return self.price_weight.get(subject, (None, None))


METHOD_NAMES = {
    LOWEST_EVALUATED_PRICE: _l("Lowest evaluated price"),
    COMPREHENSIVE: _l("Comprehensive scoring"),
    BENCHMARK: _l("Benchmark price"),
    HIGHEST_PRICE: _l("Highest price"),
    COMPREHENSIVE_HIGHEST: _l("Comprehensive evaluation (highest price scores full weight)"),
}

#: the benchmark method's defaults (local practice; every one adjustable in the plan):
#: trim: drop this many highest and as many lowest valid prices when at least trim_from remain;
#: factor: benchmark = mean of the kept prices x factor (a downward float, 下浮系数, e.g. 0.97);
#: off_above / off_below: points off per percent above / below the benchmark, linear, never below zero
BENCHMARK_DEFAULTS = {"trim": Decimal(1), "trim_from": Decimal(5), "factor": Decimal(1),
                      "off_above": Decimal(1), "off_below": Decimal("0.5")}

WORKS_SCORING = (
    ScoringMethod(LOWEST_EVALUATED_PRICE, METHOD_NAMES[LOWEST_EVALUATED_PRICE], REG_53, params=dict(OUTLIER_DEFAULTS)),
    ScoringMethod(COMPREHENSIVE, METHOD_NAMES[COMPREHENSIVE], WORKS_COMPREHENSIVE,
                  price_weight={s: (Decimal(1), Decimal(100)) for s in SUBJECTS},
                  params=dict(OUTLIER_DEFAULTS), weight_source=WORKS_COMPREHENSIVE),
    ScoringMethod(BENCHMARK, METHOD_NAMES[BENCHMARK], BENCHMARK_PRACTICE,
                  price_weight={s: (Decimal(1), Decimal(100)) for s in SUBJECTS},
                  params={**OUTLIER_DEFAULTS, **BENCHMARK_DEFAULTS}, weight_source=BENCHMARK_PRACTICE),
)

#: government procurement, open and invitation tender: goods >= 30%, services >= 10% (O87 Art. 55)
PROCUREMENT_SCORING = (
    ScoringMethod(LOWEST_EVALUATED_PRICE, METHOD_NAMES[LOWEST_EVALUATED_PRICE], O87_54,
                  params=dict(OUTLIER_DEFAULTS)),
    ScoringMethod(COMPREHENSIVE, METHOD_NAMES[COMPREHENSIVE], O87_55,
                  price_weight={"goods": (Decimal(30), Decimal(100)), "services": (Decimal(10), Decimal(100)),
                                "works": (Decimal(1), Decimal(100))},
                  params=dict(OUTLIER_DEFAULTS), weight_source=O87_55),
)

#: competitive consultation: goods 30-60%, services 10-30% (C214 Art. 24)
CONSULTATION_SCORING = (
    ScoringMethod(COMPREHENSIVE, METHOD_NAMES[COMPREHENSIVE], C214_24,
                  price_weight={"goods": (Decimal(30), Decimal(60)), "services": (Decimal(10), Decimal(30)),
                                "works": (Decimal(1), Decimal(100))},
                  params=dict(OUTLIER_DEFAULTS), weight_source=C214_24),
)

#: land use rights by tender (O39 Art. 13): the price alone, highest first, or a comprehensive evaluation in which
#: the highest price scores the full price weight (the documents set the weight)
LAND_SCORING = (
    ScoringMethod(HIGHEST_PRICE, METHOD_NAMES[HIGHEST_PRICE], O39_13, params=dict(OUTLIER_DEFAULTS),
                  subjects=(LAND,)),
    ScoringMethod(COMPREHENSIVE_HIGHEST, METHOD_NAMES[COMPREHENSIVE_HIGHEST], O39_13_COMPREHENSIVE,
                  price_weight={LAND: (Decimal(1), Decimal(100))}, params=dict(OUTLIER_DEFAULTS),
                  weight_source=O39_13_COMPREHENSIVE, subjects=(LAND,)),
)
