"""The verifiable draw of social supervisors: pure functions, no database, no Flask, standard library only.

Anyone can replay a draw from its audit entry (action "supervisors.draw") on their own machine:

    python -m monitor.verify.draw ENTRY_JSON        # a file, '-' for standard input, or the JSON itself

The seed is the SHA-256 of canonical JSON naming the signed checkpoint (size and root) the draw
used, the trade's reference and the round number. The checkpoint is signed in the draw's own
transaction, so its root covers every entry up to the moment of the draw (including the move that
triggered it) and nobody knew it in advance; the draw entry comes after the checkpoint in the log,
so the result is bound to it. Selection: the candidates (registry ids) in ascending order, then a
partial Fisher-Yates shuffle whose random numbers are 64-bit words of SHA-256(seed || counter)
(counter mode), each reduced to a range by rejection sampling (no modulo bias). The first `count`
positions are the selected supervisors, in draw order.
"""
from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator, Sequence

PURPOSE = "social-supervisor-draw"
FORMAT = 1


def canonical(obj) -> bytes:
    """The same canonical JSON as the audit log: UTF-8, sorted keys, no white space.

    A deliberate copy of trading.canonical.canonical_json: this replay tool runs with the standard
    library alone, and importing trading.canonical would run trading/__init__.py (Flask).
    tests/trading/test_canonical.py proves both give identical bytes."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def seed_material(checkpoint_size: int, checkpoint_root: str, trade_ref: str, round_no: int) -> bytes:
    """The bytes the seed is hashed from: public, logged, fixed before the result is known."""
    return canonical({"v": FORMAT, "purpose": PURPOSE, "checkpoint": {"size": int(checkpoint_size),
                                                                       "root": checkpoint_root.lower()},
                      "trade": trade_ref, "round": int(round_no)})


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
    """Select `count` of `candidates` (fewer if there are fewer) from the seed material; deterministic."""
    pool = sorted(set(int(c) for c in candidates))
    words = _words(seed_of(material))
    take = max(0, min(int(count), len(pool)))
    for i in range(take):
        j = i + _below(words, len(pool) - i)
        pool[i], pool[j] = pool[j], pool[i]
    return pool[:take]


def _draw_data(entry) -> dict:
    """The draw's logged data from any form a person may hold it in: an export or API row
    ({"body": "..."} or {"entry": {...}}), an entry body (dict or JSON text), or its "after" part."""
    if isinstance(entry, (bytes, str)):
        entry = json.loads(entry)
    if not isinstance(entry, dict):
        raise ValueError("a draw entry is a JSON object")
    if isinstance(entry.get("body"), str):
        entry = json.loads(entry["body"])
    elif isinstance(entry.get("entry"), dict):
        entry = entry["entry"]
    if "action" in entry:
        if entry["action"] != "supervisors.draw":
            raise ValueError(f"not a draw entry: {entry['action']}")
        entry = entry.get("after") or {}
    if "checkpoint" not in entry or "candidates" not in entry:
        raise ValueError("the entry holds no draw (checkpoint and candidates missing)")
    return entry


def replay(entry) -> dict:
    """Recompute a logged draw with no database: seed from the logged checkpoint, trade and round,
    then the selection over the logged candidates. `matches` says whether it equals the logged result."""
    data = _draw_data(entry)
    cp = data["checkpoint"]
    material = seed_material(cp["size"], cp["root"], data["trade"], data["round"])
    seed = seed_of(material).hex()
    selected = draw(material, data["candidates"], data["count"])
    logged = data.get("selected")
    return {"trade": data["trade"], "round": data["round"], "checkpoint": {"size": cp["size"], "root": cp["root"]},
            "seed": seed, "seed_matches": data.get("seed") in (None, seed), "candidates": sorted(data["candidates"]),
            "count": data["count"], "selected": selected, "logged": logged,
            "matches": logged == selected and data.get("seed") in (None, seed)}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m monitor.verify.draw ENTRY_JSON   (a file, '-' for stdin, or the JSON text)", file=sys.stderr)
        return 2
    arg = argv[0]
    if arg == "-":
        text = sys.stdin.read()
    elif arg.lstrip().startswith("{"):
        text = arg
    else:
        with open(arg, encoding="utf-8") as fh:
            text = fh.read()
    try:
        result = replay(text)
    except (ValueError, KeyError, TypeError) as exc:
        print(f"not a draw entry: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, ensure_ascii=False, indent=2, sort_keys=True))
    if result["logged"] is not None and not result["matches"]:
        print("MISMATCH: the logged result is not what the seed gives", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
