"""The verifiable draw's arithmetic, for every kind of draw: pure functions, standard library only.

The seed is SHA-256 of canonical JSON naming the purpose, the trade, the round as fixed (its entry
index, the candidates, the count), the beacon checkpoint signed after every commitment, and the
revealed contributions. The order is a Fisher-Yates shuffle of the ascending candidates with 64-bit
words of SHA-256(seed || counter), each reduced to its range by rejection sampling: docs/draws.md.

The platform draws with this module. The offline replay tool (`monitor.verify.draw`) keeps a
deliberate copy because it must run without Flask; tests/trading/test_draw_lottery.py proves both
give the same seed and order for every purpose.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence

from trading.canonical import canonical_json

FORMAT = 2
ALGORITHM = "sha256-ctr/rejection/fisher-yates v2 (python -m monitor.verify.draw)"


def commitment_of(reveal_hex: str) -> str:
    """A contribution's commitment: SHA-256 of its 32 revealed bytes, hex."""
    return hashlib.sha256(bytes.fromhex(reveal_hex)).hexdigest()


def seed_material(*, purpose: str, trade_ref: str, round_no: int, fixed: int, candidates: Sequence[int],
                  count: int, beacon_size: int, beacon_root: str, contributions: Sequence[tuple[str, str]],
                  salt: str | None = None) -> bytes:
    """The bytes the seed is hashed from (withheld contributions are not part of it). `salt`: the platform's
    secret of an unnamed draw, committed to when the round was fixed and published at the opening."""
    material = {"v": FORMAT, "purpose": purpose, "trade": trade_ref, "round": int(round_no),
                "fixed": int(fixed), "candidates": sorted(int(c) for c in candidates), "count": int(count),
                "beacon": {"size": int(beacon_size), "root": beacon_root.lower()},
                "contributions": sorted([c.lower(), r.lower()] for c, r in contributions)}
    if salt is not None:
        material["salt"] = salt.lower()
    return canonical_json(material)


def seed_of(material: bytes) -> bytes:
    return hashlib.sha256(material).digest()


def _words(seed: bytes) -> Iterator[int]:
    """64-bit big-endian words of SHA-256(seed || counter), counter = 0, 1, 2, ... (8 bytes)."""
    counter = 0
    while True:
        block = hashlib.sha256(seed + counter.to_bytes(8, "big")).digest()
        for i in range(0, 32, 8):
            yield int.from_bytes(block[i:i + 8], "big")
        counter += 1


def _below(words: Iterator[int], n: int) -> int:
    """A uniform integer in [0, n) by rejection sampling."""
    limit = (1 << 64) - ((1 << 64) % n)
    while True:
        x = next(words)
        if x < limit:
            return x % n


def draw(material: bytes, candidates: Sequence[int], count: int) -> list[int]:
    """Select `count` of `candidates` (fewer if there are fewer); the first k of a longer draw are the k-draw."""
    pool = sorted(set(int(c) for c in candidates))
    words = _words(seed_of(material))
    take = max(0, min(int(count), len(pool)))
    for i in range(take):
        j = i + _below(words, len(pool) - i)
        pool[i], pool[j] = pool[j], pool[i]
    return pool[:take]


def order(material: bytes, candidates: Sequence[int]) -> list[int]:
    """The whole candidate list in draw order: the drawn first, then the reserve."""
    return draw(material, candidates, len(set(candidates)))


def replacement_for(draw_order: Sequence[int], used: Sequence[int], skipped: Sequence[int]) -> tuple[int, int] | None:
    """(position, candidate) of the first candidate after the last position used that is not skipped;
    None when the reserve is exhausted."""
    start = max(used, default=-1) + 1
    for pos in range(start, len(draw_order)):
        if pos not in skipped:
            return pos, draw_order[pos]
    return None
