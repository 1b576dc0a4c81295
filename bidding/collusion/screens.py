"""The collusion screens as pure functions over what is known of each opened bid (no database).

Each screen returns findings: the rule, the clause it serves (bidding.collusion.thresholds.RULES), the
organisations it names and the evidence (what matched, the numbers, the threshold), so that a flag
explains itself. Money stays Decimal; the statistics are computed in Decimal too."""
from __future__ import annotations

import hashlib
import itertools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, localcontext

from bidding.collusion import thresholds as T

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@dataclass(frozen=True)
class DocumentFacts:
    name: str
    author: str | None = None
    last_modified_by: str | None = None
    creator_tool: str | None = None
    created: str | None = None


@dataclass(frozen=True)
class BidFacts:
    """One opened bid as the screens see it."""

    organisation_id: int
    label: str = ""
    price: Decimal | None = None
    received_at: datetime | None = None
    files: tuple[tuple[str, str], ...] = ()  # (name, sha256)
    documents: tuple[DocumentFacts, ...] = ()
    address: str | None = None
    device_id: str | None = None
    user_agent: str | None = None
    deposit_account: str | None = None


@dataclass
class Finding:
    rule: str
    key: str
    organisation_ids: tuple[int, ...]
    evidence: dict = field(default_factory=dict)

    @property
    def clause(self) -> str:
        return T.RULES[self.rule].clause


def screen(bids: Iterable[BidFacts], *, ignore_hashes: Iterable[str] = ()) -> list[Finding]:
    """Every screen over the bids (one per organisation); `ignore_hashes` are files everyone may attach
    unchanged (the tender's own documents and forms)."""
    bids = list(bids)
    out: list[Finding] = []
    out += identical_files(bids, set(ignore_hashes))
    out += same_metadata(bids)
    out += same_value(bids, "same_address", lambda b: b.address)
    out += same_value(bids, "same_device", lambda b: b.device_id)
    out += same_value(bids, "same_deposit_account", lambda b: normalise_account(b.deposit_account))
    out += price_sequences(bids)
    out += close_prices(bids)
    out += price_screens(bids)
    out += submission_burst(bids)
    return out


def _ids(orgs: Iterable[int]) -> tuple[int, ...]:
    return tuple(sorted(set(orgs)))


def _key(rule: str, orgs: tuple[int, ...], detail: str = "") -> str:
    """The same finding's key across screenings: the rule, the bidders and what matched (hashed, so a
    finding naming a thousand bidders still fits the column)."""
    digest = hashlib.sha256(f"{'-'.join(map(str, orgs))}|{detail}".encode()).hexdigest()[:32]
    return f"{rule}:{digest}"


# ---- matches ------------------------------------------------------------------------------------

def identical_files(bids: list[BidFacts], ignore: set[str]) -> list[Finding]:
    by_hash: dict[str, dict[int, str]] = defaultdict(dict)
    for bid in bids:
        for name, sha in bid.files:
            if sha and sha != EMPTY_SHA256 and sha not in ignore:
                by_hash[sha].setdefault(bid.organisation_id, name)
    out = []
    for sha, names in sorted(by_hash.items()):
        if len(names) > 1:
            orgs = _ids(names)
            out.append(Finding("identical_files", _key("identical_files", orgs, sha[:16]), orgs,
                               {"sha256": sha, "names": {str(o): names[o] for o in orgs}}))
    return out


def _person(value: str | None) -> str | None:
    text = " ".join((value or "").split()).casefold()
    return None if text in T.GENERIC_AUTHORS else text


def same_metadata(bids: list[BidFacts]) -> list[Finding]:
    """The same author or last editor (not a default name), or the same tool and creation second."""
    people: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    shown: dict[str, str] = {}
    made: dict[tuple[str, str], dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for bid in bids:
        for doc in bid.documents:
            for raw in {doc.author, doc.last_modified_by}:
                person = _person(raw)
                if person:
                    people[person][bid.organisation_id].append(doc.name)
                    shown.setdefault(person, raw.strip())
            if doc.creator_tool and doc.created:
                made[(doc.creator_tool.strip(), doc.created)][bid.organisation_id].append(doc.name)
    out = []
    for person, orgs_docs in sorted(people.items()):
        if len(orgs_docs) > 1:
            orgs = _ids(orgs_docs)
            out.append(Finding("same_author", _key("same_author", orgs, person), orgs,
                               {"author": shown[person], "documents": {str(o): sorted(set(orgs_docs[o])) for o in orgs}}))
    for (tool, created), orgs_docs in sorted(made.items()):
        if len(orgs_docs) > 1:
            orgs = _ids(orgs_docs)
            out.append(Finding("same_creation", _key("same_creation", orgs, f"{tool}|{created}"), orgs,
                               {"creator_tool": tool, "created": created,
                                "documents": {str(o): sorted(set(orgs_docs[o])) for o in orgs}}))
    return out


def normalise_account(value: str | None) -> str | None:
    text = "".join(ch for ch in (value or "") if ch.isalnum()).upper()
    return text or None


_VALUE_NAMES = {"same_address": "address", "same_device": "device_id", "same_deposit_account": "account"}


def same_value(bids: list[BidFacts], rule: str, get) -> list[Finding]:
    groups: dict[str, set[int]] = defaultdict(set)
    agents: dict[str, set[str]] = defaultdict(set)
    for bid in bids:
        value = get(bid)
        if value:
            groups[value].add(bid.organisation_id)
            if bid.user_agent:
                agents[value].add(bid.user_agent)
    out = []
    for value, orgs in sorted(groups.items()):
        if len(orgs) > 1:
            ids = _ids(orgs)
            evidence = {_VALUE_NAMES[rule]: value, "bidders": len(ids)}
            if rule in ("same_address", "same_device"):
                evidence["user_agents"] = sorted(agents[value])
            out.append(Finding(rule, _key(rule, ids, value), ids, evidence))
    return out


# ---- prices -------------------------------------------------------------------------------------

def _priced(bids: list[BidFacts]) -> list[BidFacts]:
    return sorted((b for b in bids if b.price is not None and b.price > 0), key=lambda b: (b.price, b.organisation_id))


def _close(a: Decimal, b: Decimal, scale: Decimal) -> bool:
    return abs(a - b) <= T.SEQUENCE_TOLERANCE * scale


def price_sequences(bids: list[BidFacts]) -> list[Finding]:
    """The longest run of prices in arithmetic sequence (equal differences) or with a constant ratio,
    of at least SEQUENCE_MIN prices; each found set reported once."""
    priced = _priced(bids)
    if not T.SEQUENCE_MIN <= len({b.organisation_id for b in priced}) <= T.PATTERN_MAX_BIDS:
        return []
    n = len(priced)
    triples = itertools.combinations(range(n), 3)
    seen: set[tuple[int, ...]] = set()
    covered: list[set[int]] = []  # the members of each sequence found: its sub-triples say nothing new
    out = []
    for i, j, k in triples:
        if any(i in c and j in c and k in c for c in covered):
            continue
        a, b, c = priced[i].price, priced[j].price, priced[k].price
        if b - a <= 0 or c - b <= 0:
            continue
        kind = None
        if _close(b - a, c - b, c):
            kind = "arithmetic"
        elif _close(b * b, a * c, c * c / b):  # b/a == c/b, scaled to money
            kind = "ratio"
        if kind is None:
            continue
        members = _extend(priced, [i, j, k], kind)
        covered.append(set(members))
        orgs = _ids(priced[m].organisation_id for m in members)
        if len(orgs) < T.SEQUENCE_MIN or orgs in seen:
            continue
        seen.add(orgs)
        prices = [priced[m].price for m in members]
        step = prices[1] - prices[0]
        evidence = {"kind": kind, "prices": {str(priced[m].organisation_id): str(priced[m].price) for m in members},
                    "tolerance": str(T.SEQUENCE_TOLERANCE)}
        if kind == "arithmetic":
            evidence["difference"] = str(step)
        else:
            with localcontext() as ctx:
                ctx.prec = 12
                evidence["ratio"] = str(prices[1] / prices[0])
        out.append(Finding("price_sequence", _key("price_sequence", orgs, kind), orgs, evidence))
    return out


def _extend(priced: list[BidFacts], members: list[int], kind: str) -> list[int]:
    """Grow a found triple upwards by further prices that keep the pattern."""
    members = list(members)
    for m in range(members[-1] + 1, len(priced)):
        a, b, c = priced[members[-2]].price, priced[members[-1]].price, priced[m].price
        ok = _close(b - a, c - b, c) if kind == "arithmetic" else _close(b * b, a * c, c * c / b)
        if ok and c > b:
            members.append(m)
    return members


def close_prices(bids: list[BidFacts]) -> list[Finding]:
    priced = _priced(bids)
    out = []
    for x, y in itertools.combinations(priced, 2) if len(priced) <= T.PATTERN_MAX_BIDS else ():
        if x.organisation_id == y.organisation_id:
            continue
        low, high = min(x.price, y.price), max(x.price, y.price)
        rel = (high - low) / low
        if rel <= T.CLOSE_PAIR:
            orgs = _ids((x.organisation_id, y.organisation_id))
            out.append(Finding("close_prices", _key("close_prices", orgs, "pair"), orgs,
                               {"prices": {str(x.organisation_id): str(x.price), str(y.organisation_id): str(y.price)},
                                "relative_difference": _fmt(rel), "threshold": str(T.CLOSE_PAIR)}))
    if len(priced) >= T.MIN_SCREEN_BIDS:
        low, high = priced[0].price, priced[-1].price
        spread = (high - low) / low
        if spread <= T.TINY_SPREAD:
            orgs = _ids(b.organisation_id for b in priced)
            out.append(Finding("close_prices", _key("close_prices", orgs, "spread"), orgs,
                               {"lowest": str(low), "highest": str(high), "spread": _fmt(spread),
                                "threshold": str(T.TINY_SPREAD)}))
    return out


def _fmt(value: Decimal | None) -> str | None:
    return None if value is None else format(value.quantize(Decimal("0.000001")), "f")


def statistics(prices: list[Decimal]) -> dict[str, Decimal | None]:
    """The screens of Imhof et al. (2018) over one tender's valid prices, lowest first: coefficient of
    variation (sample sd / mean), relative distance (b2 - b1) / sd(b2..bn), percentage difference
    (b2 - b1) / b1, and the sample excess kurtosis (None where there are too few prices)."""
    prices = sorted(prices)
    n = len(prices)
    out: dict[str, Decimal | None] = {"cv": None, "rd": None, "gap": None, "kurtosis": None}
    if n < 3:
        return out
    with localcontext() as ctx:
        ctx.prec = 28
        mean = sum(prices) / n
        dev = [p - mean for p in prices]
        m2 = sum(d * d for d in dev)
        sd = (m2 / (n - 1)).sqrt()
        out["cv"] = sd / mean
        losing = prices[1:]
        lmean = sum(losing) / len(losing)
        lsd = (sum((p - lmean) ** 2 for p in losing) / (len(losing) - 1)).sqrt()
        out["rd"] = (prices[1] - prices[0]) / lsd if lsd > 0 else None
        out["gap"] = (prices[1] - prices[0]) / prices[0]
        if n >= 4 and m2 > 0:
            m4 = sum(d ** 4 for d in dev)
            # the bias-corrected sample excess kurtosis (G2, as spreadsheets and scipy's bias=False give it)
            g = Decimal(n * (n + 1)) / Decimal((n - 1) * (n - 2) * (n - 3)) * m4 / ((m2 / (n - 1)) ** 2) \
                - Decimal(3 * (n - 1) ** 2) / Decimal((n - 2) * (n - 3))
            out["kurtosis"] = g
    return out


def price_screens(bids: list[BidFacts]) -> list[Finding]:
    priced = _priced(bids)
    if len(priced) < T.MIN_SCREEN_BIDS:
        return []
    stats = statistics([b.price for b in priced])
    crossed = {
        "cv": stats["cv"] is not None and stats["cv"] < T.CV_MAX,
        "rd": stats["rd"] is not None and stats["rd"] > T.RD_MIN,
        "gap": stats["gap"] is not None and stats["gap"] > T.GAP_MIN,
        "kurtosis": stats["kurtosis"] is not None and stats["kurtosis"] > T.KURTOSIS_MIN,
    }
    if sum(crossed.values()) < T.SCREENS_NEEDED or not crossed[T.SCREEN_ANCHOR]:
        return []
    orgs = _ids(b.organisation_id for b in priced)
    return [Finding("price_screens", _key("price_screens", orgs), orgs, {
        "bids": len(priced), "lowest": str(priced[0].price), "second": str(priced[1].price),
        "values": {k: _fmt(v) for k, v in stats.items()}, "crossed": sorted(k for k, v in crossed.items() if v),
        "thresholds": {"cv": f"< {T.CV_MAX}", "rd": f"> {T.RD_MIN}", "gap": f"> {T.GAP_MIN}",
                       "kurtosis": f"> {T.KURTOSIS_MIN}"}, "needed": T.SCREENS_NEEDED,
        "anchor": T.SCREEN_ANCHOR})]


# ---- time ---------------------------------------------------------------------------------------

def submission_burst(bids: list[BidFacts]) -> list[Finding]:
    """The largest group of different bidders whose envelopes arrived within BURST_SECONDS."""
    timed = sorted((b for b in bids if b.received_at is not None), key=lambda b: b.received_at)
    best: list[BidFacts] = []
    start = 0
    for end in range(len(timed)):
        while (timed[end].received_at - timed[start].received_at).total_seconds() > T.BURST_SECONDS:
            start += 1
        window = timed[start:end + 1]
        if len({b.organisation_id for b in window}) > len({b.organisation_id for b in best}):
            best = window
    orgs = _ids(b.organisation_id for b in best)
    if len(orgs) < T.BURST_MIN:
        return []
    seconds = (best[-1].received_at - best[0].received_at).total_seconds()
    return [Finding("submission_burst", _key("submission_burst", orgs), orgs, {
        "bidders": len(orgs), "seconds": int(seconds), "first": best[0].received_at.isoformat(),
        "last": best[-1].received_at.isoformat(), "window": T.BURST_SECONDS, "minimum": T.BURST_MIN})]
