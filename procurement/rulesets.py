"""Rule sets of the six government procurement methods (GPL 26; O87, O74, C214)."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from trading.rules.model import Limit, MaxShare, MinPeriod, RuleSet, SameMoment, Source, Unit
from trading.rules.scoring import (CONSULTATION_SCORING, LOWEST_EVALUATED_PRICE, METHOD_NAMES, OUTLIER_DEFAULTS,
                                   PROCUREMENT_SCORING, ScoringMethod)
from trading.rules.norms import DepositRefund, EachWithin, Span, TimeLimit
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
GPR_50 = Source("政府采购法 第46-47条；政府采购法实施条例 第50条", "Government Procurement Law Arts. 46-47; "
                "Government Procurement Regulation Art. 50", "✓", "the contract published within 2 working days of "
                "its signing; the platform publishes it when it is recorded, so a contract recorded late is published late")
GPL_41 = Source("政府采购法 第41条；政府采购法实施条例 第45条", "Government Procurement Law Art. 41; "
                "Government Procurement Regulation Art. 45", "?",
                "the purchaser organises the acceptance under the contract's terms; recorded within 7 working days of "
                "the delivery is local supervision practice: configurable")
O87_38 = Source("政府采购法实施条例 第33条；财政部令第87号 第38条", "Government Procurement Regulation Art. 33; "
                "MOF Order 87 Art. 38", "✓",
                "losers' deposits fall due from the award notice; the platform does not yet record the winner, "
                "so all are counted from the contract (or the withdrawal)")

# ---- questions, challenges and complaints (procurement/challenges; RULES.md) --------------------------
GPR_52 = Source("政府采购法 第51条；政府采购法实施条例 第52条", "Government Procurement Law Art. 51; Government "
                "Procurement Regulation Art. 52", "✓", _l("any supplier may ask; the answer is due in 3 working days"))
GPL_52 = Source("政府采购法 第52条；政府采购法实施条例 第53条；财政部令第94号 第10-11条", "Government Procurement Law "
                "Art. 52; Government Procurement Regulation Art. 53; MOF Order 94 Arts. 10-11", "~",
                _l("only a supplier taking part (the documents: one who obtained them) challenges; the 7 working days "
                   "run from receiving the documents or the end of their period, whichever is later (configurable), "
                   "from the end of the step challenged, or from the end of the result announcement"))
GPL_53 = Source("政府采购法 第53条", "Government Procurement Law Art. 53")
GPL_55 = Source("政府采购法 第55条；财政部令第94号 第17条", "Government Procurement Law Art. 55; MOF Order 94 Art. 17",
                "✓", _l("only a challenger complains, on what it challenged: 15 working days from the answer, or from "
                        "the end of the answer period when no answer came in time"))
GPL_56 = Source("政府采购法 第56条", "Government Procurement Law Art. 56")
GPL_57 = Source("政府采购法 第57条；政府采购法实施条例 第54条", "Government Procurement Law Art. 57; Government "
                "Procurement Regulation Art. 54", "✓",
                _l("a challenge that may affect the result suspends the contract; the finance department may suspend "
                   "the procurement while it handles a complaint, for at most 30 days"))

#: the numbers of questions, challenges and complaints (procurement.challenges reads them by code)
CHALLENGE_LIMITS = {
    "gp_question_answer": Limit("gp_question_answer", 3, WD, GPR_52,
                                _l("the purchaser or its agency answers a question within this period")),
    "gp_challenge_window": Limit("gp_challenge_window", 7, WD, GPL_52,
                                 _l("a challenge within this period of knowing one's rights were harmed")),
    "gp_challenge_answer": Limit("gp_challenge_answer", 7, WD, GPL_53,
                                 _l("the purchaser or its agency answers a challenge in writing within this period")),
    "gp_complaint_window": Limit("gp_complaint_window", 15, WD, GPL_55,
                                 _l("a complaint to the finance department within this period after the answer "
                                    "period")),
    "gp_complaint_decision": Limit("gp_complaint_decision", 30, WD, GPL_56,
                                   _l("the finance department decides a complaint within this period")),
    "gp_result_announcement": Limit("gp_result_announcement", 1, WD, GPR_43,
                                    _l("the result announcement lasts this long; a challenge to the result counts "
                                       "from its last day")),
    "gp_suspension_max": Limit("gp_suspension_max", 30, D, GPL_57,
                               _l("a suspension the finance department orders lasts at most this long")),
}

#: each question, challenge and complaint answered in time, and a complaint's suspension lifted in time
CHALLENGE_NORMS = (
    EachWithin("gp.question_answered", "gp_questions", "fact:gp_question", "fact:gp_question_answer",
               Span(3, WD), GPR_52),
    EachWithin("gp.challenge_answered", "gp_challenges", "fact:gp_challenge", "fact:gp_challenge_answer",
               Span(7, WD), GPL_53),
    EachWithin("gp.complaint_decided", "gp_complaints", "fact:gp_complaint", "fact:gp_complaint_decision",
               Span(30, WD), GPL_56, warn=timedelta(days=3)),
    EachWithin("gp.suspension_lifted", "gp_suspensions", "fact:gp_suspension", "fact:gp_suspension_lifted",
               Span(30, D), GPL_57, warn=timedelta(days=3)),
)

#: what e-supervision watches in every procurement method (all follow the tender flow)
GP_NORMS = CHALLENGE_NORMS + opening_norms("gp", O87_RECORD) + (
    TimeLimit("gp.award_decision", "fact:evaluation_report|move:publicize", "move:award", Span(7, WD), O87_68,
              watch=(S.PUBLICITY,)),
    TimeLimit("gp.result_published", "move:award", "fact:result_notice", Span(2, WD), GPR_43),
    TimeLimit("gp.contract_in_time", "move:award", "move:contract", Span(30, D), GPL_46,
              warn=timedelta(days=3), watch=(S.AWARDED,)),
    # no warning: the platform publishes the contract as it is recorded, so only a late record is late
    TimeLimit("gp.contract_published", "fact:contract_signed", "fact:contract_notice", Span(2, WD), GPR_50,
              warn=timedelta(0)),
    TimeLimit("gp.acceptance", "fact:delivery", "fact:acceptance", Span(7, WD), GPL_41,
              watch=(S.CONTRACTED, S.ARCHIVED)),
    DepositRefund("gp.deposit_refund", ("withdrawal", "move:contract"), Span(5, WD), O87_38),
)


def _limits(lead: int, unit: Unit, source: Source, min_suppliers: int = 3) -> dict[str, Limit]:
    return {
        **CHALLENGE_LIMITS,
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
                  params=dict(OUTLIER_DEFAULTS), adjustable=False),  # the final quote is the price (GPL 38 (5))
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
O74_49 = Source("政府采购法 第40条；财政部令第74号 第48-49条", "Government Procurement Law Art. 40; MOF Order 74 "
                "Arts. 48-49", "✓", _l("the lowest price among the quotes meeting the requirements; equal prices rank "
                                      "equal and the purchaser names the winner among them with a reason"))
#: inquiry ranks by price alone (one quote each, not changed: GPL 40): the lowest-price method, and the committee
#: may not adjust the prices (procurement/direct/inquiry.py)
INQUIRY_SCORING = (ScoringMethod(LOWEST_EVALUATED_PRICE, METHOD_NAMES[LOWEST_EVALUATED_PRICE], O74_49,
                                 params=dict(OUTLIER_DEFAULTS), adjustable=False),)
GP_INQUIRY = RuleSet(
    "gp_inquiry", _l("Procurement: inquiry"), "tender", TENDER_MILESTONES,
    GP_NEGOTIATION.rules, GP_NEGOTIATION.limits, kind="procurement", norms=GP_NORMS, scoring=INQUIRY_SCORING,
)
O74_40 = Source("财政部令第74号 第40条", "MOF Order 74 Art. 40")
#: the purchaser answers an objection to a single source within five working days of the notice period's end
#: (O74 Art. 40; procurement/direct stores each objection's answer_due from it)
SINGLE_SOURCE_ANSWER = Span(5, WD)
#: a single source has no sealed bids and no opening (sealed_bids=False): the opening's norms, and the tender's
#: order of steps (opening before evaluation), do not apply; procurement/direct reserves its own moves. Each
#: objection to its notice is answered in time (procurement/direct/supervision.py lists them).
SINGLE_SOURCE_NORMS = tuple(n for n in GP_NORMS
                            if n.code not in ("gp.opening_on_time", "gp.opening_record_signed", "gp.flow_order")) + (
    EachWithin("gp.single_source_objection_answered", "gp_single_source_objections",
               "fact:gp_single_source_notice_end", "fact:gp_single_source_objection_answer", SINGLE_SOURCE_ANSWER,
               O74_40),
)
GP_SINGLE_SOURCE = RuleSet(
    "gp_single_source", _l("Procurement: single source"), "tender", TENDER_MILESTONES,
    (
        MinPeriod("gp.single_source_notice", "issue_at", "bid_deadline", 5, WD, GPR_38),
        DOCS_BEFORE_DEADLINE,
        SameMoment("gp.opening_at_deadline", "bid_deadline", "opening_at", OPENING),
    ),
    {**_limits(5, WD, GPR_38, min_suppliers=1)}, kind="procurement", norms=SINGLE_SOURCE_NORMS,
    sealed_bids=False,  # one supplier negotiates (GPL 39): no competing sealed bids to keep shut
)

RULE_SETS = (GP_OPEN_TENDER, GP_INVITED_TENDER, GP_CONSULTATION, GP_NEGOTIATION, GP_INQUIRY, GP_SINGLE_SOURCE)
