"""The figures the statistics read from the deals of a period: how many sales concluded and how many ended with no
deal, and the mean premium over the starting price (land, 溢价率) and appreciation over the appraised value
(property, 增值率), each a plain mean of the recorded percentages, half up to 0.01."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from bidding.auctions.deal.conclusion import deals_between
from bidding.auctions.deal.models import Outcome

HUNDREDTH = Decimal("0.01")


@dataclass(frozen=True)
class DealFigures:
    concluded: int
    no_deal: int
    turnover: Decimal  # the sum of the deal prices
    mean_premium_percent: Decimal | None
    mean_appreciation_percent: Decimal | None


def _mean(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def figures(start: datetime, end: datetime) -> DealFigures:
    """The deals decided in [start, end)."""
    deals = deals_between(start, end)
    done = [d for d in deals if d.outcome is Outcome.CONCLUDED]
    return DealFigures(
        concluded=len(done), no_deal=len(deals) - len(done), turnover=sum((d.price for d in done), Decimal("0.00")),
        mean_premium_percent=_mean([d.premium_percent for d in done if d.premium_percent is not None]),
        mean_appreciation_percent=_mean([d.appreciation_percent for d in done if d.appreciation_percent is not None]))
