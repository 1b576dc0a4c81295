"""Rule sets of the six government procurement methods (GPL 26; O87, O74, C214)."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from trading.rules.model import Limit, MaxShare, MinPeriod, RuleSet, SameMoment, Source, Unit
from trading.rules.scoring import (CONSULTATION_SCORING, LOWEST_EVALUATED_PRICE, METHOD_NAMES, OUTLIER_DEFAULTS,
                                   PROCUREMENT_SCORING, ScoringMethod)
from trading.rules.norms import DepositRefund, Span, TimeLimit
from trading.rules.sets import DOCS_BEFORE_DEADLINE, TENDER_MILESTONES, committee_limits, opening_norms
from trading.trades.flows import TradeState as S

D, WD = Unit.DAYS, Unit.WORKING_DAYS

GPL_35 = Source("政府采购法 第35条；财政部令第87号 第16条", "Government Procurement Law Art. 35; MOF Order 87 Art. 16")
O87_18 = Source("财政部令第87号 第18条", "MOF Order 87 Art. 18")
O87_27 = Source("财政部令第87号 第27条", "MOF Order 87 Art. 27")
GPL_42 = Source("政府采购法 第42条", "Government Procurement Law Art. 42")
O87_41 = Source("财政部令第87号 第41-44条", "MOF Order 87 Arts. 41-44")
GPR_33 = Source("政府采购法实施条例 第33条", "Government Procurement Regulation Art. 33")
C214_10 = Source("财库〔2014〕214号 第10条", "MOF Circular 214 (2014) Art. 10")
C214_CLAR = Source("财库〔2014〕214号 第10条", "MOF Circular 214 (2014) Art. 10")
O74_7 = Source("财政部令第74号 第7、29、45条", "MOF Order 74 Arts. 7, 29, 45")
O74_CLAR = Source("财政部令第74号 第10条", "MOF Order 74 Art. 10", "?",
                  "lead time for clarifications in negotiation and inquiry: configurable")
GPR_38 = Source("政府采购法实施条例 第38条", "Government Procurement Regulation Art. 38")
OPENING = Source("财政部令第87号 第39条", "MOF Order 87 Art. 39")
O87_47 = Source("财政部令第87号 第47条", "MOF Order 87 Art. 47")
O87_48 = Source("财政部令第87号 第47-48条", "MOF Order 87 Arts. 47-48", "✓",
                "seven or more where the budget is 10 million yuan or more, or the project is technically complex")
C214_PANEL = Source("财库〔2014〕214号 第14条", "MOF Circular 214 (2014) Art. 14")
GPL_38_5 = Source("政府采购法 第38条第5项；财政部令第74号 第31-32条",
                  "Government Procurement Law Art. 38 (5); MOF Order 74 Arts. 31-32", "✓",
                  _l("the final quotes decide: the lowest price among the suppliers meeting the requirements"))
O74_PANEL = Source("财政部令第74号 第7条；政府采购法 第38、40条", "MOF Order 74 Art. 7; Government Procurement Law "
                   "Arts. 38, 40")

# ---- sources of the supervision norms (RULES.md) ---------------------------------------------------
O87_RECORD = Source("财政部令第87号 第39-40条", "MOF Order 87 Arts. 39-40", "✓",
                    "opening fully recorded; signed within 24 hours is local supervision practice: configurable")
O87_68 = Source("财政部令第87号 第68条", "MOF Order 87 Art. 68", "✓",
                "report sent in 2 working days, purchaser decides in 5: 7 working days from the end of evaluation")
GPR_43 = Source("政府采购法实施条例 第43条；财政部令第87号 第69条", "Government Procurement Regulation Art. 43; "
                "MOF Order 87 Art. 69")
GPL_46 = Source("政府采购法 第46条", "Government Procurement Law Art. 46")
O87_38 = Source("政府采购法实施条例 第33条；财政部令第87号 第38条", "Government Procurement Regulation Art. 33; "
                "MOF Order 87 Art. 38", "✓",
                "losers' deposits fall due from the award notice; the platform does not yet record the winner, "
                "so all are counted from the contract (or the withdrawal)")

#: what e-supervision watches in every procurement method (all follow the tender flow)
GP_NORMS = opening_norms("gp", O87_RECORD) + (
    TimeLimit("gp.award_decision", "fact:evaluation_report|move:publicize", "move:award", Span(7, WD), O87_68,
              watch=(S.PUBLICITY,)),
    TimeLimit("gp.result_published", "move:award", "fact:result_notice", Span(2, WD), GPR_43),
    TimeLimit("gp.contract_in_time", "move:award", "move:contract", Span(30, D), GPL_46,
              warn=timedelta(days=3), watch=(S.AWARDED,)),
    DepositRefund("gp.deposit_refund", ("withdrawal", "move:contract"), Span(5, WD), O87_38),
)


def _limits(lead: int, unit: Unit, source: Source, min_suppliers: int = 3) -> dict[str, Limit]:
    return {
        "clarification_lead": Limit("clarification_lead", lead, unit, source,
                                    _l("clarifications at least this long before the deadline, else it moves")),
        "min_bids": Limit("min_bids", min_suppliers, "bids", O87_41, _l("fewer bids: no opening")),
        "bid_retention": Limit("bid_retention", 15, "years", GPL_42,
                               _l("opened bid documents are kept at least this long")),
    }


#: the evaluation committee of a procurement tender: >= 5, odd, experts >= 2/3; >= 7 from 10 million or complex
GP_COMMITTEE = committee_limits(5, O87_47, large=(7, Decimal("10000000"), O87_48))

_TENDER_RULES = (
    MinPeriod("gp.docs_available", "issue_at", "docs_until", 5, WD, O87_18),
    MinPeriod("gp.docs_to_deadline", "issue_at", "bid_deadline", 20, D, GPL_35),
    DOCS_BEFORE_DEADLINE,
    SameMoment("gp.opening_at_deadline", "bid_deadline", "opening_at", OPENING),
    MaxShare("gp.bid_security", "bid_security", "estimated_price", Decimal(2), GPR_33),
)

GP_OPEN_TENDER = RuleSet("gp_open_tender", _l("Procurement: open tender"), "tender", TENDER_MILESTONES,
                         _TENDER_RULES, {**_limits(15, D, O87_27), **GP_COMMITTEE}, kind="procurement",
                         norms=GP_NORMS, scoring=PROCUREMENT_SCORING)
GP_INVITED_TENDER = RuleSet("gp_invited_tender", _l("Procurement: invitation tender"), "tender", TENDER_MILESTONES,
                            _TENDER_RULES, {**_limits(15, D, O87_27), **GP_COMMITTEE}, kind="procurement",
                            norms=GP_NORMS, scoring=PROCUREMENT_SCORING)
GP_CONSULTATION = RuleSet(
    "gp_competitive_consultation", _l("Procurement: competitive consultation"), "tender", TENDER_MILESTONES,
    (
        MinPeriod("gp.consultation_period", "issue_at", "bid_deadline", 10, D, C214_10),
        DOCS_BEFORE_DEADLINE,
        SameMoment("gp.opening_at_deadline", "bid_deadline", "opening_at", OPENING),
    ),
    {**_limits(5, D, C214_CLAR), **committee_limits(3, C214_PANEL)}, kind="procurement", norms=GP_NORMS,
    scoring=CONSULTATION_SCORING,
)
#: competitive negotiation: the lowest final quote of those meeting the requirements (procurement/negotiation)
NEGOTIATION_SCORING = (
    ScoringMethod(LOWEST_EVALUATED_PRICE, METHOD_NAMES[LOWEST_EVALUATED_PRICE], GPL_38_5,
                  params=dict(OUTLIER_DEFAULTS)),
)
GP_NEGOTIATION = RuleSet(
    "gp_competitive_negotiation", _l("Procurement: competitive negotiation"), "tender", TENDER_MILESTONES,
    (
        MinPeriod("gp.negotiation_period", "issue_at", "bid_deadline", 3, WD, O74_7),
        DOCS_BEFORE_DEADLINE,
        SameMoment("gp.opening_at_deadline", "bid_deadline", "opening_at", OPENING),
    ),
    {**_limits(3, WD, O74_CLAR), **committee_limits(3, O74_PANEL)}, kind="procurement", norms=GP_NORMS,
    scoring=NEGOTIATION_SCORING,
)
GP_INQUIRY = RuleSet(
    "gp_inquiry", _l("Procurement: inquiry"), "tender", TENDER_MILESTONES,
    GP_NEGOTIATION.rules, GP_NEGOTIATION.limits, kind="procurement", norms=GP_NORMS,
)
GP_SINGLE_SOURCE = RuleSet(
    "gp_single_source", _l("Procurement: single source"), "tender", TENDER_MILESTONES,
    (
        MinPeriod("gp.single_source_notice", "issue_at", "bid_deadline", 5, WD, GPR_38),
        DOCS_BEFORE_DEADLINE,
        SameMoment("gp.opening_at_deadline", "bid_deadline", "opening_at", OPENING),
    ),
    {**_limits(5, WD, GPR_38, min_suppliers=1)}, kind="procurement", norms=GP_NORMS,
    sealed_bids=False,  # one supplier negotiates (GPL 39): no competing sealed bids to keep shut
)

RULE_SETS = (GP_OPEN_TENDER, GP_INVITED_TENDER, GP_CONSULTATION, GP_NEGOTIATION, GP_INQUIRY, GP_SINGLE_SOURCE)
