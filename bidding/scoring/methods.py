"""The scoring formulas, as pure functions over Decimal: price scores (comprehensive and benchmark), evaluated
prices, the outlier fence and the ranking with its ties. No database, no clock: the services feed them.

Rounding, stated once: money is rounded to the fen (0.01 yuan) and points to 0.01, both ROUND_HALF_UP, and
only at the end of each formula (intermediate quotients keep the context's 28 significant digits)."""
from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def points(x: Decimal) -> Decimal:
    """Points to 0.01, half up."""
    return Decimal(x).quantize(CENT, rounding=ROUND_HALF_UP)


def money(x: Decimal) -> Decimal:
    """Yuan to the fen, half up."""
    return Decimal(x).quantize(CENT, rounding=ROUND_HALF_UP)


def _valid(prices: Mapping[Hashable, Decimal]) -> dict:
    out = {k: Decimal(p) for k, p in prices.items() if p is not None}
    bad = [k for k, p in out.items() if p <= 0]
    if bad:
        raise ValueError(f"prices must be positive: {bad}")
    return out


# ---- comprehensive scoring (综合评分法, O87 Art. 55) -------------------------------------------------

def comprehensive_price_scores(prices: Mapping[Hashable, Decimal], weight: Decimal) -> dict:
    """Price score = lowest valid price / bid price x price weight (O87 Art. 55): the lowest gets the full
    weight, the others proportionally less."""
    valid = _valid(prices)
    if not valid:
        return {}
    lowest = min(valid.values())
    return {k: points(lowest / p * Decimal(weight)) for k, p in valid.items()}


def highest_price_scores(prices: Mapping[Hashable, Decimal], weight: Decimal) -> dict:
    """A land tender's comprehensive evaluation (O39 Art. 13): price score = bid price / highest valid price x
    price weight: the highest offer gets the full weight, the others proportionally less."""
    valid = _valid(prices)
    if not valid:
        return {}
    highest = max(valid.values())
    return {k: points(p / highest * Decimal(weight)) for k, p in valid.items()}


# ---- the works benchmark method (基准价法, local practice) ---------------------------------------------

def kept_prices(prices: Iterable[Decimal], trim: int = 0, trim_from: int = 0) -> list[Decimal]:
    """The valid prices the benchmark averages: the `trim` highest and `trim` lowest dropped when at least
    `trim_from` prices are valid (and at least one would remain); all of them otherwise."""
    ordered = sorted(Decimal(p) for p in prices)
    trim = int(trim)
    if trim > 0 and len(ordered) >= max(int(trim_from), 1) and len(ordered) - 2 * trim >= 1:
        return ordered[trim:len(ordered) - trim]
    return ordered


def benchmark_price(prices: Iterable[Decimal], trim: int = 0, trim_from: int = 0,
                    factor: Decimal = Decimal(1)) -> Decimal:
    """Benchmark = mean of the kept prices x factor (a downward float such as 0.97), to the fen."""
    kept = kept_prices(prices, trim, trim_from)
    if not kept:
        raise ValueError("no valid price to take a benchmark from")
    return money(sum(kept) / len(kept) * Decimal(factor))


def deviation_percent(price: Decimal, benchmark: Decimal) -> Decimal:
    """(price - benchmark) / benchmark x 100, unrounded: positive above the benchmark."""
    return (Decimal(price) - benchmark) / benchmark * HUNDRED


def benchmark_price_scores(prices: Mapping[Hashable, Decimal], weight: Decimal, benchmark: Decimal,
                           off_above: Decimal, off_below: Decimal) -> dict:
    """Full weight at the benchmark; `off_above` points off per percent above it and `off_below` per percent
    below, linear (1.5% above at 1 point per percent is 1.5 points off), never below zero."""
    out = {}
    for k, p in _valid(prices).items():
        dev = deviation_percent(p, benchmark)
        off = dev * Decimal(off_above) if dev > 0 else -dev * Decimal(off_below)
        out[k] = max(Decimal("0.00"), points(Decimal(weight) - off))
    return out


# ---- lowest evaluated price (经评审的最低投标价法, Reg 53; O87 Art. 54) ---------------------------------

def evaluated_prices(prices: Mapping[Hashable, Decimal],
                     adjustments: Mapping[Hashable, Sequence[Decimal]]) -> dict:
    """Evaluated price = bid price + the committee's adjustments for deviations (each signed: a shortfall
    costed in adds, a quantified benefit the documents allow subtracts), to the fen."""
    return {k: money(p + sum((Decimal(a) for a in adjustments.get(k, ())), Decimal(0)))
            for k, p in _valid(prices).items()}


# ---- experts' scores ------------------------------------------------------------------------------------

def median(values: Sequence[Decimal]) -> Decimal:
    ordered = sorted(Decimal(v) for v in values)
    n = len(ordered)
    if n == 0:
        raise ValueError("median of nothing")
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def outlier_fence(others: Sequence[Decimal], max_points: Decimal, k: Decimal, min_share: Decimal,
                  min_others: int = 1) -> tuple[Decimal, Decimal] | None:
    """The band a score may fall in without a written reason: the median of the other members' scores on
    the same bid and criterion, ± the larger of k x MAD (median absolute deviation) and min_share x the
    criterion's maximum (so that others who agree exactly do not make every difference an outlier).
    None when fewer than `min_others` (at least one) other scores are there to compare with."""
    if len(others) < max(int(min_others), 1):
        return None
    med = median(others)
    mad = median([abs(Decimal(v) - med) for v in others])
    half = max(Decimal(k) * mad, Decimal(min_share) * Decimal(max_points))
    return med - half, med + half


def is_outlier(score: Decimal, fence: tuple[Decimal, Decimal] | None) -> bool:
    """Outside the fence (its ends included in the band)."""
    return fence is not None and not (fence[0] <= Decimal(score) <= fence[1])


def mean_points(values: Sequence[Decimal]) -> Decimal:
    if not values:
        raise ValueError("mean of nothing")
    return points(sum(Decimal(v) for v in values) / len(values))


# ---- ranking --------------------------------------------------------------------------------------------

def rank(keys: Iterable[Hashable], sort_key: Callable[[Hashable], tuple]) -> list[tuple[int, Hashable]]:
    """Competition ranking (1, 1, 3): ordered by `sort_key`; items with equal sort keys share a rank (并列,
    O87 Arts. 54-55), listed among themselves in the order of `keys`."""
    ordered = sorted(keys, key=sort_key)  # stable: equal keys keep the given order
    out: list[tuple[int, Hashable]] = []
    for i, k in enumerate(ordered):
        if i and sort_key(k) == sort_key(ordered[i - 1]):
            out.append((out[-1][0], k))
        else:
            out.append((i + 1, k))
    return out


def by_evaluated_price(evaluated: Mapping, prices: Mapping) -> Callable[[Hashable], tuple]:
    """Lowest evaluated price first; equal: the lower bid price (O87 Art. 54)."""
    return lambda k: (evaluated[k], prices[k])


def by_total(totals: Mapping, prices: Mapping) -> Callable[[Hashable], tuple]:
    """Highest total first; equal: the lower bid price (O87 Art. 55)."""
    return lambda k: (-totals[k], prices[k])


def by_highest_price(prices: Mapping) -> Callable[[Hashable], tuple]:
    """Highest price first (a land tender, O39 Art. 13); equal prices share a rank."""
    return lambda k: (-prices[k],)


def by_total_highest_price(totals: Mapping, prices: Mapping) -> Callable[[Hashable], tuple]:
    """Highest total first; equal: the higher bid price (a seller's comprehensive evaluation)."""
    return lambda k: (-totals[k], -prices[k])
