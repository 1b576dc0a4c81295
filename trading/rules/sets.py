"""Rule sets of works tendering, land-use rights and state property rights (RULES.md)."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

from flask_babel import lazy_gettext as _l

from trading.rules.model import Limit, MaxShare, MinPeriod, Order, Provided, RuleSet, SameMoment, Source, Unit
from trading.rules.scoring import LAND_SCORING, WORKS_SCORING
from trading.rules.norms import (DepositRefund, EachWithin, FlowOrder, Level, MinInterval, RequiredRecord, Span,
                                 TimeLimit)
from trading.trades.flows import TradeState as S

D, WD = Unit.DAYS, Unit.WORKING_DAYS

LAW_24 = Source("招标投标法 第24条", "Tendering Law Art. 24")
LAW_23 = Source("招标投标法 第23条；实施条例 第21条", "Tendering Law Art. 23; Regulation Art. 21")
LAW_28 = Source("招标投标法 第28条；实施条例 第44条", "Tendering Law Art. 28; Regulation Art. 44")
LAW_34 = Source("招标投标法 第34条", "Tendering Law Art. 34")
REG_16 = Source("招标投标法实施条例 第16条", "Tendering Regulation Art. 16")
REG_22 = Source("招标投标法实施条例 第22条", "Tendering Regulation Art. 22")
REG_26 = Source("招标投标法实施条例 第26条", "Tendering Regulation Art. 26")
LAW_17 = Source("招标投标法 第17条", "Tendering Law Art. 17")
O39_8 = Source("国土资源部令第39号 第8条", "MLR Order 39 Art. 8", "~")
O39_18 = Source("国土资源部令第39号 第18条", "MLR Order 39 Art. 18", "?",
                _l("some localities require 10 working days: configurable"))
O32_13 = Source("国资委 财政部令第32号 第13条", "SASAC/MOF Order 32 Art. 13", "~")
RETENTION = Source("比照政府采购法 第42条（工程招标无全国统一期限）", "by analogy with Government Procurement Law "
                   "Art. 42 (no national period for works tenders)", "?",
                   "RULES.md gives 15 years for procurement files only; configurable per rule set")
ORDER = Source("时间先后", "chronological order")
DOCS_BEFORE_DEADLINE = Order("docs_before_deadline", "docs_until", "bid_deadline", ORDER)

# ---- sources of the supervision norms (RULES.md) ---------------------------------------------------
OPENING_ON_TIME = Source("招标投标法 第34条；实施条例 第36条", "Tendering Law Art. 34; Regulation Art. 36", "✓",
                         _l("the grace before a card (15 min yellow, 30 min red) is local practice: configurable"))
O20_DOCUMENTS = Source("电子招标投标办法 第20-21条", "Electronic Bidding Measures Arts. 20-21", "✓",
                       _l("documents downloadable from the notice on"))
O20_OPENING_RECORD = Source("电子招标投标办法 第29-32条", "Electronic Bidding Measures Arts. 29-32", "✓",
                            _l("signed within 24 hours is local supervision practice: configurable"))
REG_54_CANDIDATES = Source("招标投标法实施条例 第54条", "Tendering Regulation Art. 54", "✓",
                           _l("counted from the evaluation report when the platform records one, "
                              "else from the start of evaluation"))
REG_54_PUBLICITY = Source("招标投标法实施条例 第54条", "Tendering Regulation Art. 54")
LAW_46 = Source("招标投标法 第46条；实施条例 第58条", "Tendering Law Art. 46; Regulation Art. 58")
REG_35_57 = Source("招标投标法实施条例 第35、57条", "Tendering Regulation Arts. 35, 57")
O39_21 = Source("国土资源部令第39号 第21条", "MLR Order 39 Art. 21", "~")
O39_22 = Source("国土资源部令第39号 第22条", "MLR Order 39 Art. 22", "~")
FLOW_ORDER = Source("招标投标法 第28、34条；电子招标投标办法 第49条", "Tendering Law Arts. 28, 34; "
                    "Electronic Bidding Measures Art. 49", "?",
                    _l("steps in the order of the flow, none before its time; records may not be forged or altered"))
IMPLAUSIBLY_FAST = Source("电子监察：用时异常短（地方规范）", "E-supervision: implausibly fast step (local practice)", "?",
                          _l("a sign of records written after the fact; the plausible minimum is configurable"))

# ---- candidates, objections, complaints, award and contract (bidding/award; RULES.md) -----------------
REG_54_OBJECTION = Source("招标投标法实施条例 第54条", "Tendering Regulation Art. 54", "✓",
                          _l("objections during the publicity, answered within 3 days; the tender waits meanwhile"))
REG_55 = Source("招标投标法实施条例 第55条", "Tendering Regulation Art. 55", "✓",
                _l("state-funded projects that must be tendered; the works rule sets assume state funding: "
                   "configurable"))
REG_58 = Source("招标投标法实施条例 第58条", "Tendering Regulation Art. 58")
LAW_47 = Source("招标投标法 第47条", "Tendering Law Art. 47")
REG_60 = Source("招标投标法实施条例 第60条", "Tendering Regulation Art. 60", "✓",
                _l("complaints about the candidates need an objection to the tenderer first"))
REG_61 = Source("招标投标法实施条例 第61条", "Tendering Regulation Art. 61", "✓",
                _l("time for inspection, testing or expert review is not counted: the ruling's deadline is "
                   "extended by hand where that applies"))


def award_limits(source_55: Source | None = REG_55) -> dict[str, Limit]:
    """The numbers of the candidates' publicity, objections, complaints, award and contract (works)."""
    out = {
        "candidates_max": Limit("candidates_max", 3, "candidates", REG_54_CANDIDATES,
                                _l("at most this many ranked candidates are published")),
        "publicity_period": Limit("publicity_period", 3, D, REG_54_PUBLICITY,
                                  _l("the candidates are public at least this long")),
        "objection_answer": Limit("objection_answer", 3, D, REG_54_OBJECTION,
                                  _l("the tenderer answers an objection within this period")),
        "complaint_window": Limit("complaint_window", 10, D, REG_60,
                                  _l("a complaint within this period of knowing what it is about")),
        "complaint_acceptance": Limit("complaint_acceptance", 3, WD, REG_61,
                                      _l("the supervisors accept or refuse a complaint within this period")),
        "complaint_ruling": Limit("complaint_ruling", 30, WD, REG_61,
                                  _l("the supervisors rule on an accepted complaint within this period")),
        "award_report": Limit("award_report", 15, D, LAW_47,
                              _l("the tenderer reports the award in writing to the supervising department within "
                                 "this period")),
        "contract_within": Limit("contract_within", 30, D, LAW_46,
                                 _l("the contract is signed within this period of the award notice")),
        "performance_bond_max": Limit("performance_bond_max", Decimal(10), "percent", REG_58,
                                      _l("the performance bond is at most this share of the contract amount")),
    }
    if source_55 is not None:
        out["rank_one_wins"] = Limit("rank_one_wins", 1, "flag", source_55,
                                     _l("the first-ranked candidate wins unless it gives up, cannot perform, does not "
                                        "pay the performance bond or is found in violation"))
    return out


def award_norms(prefix: str) -> tuple:
    """Each objection answered, each complaint accepted or refused and each accepted one ruled in time,
    the award reported (e-supervision cards)."""
    return (
        EachWithin(f"{prefix}.objection_answered", "objections", "fact:objection", "fact:objection_answer",
                   Span(3, D), REG_54_OBJECTION),
        EachWithin(f"{prefix}.complaint_accepted", "complaint_decisions", "fact:complaint",
                   "fact:complaint_decision", Span(3, WD), REG_61),
        EachWithin(f"{prefix}.complaint_ruled", "complaint_rulings", "fact:complaint_accepted",
                   "fact:complaint_ruling", Span(30, WD), REG_61, warn=timedelta(days=3)),
        TimeLimit(f"{prefix}.award_report", "move:award", "fact:award_report", Span(15, D), LAW_47,
                  warn=timedelta(days=3), watch=(S.AWARDED, S.CONTRACTED, S.ARCHIVED)),
    )


#: norms every tender-flow rule set shares (opening on time, documents, the opening record, order)
OPENING_LIVE = (S.BIDDING, S.CLOSED)


def opening_norms(prefix: str, record_source: Source = O20_OPENING_RECORD) -> tuple:
    return (
        TimeLimit(f"{prefix}.opening_on_time", "opening_at", "move:start_opening",
                  Span(exact=timedelta(minutes=30), practice=True),
                  OPENING_ON_TIME, warn=timedelta(minutes=15), watch=OPENING_LIVE),
        RequiredRecord(f"{prefix}.tender_documents", "move:publish", "fact:tender_documents",
                       Span(exact=timedelta(0)), O20_DOCUMENTS),
        RequiredRecord(f"{prefix}.opening_record_signed", "move:finish_opening", "fact:opening_record_signed",
                       Span(exact=timedelta(hours=24), practice=True), record_source),
        MinInterval(f"{prefix}.evaluation_plausible", "move:start_evaluation", "move:publicize",
                    Span(exact=timedelta(hours=1)), IMPLAUSIBLY_FAST),
        FlowOrder(f"{prefix}.flow_order", FLOW_ORDER),
    )


WORKS_NORMS = opening_norms("works") + (
    TimeLimit("works.candidates_published", "fact:evaluation_report|move:start_evaluation", "move:publicize",
              Span(3, D), REG_54_CANDIDATES, watch=(S.EVALUATING,)),
    MinInterval("works.publicity_period", "move:publicize", "move:award", Span(3, D), REG_54_PUBLICITY, Level.RED),
    TimeLimit("works.contract_in_time", "move:award", "move:contract", Span(30, D), LAW_46,
              warn=timedelta(days=3), watch=(S.AWARDED,)),
    DepositRefund("works.deposit_refund", ("withdrawal", "move:contract"), Span(5, D), REG_35_57),
) + award_norms("works")
LAND_TENDER_NORMS = opening_norms("land") + (
    DepositRefund("land.deposit_refund", ("withdrawal", "move:award"), Span(5, WD), O39_21),
    TimeLimit("land.result_published", "move:award", "fact:result_notice", Span(10, WD), O39_22),
)
O39_10 = Source("国土资源部令第39号 第10条；汕头市网上土地交易规则 第20条", "MLR Order 39 Art. 10; Shantou online land "
                "trading rules Art. 20", "~", "the reserve is sealed before quoting closes: local practice")
#: the reserve's opening record signed by a supervisor within the day the opening record of a tender has
O39_10_RECORD = Source("国土资源部令第39号 第10条；参照电子招标投标办法 第29-32条", "MLR Order 39 Art. 10; by analogy "
                       "Electronic Bidding Measures Arts. 29-32", "~",
                       _l("the reserve is opened under the supervisors; their signatures within 24 hours, as on a "
                          "tender's opening record, are local supervision practice: configurable"))

LISTING_NORMS = (
    DepositRefund("land.deposit_refund", ("move:conclude", "move:no_deal"), Span(5, WD), O39_21),
    TimeLimit("land.result_published", "move:conclude", "fact:result_notice", Span(10, WD), O39_22),
    FlowOrder("land.flow_order", FLOW_ORDER),
    # a sale whose reserve was never sealed cannot end with a deal (bidding.auctions.reserve): red at the close
    RequiredRecord("land.reserve_sealed", "bid_deadline", "fact:reserve_sealed", Span(exact=timedelta(0)), O39_10,
                   level=Level.RED, watch=(S.LISTING, S.TIMED_BIDDING)),
    # the supervisors sign the reserve's opening record with their own keys, in the day the opening record of a
    # tender has (bidding.auctions.reserve.signatures); the deal does not wait for it: a yellow card
    RequiredRecord("land.reserve_record_signed", "fact:reserve_opened", "fact:reserve_record_signed",
                   Span(exact=timedelta(hours=24), practice=True), O39_10_RECORD),
)

TENDER_MILESTONES = ("issue_at", "docs_until", "bid_deadline", "opening_at")

# ---- the evaluation committee (RULES.md; read by bidding/experts/composition.py) ---------------------
LAW_37 = Source("招标投标法 第37条；实施条例 第46条", "Tendering Law Art. 37; Regulation Art. 46")
EXPERT_REPEAT = Source("地方规范：同一招标人项目专家抽取间隔", "Local practice: interval between draws of one expert "
                       "for the same tenderer", "?", "the window differs between provinces: configurable")


def committee_limits(min_size: int, source: Source, large: tuple[int, Decimal, Source] | None = None,
                     repeat_days: int = 90) -> dict[str, Limit]:
    """The committee's numbers: at least `min_size` members, an odd number, experts at least two thirds
    (the tenderer's representatives count as members, not as experts); `large`: (size, budget, source),
    the larger committee a budget at or above `budget` (or a complex project) asks for."""
    out = {
        "committee_min_size": Limit("committee_min_size", min_size, "members", source,
                                    _l("evaluation committee: at least this many members")),
        "committee_odd": Limit("committee_odd", 1, "parity", source, _l("the number of members is odd")),
        "committee_expert_share": Limit("committee_expert_share", Fraction(2, 3), "share", source,
                                        _l("experts make up at least this share of the members")),
        "expert_repeat_window": Limit("expert_repeat_window", repeat_days, Unit.DAYS, EXPERT_REPEAT,
                                      _l("an expert drawn for a tenderer is not drawn for it again within this "
                                         "many days")),
    }
    if large is not None:
        size, budget, large_source = large
        out["committee_large_min_size"] = Limit("committee_large_min_size", size, "members", large_source,
                                                _l("the larger committee: at least this many members"))
        out["committee_large_budget"] = Limit("committee_large_budget", budget, "yuan", large_source,
                                              _l("budgets from this amount (or complex projects) need the larger "
                                                 "committee"))
    return out



def _tender_limits(clarification_days: int, clarification_unit: Unit, clar_source: Source) -> dict[str, Limit]:
    return {
        "clarification_lead": Limit("clarification_lead", clarification_days, clarification_unit, clar_source,
                                    _l("clarifications at least this long before the deadline, else it moves")),
        "min_bids": Limit("min_bids", 3, "bids", LAW_28, _l("fewer bids: no opening, re-tender")),
        "bid_retention": Limit("bid_retention", 15, "years", RETENTION,
                               _l("opened bid documents are kept at least this long")),
    }


WORKS_OPEN_TENDER = RuleSet(
    key="works_open_tender",
    name=_l("Works: open tender"),
    flow="tender",
    kind="works",
    milestones=TENDER_MILESTONES,
    rules=(
        MinPeriod("works.docs_sale", "issue_at", "docs_until", 5, D, REG_16),
        MinPeriod("works.docs_to_deadline", "issue_at", "bid_deadline", 20, D, LAW_24),
        DOCS_BEFORE_DEADLINE,
        SameMoment("works.opening_at_deadline", "bid_deadline", "opening_at", LAW_34),
        MaxShare("works.bid_security", "bid_security", "estimated_price", Decimal(2), REG_26),
    ),
    limits={
        **_tender_limits(15, D, LAW_23),
        **committee_limits(5, LAW_37),
        **award_limits(),
        "objection_lead": Limit("objection_lead", 10, D, REG_22,
                                _l("objections to tender documents at least this long before the deadline")),
    },
    norms=WORKS_NORMS,
    scoring=WORKS_SCORING,
)

WORKS_INVITED_TENDER = RuleSet(
    key="works_invited_tender",
    name=_l("Works: invitation tender"),
    flow="tender",
    kind="works",
    milestones=TENDER_MILESTONES,
    rules=WORKS_OPEN_TENDER.rules,
    limits={
        **WORKS_OPEN_TENDER.limits,
        "min_invitees": Limit("min_invitees", 3, "invitees", LAW_17, _l("invite at least this many bidders")),
    },
    norms=WORKS_NORMS,
    scoring=WORKS_SCORING,
)

LAND_TENDER = RuleSet(
    key="land_tender",
    name=_l("Land use rights: tender"),
    flow="tender",
    kind="land",
    milestones=("issue_at", "bid_deadline", "opening_at"),
    rules=(
        MinPeriod("land.announcement", "issue_at", "bid_deadline", 20, D, O39_8),
        SameMoment("land.opening_at_deadline", "bid_deadline", "opening_at", LAW_34),
    ),
    limits=_tender_limits(15, D, O39_8),
    norms=LAND_TENDER_NORMS,
    scoring=LAND_SCORING,  # the highest price first, not the lowest (O39 Art. 13)
)

LAND_AUCTION = RuleSet(
    key="land_auction",
    name=_l("Land use rights: auction"),
    flow="listing",
    kind="land",
    milestones=("issue_at", "bid_deadline"),
    rules=(MinPeriod("land.announcement", "issue_at", "bid_deadline", 20, D, O39_8),),
    limits={"clarification_lead": Limit("clarification_lead", 15, D, O39_8, _l("changes to the notice"))},
    norms=LISTING_NORMS,
    sealed_reserve=True,  # O39 Art 10: the reserve is secret until the end
)

LAND_LISTING = RuleSet(
    key="land_listing",
    name=_l("Land use rights: listing"),
    flow="listing",
    kind="land",
    milestones=("issue_at", "listing_from", "bid_deadline"),
    rules=(
        MinPeriod("land.announcement", "issue_at", "listing_from", 20, D, O39_8),
        MinPeriod("land.listing_period", "listing_from", "bid_deadline", 10, D, O39_18),
    ),
    limits={"clarification_lead": Limit("clarification_lead", 15, D, O39_8, _l("changes to the notice"))},
    norms=LISTING_NORMS,
    sealed_reserve=True,  # O39 Art 10: the reserve is secret until the end
)

# ---- state property rights (RULES.md "State property rights"; checked by bidding/auctions/property) ----
O32_17 = Source("国资委 财政部令第32号 第17条", "SASAC/MOF Order 32 Art. 17", "~")
O32_18 = Source("国资委 财政部令第32号 第18条", "SASAC/MOF Order 32 Art. 18", "~",
                _l("a lowered reserve is disclosed again; below 90 per cent of the appraisal only with the written "
                   "consent of the body that approved the transfer"))
O32_29 = Source("国资委 财政部令第32号 第29条", "SASAC/MOF Order 32 Art. 29", "?",
                _l("the result is public at least 5 working days before the trade is closed: configurable"))
SOE_LAW_54 = Source("企业国有资产法 第54-55条", "Enterprise State-owned Assets Law Arts. 54-55")

PROPERTY_LISTING = RuleSet(
    key="property_listing",
    name=_l("State property rights: public transfer"),
    flow="listing",
    kind="property",
    milestones=("issue_at", "bid_deadline"),
    rules=(
        MinPeriod("property.disclosure", "issue_at", "bid_deadline", 20, WD, O32_13),
        Provided("property.pre_disclosure", "issue_at", O32_13,
                 _l("a transfer that changes control is pre-disclosed at least 20 working days before the formal "
                    "disclosure")),
        Provided("property.reserve_floor", "estimated_price", O32_17,
                 _l("the first transfer reserve (the starting price) is not below the appraised value")),
        Provided("property.redisclosure", "bid_deadline", O32_18,
                 _l("a lowered reserve is disclosed again for at least 20 working days from the change")),
    ),
    limits={
        "clarification_lead": Limit("clarification_lead", 20, WD, O32_13,
                                    _l("disclosed terms may not change; a change restarts disclosure")),
        "pre_disclosure": Limit("pre_disclosure", 20, WD, O32_13,
                                _l("a transfer that changes control is pre-disclosed at least this long before the "
                                   "formal disclosure")),
        "redisclosure": Limit("redisclosure", 20, WD, O32_18,
                              _l("after the reserve is lowered the disclosure runs again at least this long")),
        "consent_below": Limit("consent_below", Decimal(90), "percent", O32_18,
                               _l("a reserve below this share of the appraised value needs the approving body's "
                                  "written consent")),
        "competitive_bidding": Limit("competitive_bidding", 2, "transferees", SOE_LAW_54,
                                     _l("this many qualified transferees or more bid against each other; one alone "
                                        "may take the transfer by agreement at not less than the reserve")),
        "result_publicity": Limit("result_publicity", 5, WD, O32_29,
                                  _l("the result is public at least this long")),
    },
    norms=(
        FlowOrder("property.flow_order", FLOW_ORDER),
        MinInterval("property.result_publicity", "fact:result_notice", "move:archive", Span(5, WD), O32_29,
                    Level.RED),
    ),
)

RULE_SETS = (WORKS_OPEN_TENDER, WORKS_INVITED_TENDER, LAND_TENDER, LAND_AUCTION, LAND_LISTING, PROPERTY_LISTING)
