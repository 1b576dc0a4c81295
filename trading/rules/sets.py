"""Rule sets of works tendering, land-use rights and state property rights (RULES.md)."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l

from trading.rules.model import Limit, MaxShare, MinPeriod, Order, RuleSet, SameMoment, Source, Unit

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
                "some localities require 10 working days: configurable")
O32_13 = Source("国资委 财政部令第32号 第13条", "SASAC/MOF Order 32 Art. 13", "~")
ORDER = Source("时间先后", "chronological order")
DOCS_BEFORE_DEADLINE = Order("docs_before_deadline", "docs_until", "bid_deadline", ORDER)

TENDER_MILESTONES = ("issue_at", "docs_until", "bid_deadline", "opening_at")


def _tender_limits(clarification_days: int, clarification_unit: Unit, clar_source: Source) -> dict[str, Limit]:
    return {
        "clarification_lead": Limit("clarification_lead", clarification_days, clarification_unit, clar_source,
                                    _l("clarifications at least this long before the deadline, else it moves")),
        "min_bids": Limit("min_bids", 3, "bids", LAW_28, _l("fewer bids: no opening, re-tender")),
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
        "objection_lead": Limit("objection_lead", 10, D, REG_22,
                                _l("objections to tender documents at least this long before the deadline")),
    },
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
)

LAND_AUCTION = RuleSet(
    key="land_auction",
    name=_l("Land use rights: auction"),
    flow="listing",
    kind="land",
    milestones=("issue_at", "bid_deadline"),
    rules=(MinPeriod("land.announcement", "issue_at", "bid_deadline", 20, D, O39_8),),
    limits={"clarification_lead": Limit("clarification_lead", 15, D, O39_8, _l("changes to the notice"))},
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
)

PROPERTY_LISTING = RuleSet(
    key="property_listing",
    name=_l("State property rights: public transfer"),
    flow="listing",
    kind="property",
    milestones=("issue_at", "bid_deadline"),
    rules=(MinPeriod("property.disclosure", "issue_at", "bid_deadline", 20, WD, O32_13),),
    limits={"clarification_lead": Limit("clarification_lead", 20, WD, O32_13,
                                        _l("disclosed terms may not change; a change restarts disclosure"))},
)

RULE_SETS = (WORKS_OPEN_TENDER, WORKS_INVITED_TENDER, LAND_TENDER, LAND_AUCTION, LAND_LISTING, PROPERTY_LISTING)
