"""The verifiable draws (social supervisors, evaluation experts): pure functions, no database, no Flask,
standard library only. The platform draws with trading.draws.lottery; this is its deliberate offline copy
(tests/trading/test_draw_lottery.py proves both agree for every purpose).

A round is fixed first (entry "supervisors.draw_fixed": the trade, the round, the candidates and the
count), parties may commit to secret contributions (SHA-256 of 32 random bytes), then the platform
signs a checkpoint covering all of that (the beacon, entry "supervisors.draw_sealed"), the
contributors reveal, and the draw runs (entry "supervisors.draw"). The seed is the SHA-256 of
canonical JSON naming all of it: see docs/draws.md for what each part protects against.

Selection: the candidates (registry ids) in ascending order, then a Fisher-Yates shuffle of the whole
list whose random numbers are 64-bit words of SHA-256(seed || counter) (counter mode), each reduced
to a range by rejection sampling (no modulo bias). The first `count` of that order serve; the rest,
in order, are the round's reserve: a supervisor who steps aside is replaced by the next reserve
candidate, so every replacement is fixed when the round is drawn, before any recusal.

Anyone can replay a draw entry on their own machine:

    python -m monitor.verify.draw ENTRY_JSON [ROUND_JSON]   # each a file, '-' for standard input, or the JSON

An invitation tender's invitee draw names its candidates in the log by the trade's pseudonyms ("anon:..."),
as the log names the trade's bidders: who may bid is not disclosed before the opening (Tendering Law Art 22).
Its seed hashes the real candidates and a secret of the platform's whose SHA-256 the round's fixing logged
(`salt_commitment`: a reader who rebuilds the candidate list cannot compute the draw), so before the opening
the replay says so and checks nothing more. Once the opening named the bidders, the trade's invitees
(GET /api/v1/trades/<id>/invitees) publish each round's candidates (ascending ids) and secret: give that round
(or {"candidates": [...], "salt": "..."}) as ROUND_JSON and the replay checks the secret against its commitment,
recomputes the seed from them and reads the logged order and selection position by position (the n-th
pseudonym is the n-th candidate).

`python -m monitor.verify EXPORT_DIR` replays every draw and replacement of a whole export and also
checks the order of the entries (fixed, commitments, beacon, reveals, draw) and the beacon's signature.
"""
from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator, Sequence

PURPOSE = "social-supervisor-draw"
#: the draw entries this tool replays: action -> the purpose a draw of that kind names when it names none
DRAW_ACTIONS = {"supervisors.draw": PURPOSE, "experts.draw": "expert-draw", "invitees.draw": "invitee-draw"}
FORMAT = 2
ALGORITHM = "sha256-ctr/rejection/fisher-yates v2 (python -m monitor.verify.draw)"


def canonical(obj) -> bytes:
    """The same canonical JSON as the audit log: UTF-8, sorted keys, no white space.

    A deliberate copy of trading.canonical.canonical_json: this replay tool runs with the standard
    library alone, and importing trading.canonical would run trading/__init__.py (Flask).
    tests/trading/test_canonical.py proves both give identical bytes."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def commitment_of(reveal_hex: str) -> str:
    """A contribution's commitment: SHA-256 of its 32 revealed bytes, hex."""
    return hashlib.sha256(bytes.fromhex(reveal_hex)).hexdigest()


def seed_material(*, trade_ref: str, round_no: int, fixed: int, candidates: Sequence[int], count: int,
                  beacon_size: int, beacon_root: str, contributions: Sequence[tuple[str, str]],
                  purpose: str = PURPOSE, salt: str | None = None) -> bytes:
    """The bytes the seed is hashed from: the round as fixed (entry index `fixed`, the candidates, the
    count), the beacon checkpoint signed after every commitment, and the revealed contributions
    (commitment, value), sorted by commitment. Withheld contributions are not part of it."""
    material = {"v": FORMAT, "purpose": purpose, "trade": trade_ref, "round": int(round_no),
                "fixed": int(fixed), "candidates": sorted(int(c) for c in candidates), "count": int(count),
                "beacon": {"size": int(beacon_size), "root": beacon_root.lower()},
                "contributions": sorted([c.lower(), r.lower()] for c, r in contributions)}
    if salt is not None:  # an invitee draw: the platform's secret, committed to at the fixing (salt_commitment)
        material["salt"] = salt.lower()
    return canonical(material)


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
    """Select `count` of `candidates` (fewer if there are fewer) from the seed material; deterministic.
    A partial Fisher-Yates shuffle: the first k of a longer draw are the k-draw."""
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


def _body(entry) -> dict:
    """An entry's body from any form a person may hold it in: an export or API row ({"body": "..."}
    or {"entry": {...}}), or an entry body (dict or JSON text)."""
    if isinstance(entry, (bytes, str)):
        entry = json.loads(entry)
    if not isinstance(entry, dict):
        raise ValueError("a draw entry is a JSON object")
    if isinstance(entry.get("body"), str):
        entry = json.loads(entry["body"])
    elif isinstance(entry.get("entry"), dict):
        entry = entry["entry"]
    return entry


def _draw_data(entry) -> dict:
    entry = _body(entry)
    if "action" in entry:
        if entry["action"] not in DRAW_ACTIONS:
            raise ValueError(f"not a draw entry: {entry['action']}")
        entry = {**(entry.get("after") or {}), "purpose": DRAW_ACTIONS[entry["action"]]}  # the kind fixes it
    if "candidates" not in entry or "count" not in entry:
        raise ValueError("the entry holds no draw (candidates and count missing)")
    if entry.get("v") != FORMAT or "beacon" not in entry or "fixed" not in entry:
        raise ValueError(f"draw format {entry.get('v')!r}: its seed was not committed before the draw "
                         f"(format {FORMAT} names the entry that fixed it and a later beacon)")
    return entry


WITHHELD = ("the candidates of this draw are named by pseudonyms until the trade's opening names its bidders "
            "(Tendering Law Art 22): its seed hashes the real candidates and a secret, which the trade's invitees "
            "publish then; "
            "replay it with the round published then (python -m monitor.verify.draw ENTRY_JSON ROUND_JSON)")


def withheld(entry) -> bool:
    """Whether a draw's logged candidates are pseudonyms rather than ids."""
    data = _draw_data(entry)
    return any(not isinstance(c, int) or isinstance(c, bool) for c in data["candidates"])


def _salt_opens(salt: str, commitment: str) -> bool:
    try:
        return hashlib.sha256(bytes.fromhex(salt)).hexdigest() == commitment.lower()
    except ValueError:
        return False


def _unmask(data: dict, candidates: Sequence[int]) -> dict:
    """The logged draw with its pseudonyms read as the published candidates, position by position."""
    real = sorted(set(int(c) for c in candidates))
    logged = list(data["candidates"])
    if len(real) != len(logged) or len(set(logged)) != len(logged):
        raise ValueError(f"{len(real)} candidates given, the draw logged {len(logged)}")
    of = dict(zip(logged, real))

    def read(values):
        return None if values is None else [of.get(v, v) for v in values]

    return {**data, "candidates": real, "order": read(data.get("order")), "selected": read(data.get("selected"))}


def replay(entry, candidates: Sequence[int] | None = None, salt: str | None = None) -> dict:
    """Recompute a logged draw with no database: the seed from the logged round, beacon and revealed
    contributions, then the order over the logged candidates. `matches` says whether seed, order and
    selection equal the logged ones. (Whether the beacon is real and came after the commitments is
    what `python -m monitor.verify` checks against the whole export.) A draw whose candidates are
    pseudonyms needs the `candidates` and the `salt` published at the opening; without them `withheld` says
    why and `matches` is None."""
    data = _draw_data(entry)
    committed = data.get("salt_commitment")
    if candidates is not None:
        data = _unmask(data, candidates)
    elif withheld(data):
        return {"trade": data["trade"], "round": data["round"], "fixed": data["fixed"], "count": data["count"],
                "candidates": len(data["candidates"]), "seed": data.get("seed"), "withheld": WITHHELD,
                "logged": data.get("selected"), "failed": [], "matches": None}
    beacon = data["beacon"]
    revealed = [(c["commitment"], c["reveal"]) for c in data.get("contributions") or [] if c.get("reveal")]
    bad = [c for c, r in revealed if commitment_of(r) != c.lower()]
    material = seed_material(trade_ref=data["trade"], round_no=data["round"], fixed=data["fixed"],
                             candidates=data["candidates"], count=data["count"], beacon_size=beacon["size"],
                             beacon_root=beacon["root"], contributions=revealed,
                             purpose=data.get("purpose") or PURPOSE, salt=salt if committed else None)
    seed = seed_of(material).hex()
    full = order(material, data["candidates"])
    selected = full[:max(0, int(data["count"]))]
    logged = data.get("selected")
    checks = {"seed": data.get("seed") == seed, "order": data.get("order") == full, "selected": logged == selected,
              "reveals": not bad}
    if committed:  # the secret published at the opening is the one committed to when the round was fixed
        checks["salt"] = isinstance(salt, str) and _salt_opens(salt, committed)
    return {"trade": data["trade"], "round": data["round"], "fixed": data["fixed"],
            "beacon": {"size": beacon["size"], "root": beacon["root"]}, "contributions": len(revealed),
            "seed": seed, "seed_matches": checks["seed"], "candidates": sorted(data["candidates"]),
            "count": data["count"], "order": full, "selected": selected, "logged": logged,
            "failed": [k for k, ok in checks.items() if not ok], "matches": all(checks.values())}


def replacement_for(draw_order: Sequence[int], used: Sequence[int], skipped: Sequence[int]) -> tuple[int, int] | None:
    """The replacement a round's order gives: (position, candidate) of the first candidate after the
    last position used whose position is not among the `skipped` (logged as no longer eligible);
    None when the reserve is exhausted."""
    start = max(used, default=-1) + 1
    for pos in range(start, len(draw_order)):
        if pos not in skipped:
            return pos, draw_order[pos]
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) not in (1, 2):
        print("usage: python -m monitor.verify.draw ENTRY_JSON [ROUND_JSON]   (each a file, '-' for stdin, "
              "or the JSON text)", file=sys.stderr)
        return 2
    texts = [_read(arg) for arg in argv]
    try:
        published = json.loads(texts[1]) if len(texts) == 2 else None
        if published is not None and not (isinstance(published, dict) and isinstance(published.get("candidates"), list)):
            raise ValueError('ROUND_JSON is the round the trade published: {"candidates": [...], "salt": "..."}')
        result = replay(texts[0], published and published["candidates"], published and published.get("salt"))
    except (ValueError, KeyError, TypeError) as exc:
        print(f"not a draw entry: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, ensure_ascii=False, indent=2, sort_keys=True))
    if result["matches"] is None:
        print(f"WITHHELD: {result['withheld']}", file=sys.stderr)
        return 0
    if result["logged"] is not None and not result["matches"]:
        print(f"MISMATCH: the logged {', '.join(result['failed'])} is not what the seed gives", file=sys.stderr)
        return 1
    return 0


def _read(arg: str) -> str:
    if arg == "-":
        return sys.stdin.read()
    if arg.lstrip().startswith(("{", "[")):
        return arg
    with open(arg, encoding="utf-8") as fh:
        return fh.read()


if __name__ == "__main__":
    raise SystemExit(main())
