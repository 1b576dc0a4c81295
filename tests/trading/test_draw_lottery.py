"""The platform's lottery (trading.draws.lottery) and the offline replay tool's deliberate copy
(monitor.verify.draw, standard library only) give the same seed, order and replacements for every purpose:
a draw made by the platform replays offline, and a change to one without the other fails here."""
from __future__ import annotations

import hashlib
import random

import pytest

from monitor.verify import draw as offline
from trading.draws import lottery


def _inputs(rng: random.Random, purpose: str) -> dict:
    pool = sorted(rng.sample(range(1, 500), rng.randint(1, 40)))
    reveals = [rng.randbytes(32).hex() for _ in range(rng.randint(0, 3))]
    return dict(trade_ref=f"GC-2026-{rng.randint(1, 9999):04d}", round_no=rng.randint(1, 4), fixed=rng.randint(1, 10**6),
                candidates=pool, count=rng.randint(1, len(pool)), beacon_size=rng.randint(1, 10**6),
                beacon_root=rng.randbytes(32).hex(), purpose=purpose,
                contributions=[(hashlib.sha256(bytes.fromhex(r)).hexdigest(), r) for r in reveals])


@pytest.mark.parametrize("purpose", ["social-supervisor-draw", "expert-draw", "invitee-draw"])
def test_both_copies_agree(purpose):
    rng = random.Random(purpose)
    for _ in range(200):
        args = _inputs(rng, purpose)
        material = lottery.seed_material(**args)
        assert material == offline.seed_material(**args)
        assert lottery.order(material, args["candidates"]) == offline.order(material, args["candidates"])
        used = list(range(args["count"]))
        assert lottery.replacement_for(lottery.order(material, args["candidates"]), used, []) == \
            offline.replacement_for(offline.order(material, args["candidates"]), used, [])


def test_both_copies_agree_on_a_secret_in_the_seed():
    """An invitee draw's seed takes the platform's secret (committed to when the round was fixed): both copies
    hash it alike, and it changes the seed."""
    rng = random.Random("salt")
    for _ in range(50):
        args = {**_inputs(rng, "invitee-draw"), "salt": rng.randbytes(32).hex()}
        assert lottery.seed_material(**args) == offline.seed_material(**args)
        assert lottery.seed_of(lottery.seed_material(**args)) != \
            lottery.seed_of(lottery.seed_material(**{**args, "salt": None}))


def test_the_purpose_is_part_of_the_seed():
    """An expert draw and a supervisor draw on the same inputs give different seeds: one cannot be passed off
    as the other."""
    args = _inputs(random.Random(7), "expert-draw")
    other = {**args, "purpose": "social-supervisor-draw"}
    assert lottery.seed_of(lottery.seed_material(**args)) != lottery.seed_of(lottery.seed_material(**other))
