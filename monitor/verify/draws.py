"""Every draw in an export (social supervisors, evaluation experts, invitees), replayed from the log (docs/draws.md).

For each round: the entry that fixed it (candidates, count) comes before its beacon; every commitment
comes after the fixing and is covered by the beacon; the beacon is a checkpoint of the export whose
signature verified; every reveal comes after the beacon and hashes to its commitment; the draw entry
names exactly that round, beacon and those contributions, and its seed, order and selection are what
they give. For each replacement: it takes the next position of its round's order (after the last
one used, past those it lists as skipped) and comes after the recusal it answers.
"""
from __future__ import annotations

import json
from pathlib import Path

from monitor.verify import draw as drawing
from monitor.verify.checkpoints import Checkpoint
from monitor.verify.report import Finding, Report
from monitor.verify.tree import CHUNK

#: the kinds of draw: the prefix of their entries' actions -> the field naming a drawn member in them
KINDS = {"supervisors": "supervisor", "experts": "expert", "invitees": "supplier"}
MARKERS = tuple(f'"action":"{prefix}.'.encode() for prefix in KINDS)
STEPS = ("draw_fixed", "draw_commit", "draw_sealed", "draw_reveal", "draw", "replacement", "recusal")
ACTIONS = tuple(f"{prefix}.{step}" for prefix in KINDS for step in STEPS)


def _find(block: bytes, start: int) -> int:
    """The first of the markers at or after `start` (-1: none)."""
    hits = [i for i in (block.find(m, start) for m in MARKERS) if i >= 0]
    return min(hits, default=-1)


def draw_entries(path: Path) -> list[tuple[int, dict]]:
    """(line number, body) of the draw, commitment, beacon, reveal, replacement and recusal entries, in log
    order. Blocks without the marker are skipped in C; only matching lines are parsed."""
    found: list[tuple[int, dict]] = []
    seen, carry = 0, b""
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(CHUNK * 8)
            block = carry + chunk
            cut = block.rfind(b"\n") + 1 if chunk else len(block)
            carry, block = block[cut:], block[:cut]
            at = _find(block, 0)
            while at >= 0:
                start = block.rfind(b"\n", 0, at) + 1
                end = block.find(b"\n", at)
                end = len(block) if end < 0 else end
                try:
                    body = json.loads(block[start:end])
                except ValueError:
                    body = None
                if isinstance(body, dict) and body.get("action") in ACTIONS and isinstance(body.get("after"), dict):
                    found.append((seen + block.count(b"\n", 0, start), body))
                at = _find(block, end)
            seen += block.count(b"\n")
            if not chunk:
                break
    return found


class _Round:
    def __init__(self) -> None:
        self.fixed: tuple[int, dict] | None = None
        self.commits: list[tuple[int, dict]] = []
        self.sealed: tuple[int, dict] | None = None
        self.reveals: list[tuple[int, dict]] = []
        self.draw: tuple[int, dict] | None = None
        self.used: list[int] = []
        self.withheld = False  # its candidates are pseudonyms until the trade's opening (an invitee draw)


def check(path: Path, signed: list[Checkpoint], report: Report) -> None:
    """Append a finding (what="draw") for every draw or replacement the log does not bear out."""
    cps = {(cp.id, cp.size, cp.root.hex()) for cp in signed}
    rounds: dict[tuple, _Round] = {}
    recusals: dict[int, tuple[str, dict]] = {}
    draws = replacements = 0

    def bad(index: int, message: str) -> None:
        report.findings.append(Finding("draw", f"entry {index}: {message}"))

    for index, body in draw_entries(path):
        prefix, step = body["action"].split(".", 1)
        after = body["after"]
        if step == "recusal":
            recusals[index] = (prefix, after)
            continue
        # rounds of different kinds of draw are numbered apart: the kind is part of the key
        key = (after.get("trade"), after.get("round"), prefix)
        rnd = rounds.setdefault(key, _Round())
        if step == "draw_fixed":
            rnd.fixed = (index, after)
        elif step == "draw_commit":
            if rnd.fixed is None or rnd.sealed is not None:
                bad(index, f"a commitment to round {key[1]} of {key[0]} outside its commitment window")
            rnd.commits.append((index, after))
        elif step == "draw_sealed":
            rnd.sealed = (index, after)
        elif step == "draw_reveal":
            rnd.reveals.append((index, after))
        elif step == "draw":
            draws += 1
            rnd.draw = (index, {**after, "purpose": drawing.DRAW_ACTIONS[body["action"]]})  # the kind fixes it
            _check_draw(index, key, rnd, cps, bad)
            rnd.used = list(range(int(after.get("count") or 0)))
        elif step == "replacement":
            replacements += 1
            _check_replacement(index, key, after, rnd, recusals, bad)
    withheld = sum(1 for rnd in rounds.values() if rnd.withheld)
    report.say(f"Draws: {draws} draw(s) and {replacements} replacement(s) replayed from the log"
               if draws or replacements else "Draws: none")
    if withheld:
        report.say(f"Draws: {withheld} invitee draw(s) name their candidates by pseudonyms until their trade's "
                   "opening; their order of entries is checked, their seed only with the candidates and secret published "
                   "then (python -m monitor.verify.draw ENTRY_JSON ROUND_JSON)")


def _check_draw(index: int, key: tuple, rnd: _Round, cps: set, bad) -> None:
    after = rnd.draw[1]
    name = f"the draw of round {key[1]} of {key[0]}"
    try:
        result = drawing.replay(after)
    except (ValueError, KeyError, TypeError) as exc:
        bad(index, f"{name} ran on a seed not committed in advance ({exc})")
        return
    if result["matches"] is None:
        rnd.withheld = True  # an invitee draw: its order of entries is checked below, its seed after the opening
    elif not result["matches"]:
        bad(index, f"{name} does not replay: its logged {', '.join(result['failed'])} is not what its inputs give")
    if rnd.fixed is None:
        bad(index, f"{name} ran on a seed not committed in advance: no entry fixed the round before it")
        return
    fixed_at, fixed = rnd.fixed
    if after.get("fixed") != fixed_at:
        bad(index, f"{name} names entry {after.get('fixed')} as its fixing, the log fixed it at entry {fixed_at}")
    if sorted(after.get("candidates") or []) != sorted(fixed.get("candidates") or []) \
            or after.get("count") != fixed.get("count") \
            or after.get("salt_commitment") != fixed.get("salt_commitment"):
        bad(index, f"{name} does not use the candidates and count (and secret) fixed at entry {fixed_at}")
    if rnd.sealed is None:
        bad(index, f"{name} ran on a seed not committed in advance: no beacon entry came before it")
        return
    sealed_at, sealed = rnd.sealed
    beacon = after.get("beacon") or {}
    logged = sealed.get("beacon") or {}
    cp = (logged.get("id"), logged.get("size"), logged.get("root"))
    if (beacon.get("size"), beacon.get("root")) != (logged.get("size"), logged.get("root")):
        bad(index, f"{name} uses beacon size {beacon.get('size')}, not the one entry {sealed_at} sealed it with")
    if cp not in cps:
        bad(sealed_at, f"the beacon of round {key[1]} of {key[0]} (checkpoint {cp[0]}, size {cp[1]}) is not a "
                       "checkpoint of the export whose signature verifies")
    size = logged.get("size")
    if not isinstance(size, int) or size <= fixed_at:
        bad(sealed_at, f"the beacon of round {key[1]} of {key[0]} does not cover the entry that fixed it "
                       f"({fixed_at}): its seed could have been known when it was fixed")
        return
    committed = {c["commitment"]: i for i, c in rnd.commits}
    for i, c in rnd.commits:
        if i >= size:
            bad(i, f"a commitment to round {key[1]} of {key[0]} is not covered by its beacon (size {size})")
    if sorted(c.get("commitment") for c in sealed.get("commitments") or []) != sorted(committed):
        bad(sealed_at, f"the beacon entry of round {key[1]} of {key[0]} does not list the commitments the log holds")
    revealed = {}
    for i, r in rnd.reveals:
        if i < size or i > index:
            bad(i, f"a reveal for round {key[1]} of {key[0]} outside the window between its beacon and its draw")
        if r.get("commitment") not in committed or drawing.commitment_of(r.get("reveal") or "00") != r["commitment"]:
            bad(i, f"a reveal for round {key[1]} of {key[0]} does not open a commitment made to it")
        revealed[r.get("commitment")] = r.get("reveal")
    used = {c.get("commitment"): c.get("reveal") for c in after.get("contributions") or []}
    if set(used) != set(committed) or {c: v for c, v in used.items() if v} != revealed:
        bad(index, f"{name} does not use exactly the contributions committed and revealed in the log")
    if index <= sealed_at:
        bad(index, f"{name} comes before its beacon entry")


def _check_replacement(index: int, key: tuple, after: dict, rnd: _Round, recusals: dict, bad) -> None:
    name = f"the replacement in round {key[1]} of {key[0]}"
    member = KINDS[key[2]]
    if rnd.draw is None:
        bad(index, f"{name} names a round never drawn")
        return
    order = rnd.draw[1].get("order") or []
    skipped = {s.get("position") for s in after.get("skipped") or [] if isinstance(s, dict)}
    expected = drawing.replacement_for(order, rnd.used, skipped)
    position = after.get("position")
    last = max(rnd.used, default=-1)
    if expected is None or (position, after.get(member)) != expected \
            or any(not isinstance(p, int) or not last < p < position for p in skipped):
        bad(index, f"{name} takes position {position} ({member} {after.get(member)}); the order drawn at "
                   f"entry {rnd.draw[0]} gives {expected} after position {last}")
    recusal = after.get("recusal")
    earlier = recusals.get(recusal)
    if earlier is None or recusal >= index or earlier[0] != key[2] or earlier[1].get(member) != after.get("replaces"):
        bad(index, f"{name} answers no earlier recusal of {member} {after.get('replaces')}")
    if isinstance(position, int):
        rnd.used.append(position)
