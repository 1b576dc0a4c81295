"""The collusion screens' rules and thresholds as data, each with its source (docs/collusion.md).

Reg = 招标投标法实施条例 (2011). Reg 40 lists what is *deemed* collusion among bidders (视为投标人相互串通):
(1) documents prepared by the same unit or person; (2) the same unit or person handles several bidders'
bidding; (3) the same project-management member; (4) documents abnormally identical, or prices with a
regular difference; (5) documents mixed up; (6) deposits paid from the same unit's or person's account.
Reg 39 lists agreed collusion (e.g. (1) agreeing prices, (4) agreeing who wins). A flag is a signal for
the committee, never a finding: what the committee does with it is its decision (bidding.collusion.services).

The statistical screens come from the bid-rigging literature:
- Abrantes-Metz, Froeb, Geweke & Taylor (2006), "A variance screen for collusion", International Journal
  of Industrial Organization 24(3): 467-486 (coefficient of variation);
- Imhof, Karagök & Rutz (2018), "Screening for bid rigging: does it work?", Journal of Competition Law &
  Economics 14(2): 235-261 (coefficient of variation, kurtosis, percentage difference, relative distance);
- Huber & Imhof (2019), "Machine learning with screens for detecting bid-rigging cartels", International
  Journal of Industrial Organization 65: 277-301 (the screens combined: one alone says little).
The literature gives definitions and the direction of each signal, not universal cut-offs: the cut-offs
below were set on the synthetic tenders of tests/bidding/collusion (the rates measured are in
docs/collusion.md). A platform with a history should replace them with fences from its own opened tenders.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Rule:
    key: str
    clause: str  # the clause the flag serves, as RULES.md cites it
    title: object  # lazy text, zh and en
    meaning: object


RULES: dict[str, Rule] = {r.key: r for r in (
    Rule("identical_files", "Reg 40(4)", _l("Identical attached documents"),
         _l("Bidders attached a file with the same SHA-256: documents abnormally identical.")),
    Rule("same_author", "Reg 40(1)", _l("Documents by the same author"),
         _l("Documents of different bidders name the same author or last editor: prepared by the same person?")),
    Rule("same_creation", "Reg 40(1)", _l("Documents created together"),
         _l("Documents of different bidders were created by the same tool at the same second.")),
    Rule("same_address", "Reg 40(2)", _l("Bids from the same network address"),
         _l("The envelopes of different bidders were uploaded from the same network address.")),
    Rule("same_device", "Reg 40(2)", _l("Bids sealed on the same device"),
         _l("The envelopes of different bidders were sealed on the same device (the sealer's device id).")),
    Rule("same_deposit_account", "Reg 40(6)", _l("Deposits from the same account"),
         _l("The bid-security deposits of different bidders were paid from the same account.")),
    Rule("price_sequence", "Reg 40(4)", _l("Prices in a regular pattern"),
         _l("Three or more prices form an arithmetic sequence or a constant ratio: a regular difference.")),
    Rule("close_prices", "Reg 40(4)", _l("Prices almost equal"),
         _l("Prices of different bidders differ by a tiny fraction, or the whole tender's spread is tiny.")),
    Rule("price_screens", "Reg 39(1)", _l("Price distribution screens"),
         _l("Several screens from the literature point the same way: prices too alike (coefficient of "
            "variation, kurtosis) or cover bids far from the lowest (relative distance, gap).")),
    Rule("submission_burst", "Reg 40(2)", _l("A burst of submissions"),
         _l("Several bidders' envelopes arrived within a short window, as if handled together.")),
)}


#: each clause a flag serves, as the reader reads it (Reg = 招标投标法实施条例)
CITATIONS = {
    "Reg 39(1)": _l("Reg 39(1): bidders agree among themselves on the price or other substantive terms"),
    "Reg 40(1)": _l("Reg 40(1): different bidders' documents prepared by the same unit or person"),
    "Reg 40(2)": _l("Reg 40(2): the same unit or person handles the bidding of different bidders"),
    "Reg 40(4)": _l("Reg 40(4): bid documents abnormally identical, or prices with a regular difference"),
    "Reg 40(6)": _l("Reg 40(6): bid security of different bidders paid from the same unit's or person's account"),
}


# ---- thresholds ---------------------------------------------------------------------------------

#: prices: two bidders' prices this close (relative) are "almost equal" (Reg 40(4) abnormally identical)
CLOSE_PAIR = Decimal("0.00002")
#: the whole tender's spread (max - min) / min at most this, with at least MIN_SCREEN_BIDS prices
TINY_SPREAD = Decimal("0.002")
#: a sequence: consecutive differences (or ratios) equal within this relative tolerance of the price
SEQUENCE_TOLERANCE = Decimal("0.000002")
#: a sequence must have at least this many prices
SEQUENCE_MIN = 3
#: sequences and near-equal pairs are looked for among at most this many prices: with more, chance alone
#: makes some (1,000 prices within 10 % hold hundreds of 3-term sequences to the 10 yuan)
PATTERN_MAX_BIDS = 30

#: the statistical screens need this many valid prices (kurtosis one more)
MIN_SCREEN_BIDS = 4
#: coefficient of variation (sample sd / mean) below this: prices too alike (Abrantes-Metz et al. 2006)
CV_MAX = Decimal("0.015")
#: relative distance (b2 - b1) / sd(losing bids) above this: the lowest bid apart from clustered covers
#: (Imhof et al. 2018 read RD > 1 as suspicious)
RD_MIN = Decimal("1.5")
#: percentage difference between the two lowest bids above this (Imhof et al. 2018)
GAP_MIN = Decimal("0.06")
#: sample excess kurtosis above this: covers clustered around one value (Imhof et al. 2018)
KURTOSIS_MIN = Decimal("1.5")
#: how many screens must cross their threshold for a flag (Huber & Imhof 2019: screens combined), one of
#: them the anchor: relative distance, gap and kurtosis all grow with one low outlier bid, which honest
#: tenders have often; prices too alike (a low coefficient of variation) is the cartel's mark
SCREENS_NEEDED = 2
SCREEN_ANCHOR = "cv"

#: a burst: at least BURST_MIN different bidders' envelopes within BURST_SECONDS
BURST_MIN = 3
BURST_SECONDS = 120

#: author names too common to mean anything (the defaults of office suites and shared PCs)
GENERIC_AUTHORS = frozenset({
    "", "admin", "administrator", "user", "owner", "author", "unknown", "microsoft", "microsoft office user",
    "微软用户", "微软中国", "用户", "作者", "系统管理员", "lenovo", "dell", "hp", "asus", "thinkpad", "wps", "python",
})
