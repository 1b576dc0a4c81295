"""A round's way from fixed to drawn, for any purpose registered here (docs/draws.md).

1. `fix` logs ("<prefix>.draw_fixed") everything the draw uses but the randomness: the trade, the
   round, the candidates (ascending ids), the count and the end of the commitment window.
2. Until then the purpose's contributors may `commit` to 32 secret bytes ("<prefix>.draw_commit").
3. The tick after the window signs a checkpoint of the whole log, the beacon ("<prefix>.draw_sealed").
4. Contributors `reveal` ("<prefix>.draw_reveal"); the draw runs at the last reveal, at the tick after
   the reveal window, or at once when nobody committed ("<prefix>.draw": seed, order, selection), and
   the purpose's `on_drawn` seats the selected.

The lower layer cannot write the audit log or sign checkpoints: the supervision plane installs both
(`install_ledger`) in the app factory. Without them no round can be fixed.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from trading.clock import now
from trading.draws import lottery
from trading.draws.models import DrawRound, DrawRoundContribution
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import begin_write, db

FIXED, SEALED, DRAWN = "fixed", "sealed", "drawn"
HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Purpose:
    """What a kind of draw is: `key` enters the seed, `prefix` names its audit entries, `member` the field
    naming a drawn id in them, `on_drawn(round_row, by_position)` seats whoever was drawn. `unnamed`: the
    pseudonym kind under which the log names the candidates while who was drawn is confidential (an
    invitation tender's invitees are potential bidders, "org" as in the trade's bids); None: by their ids."""

    key: str
    prefix: str
    member: str
    on_drawn: Callable[[DrawRound], None]
    unnamed: str | None = None


PURPOSES: dict[str, Purpose] = {}
#: filled by the supervision plane: record(action, obj=, trade=, actor=, after=) -> entry index;
#: beacon() -> a signed checkpoint (id, size, root bytes, at) of the whole log as of now;
#: seal(trade_id, kind, value) -> the log's per-trade pseudonym of a confidential identity
LEDGER: dict[str, Callable[..., Any] | None] = {"record": None, "beacon": None, "seal": None}


def register_purpose(purpose: Purpose) -> None:
    PURPOSES[purpose.key] = purpose


def install_ledger(record: Callable[..., int], beacon: Callable[[], Any],
                   seal: Callable[[int, str, Any], str] | None = None) -> None:
    LEDGER["record"], LEDGER["beacon"], LEDGER["seal"] = record, beacon, seal


def logged_members(purpose: str, trade_id: int, members: list[int]) -> list:
    """Members as the log names them: ids, or for an unnamed purpose the trade's pseudonyms (the same as
    the log gives the trade's bidders), in the same positions, so the log still shows how many, which
    position was drawn and that the same company recurs, but not which company it is."""
    kind = PURPOSES[purpose].unnamed
    if kind is None:
        return list(members)
    seal = LEDGER["seal"]
    if seal is None:
        raise RuntimeError("an unnamed draw needs the log's pseudonyms (trading.draws.install_ledger)")
    return [seal(trade_id, kind, m) for m in members]


def log(action: str, trade, actor=None, after: dict | None = None) -> int:
    record = LEDGER["record"]
    if record is None:
        raise RuntimeError("draws need the audit log: the app factory installs it (trading.draws.install_ledger)")
    return record(action, obj={"type": "trade", "id": trade.id}, trade=trade, actor=actor, after=after)


def window(name: str) -> timedelta:
    """<PURPOSE>_COMMIT_SECONDS / _REVEAL_SECONDS, else the supervisor draws' setting, else 600."""
    return timedelta(seconds=float(current_app.config.get(name, 600)))


def rounds(purpose: str, trade) -> list[DrawRound]:
    return list(db.session.scalars(sa.select(DrawRound).where(DrawRound.purpose == purpose,
                                                              DrawRound.trade_id == trade.id).order_by(DrawRound.round)))


def pending(purpose: str, trade) -> DrawRound | None:
    return db.session.scalar(sa.select(DrawRound).where(DrawRound.purpose == purpose, DrawRound.trade_id == trade.id,
                                                        DrawRound.status != DRAWN))


def fix(purpose: str, trade, candidates: list[int], count: int, *, actor=None, trigger: str = "manual",
        params: dict | None = None, extra: dict | None = None) -> DrawRound:
    """Fix a round: after this entry nothing about the candidates or the count can change."""
    p = PURPOSES[purpose]
    pool = sorted(set(int(c) for c in candidates))
    round_no = (db.session.scalar(sa.select(sa.func.max(DrawRound.round)).where(
        DrawRound.purpose == purpose, DrawRound.trade_id == trade.id)) or 0) + 1
    at = now()
    commit_until = at + window("DRAW_COMMIT_SECONDS")
    # an unnamed draw's candidates are pseudonyms in the log, but a reader who rebuilds the list (every registered
    # supplier) could still compute the draw from the beacon and the reveals: a secret enters its seed, committed
    # to here, before the beacon, and published at the opening
    salt = secrets.token_hex(32) if p.unnamed is not None else None
    data = {"v": lottery.FORMAT, "purpose": purpose, "trade": trade.ref, "trade_id": trade.id, "round": round_no,
            "trigger": trigger, "candidates": logged_members(purpose, trade.id, pool), "count": int(count),
            "params": params or {},
            "commit_until": commit_until.isoformat(),
            "reveal_seconds": int(window("DRAW_REVEAL_SECONDS").total_seconds()), **(extra or {})}
    if salt is not None:
        data["salt_commitment"] = salt_commitment(salt)
    seq = log(f"{p.prefix}.draw_fixed", trade, actor, data)
    row = DrawRound(purpose=purpose, trade_id=trade.id, round=round_no, trigger=trigger, status=FIXED,
                    params=params or {}, fixed_entry_seq=seq, commit_until=commit_until, candidates=pool,
                    count=int(count), selected=[], actor_id=getattr(actor, "id", None), at=at, salt=salt)
    db.session.add(row)
    db.session.flush()
    return row


def salt_commitment(salt: str) -> str:
    """What the log holds of an unnamed draw's secret until it is published: SHA-256 of its bytes, hex."""
    return hashlib.sha256(bytes.fromhex(salt)).hexdigest()


def locked(purpose: str, trade, round_no: int) -> DrawRound:
    """The round, locked against the tick sealing or drawing it meanwhile (SQLite: the write lock first)."""
    begin_write()
    row = db.session.scalar(sa.select(DrawRound).where(DrawRound.purpose == purpose, DrawRound.trade_id == trade.id,
                                                       DrawRound.round == round_no).with_for_update()
                            .execution_options(populate_existing=True))
    if row is None:
        raise InvalidInput({"round": [_("no such round of the draw for this trade")]})
    return row


def _hex(value, field: str) -> str:
    text = value.strip().lower() if isinstance(value, str) else ""
    if not HEX64.fullmatch(text):
        raise InvalidInput({field: [_("64 hexadecimal digits (32 bytes) expected")]})
    return text


def commit(actor, trade, purpose: str, round_no: int, commitment) -> DrawRoundContribution:
    """Commit to a contribution (SHA-256 hex of 32 random bytes the caller keeps); the caller's
    permission to contribute is checked by the purpose's own layer first."""
    value = _hex(commitment, "commitment")
    row = locked(purpose, trade, round_no)
    if row.status != FIXED or now() >= row.commit_until:
        raise IllegalMove(_("Commitments to round %(n)d are closed: its beacon is signed or due.", n=row.round),
                          code="commitments_closed")
    if any(c.user_id == actor.id for c in row.contributions):
        raise IllegalMove(_("You have already committed to this round."), code="already_committed")
    seq = log(f"{PURPOSES[purpose].prefix}.draw_commit", trade, actor,
              {"purpose": purpose, "trade": trade.ref, "round": row.round, "user": actor.id, "commitment": value})
    c = DrawRoundContribution(round_id=row.id, user_id=actor.id, commitment=value, committed_seq=seq,
                              committed_at=now())
    db.session.add(c)
    db.session.flush()
    db.session.refresh(row)
    return c


def reveal(actor, trade, purpose: str, round_no: int, value) -> DrawRoundContribution:
    """Reveal the bytes committed to; the last reveal runs the draw."""
    text = _hex(value, "reveal")
    row = locked(purpose, trade, round_no)
    mine = next((c for c in row.contributions if c.user_id == actor.id), None)
    if mine is None:
        raise InvalidInput({"round": [_("you made no commitment to this round")]})
    if row.status != SEALED:
        raise IllegalMove(_("Round %(n)d takes no reveals now: they open when its beacon is signed and close "
                            "when it is drawn.", n=row.round), code="not_revealing")
    if mine.reveal is not None:
        raise IllegalMove(_("You have already revealed your contribution."), code="already_revealed")
    if lottery.commitment_of(text) != mine.commitment:
        raise InvalidInput({"reveal": [_("its SHA-256 is not the commitment you made")]})
    mine.reveal, mine.revealed_at = text, now()
    mine.revealed_seq = log(f"{PURPOSES[purpose].prefix}.draw_reveal", trade, actor,
                            {"purpose": purpose, "trade": trade.ref, "round": row.round, "user": actor.id,
                             "commitment": mine.commitment, "reveal": text})
    db.session.flush()
    if all(c.reveal is not None for c in row.contributions):
        execute(row)
    return mine


def seal(row: DrawRound) -> None:
    """Sign the beacon: a checkpoint of the whole log, after the round was fixed and every commitment."""
    trade = row.trade
    db.session.flush()
    cp = LEDGER["beacon"]()
    row.checkpoint_id, row.checkpoint_size, row.checkpoint_root = cp.id, cp.size, bytes(cp.root).hex()
    row.reveal_until = now() + window("DRAW_REVEAL_SECONDS")
    row.status = SEALED
    row.sealed_entry_seq = log(f"{PURPOSES[row.purpose].prefix}.draw_sealed", trade, None, {
        "purpose": row.purpose, "trade": trade.ref, "round": row.round, "fixed": row.fixed_entry_seq,
        "beacon": {"id": cp.id, "size": cp.size, "root": row.checkpoint_root, "at": cp.at.isoformat()},
        "commitments": [{"user": c.user_id, "commitment": c.commitment, "entry": c.committed_seq}
                        for c in row.contributions],
        "reveal_until": row.reveal_until.isoformat()})
    db.session.flush()
    if not row.contributions:
        execute(row)


def execute(row: DrawRound) -> None:
    """Draw the round from its seed; the purpose seats the first `count` of the order."""
    trade = row.trade
    p = PURPOSES[row.purpose]
    revealed = [c for c in row.contributions if c.reveal is not None]
    material = lottery.seed_material(purpose=row.purpose, trade_ref=trade.ref, round_no=row.round,
                                     fixed=row.fixed_entry_seq, candidates=row.candidates, count=row.count,
                                     beacon_size=row.checkpoint_size, beacon_root=row.checkpoint_root,
                                     contributions=[(c.commitment, c.reveal) for c in revealed], salt=row.salt)
    order = lottery.order(material, row.candidates)
    selected = order[:row.count]
    data = {"v": lottery.FORMAT, "purpose": row.purpose, "trade": trade.ref, "trade_id": trade.id,
            "round": row.round, "trigger": row.trigger, "params": row.params, "fixed": row.fixed_entry_seq,
            "sealed": row.sealed_entry_seq,
            "beacon": {"id": row.checkpoint_id, "size": row.checkpoint_size, "root": row.checkpoint_root},
            "contributions": [{"user": c.user_id, "commitment": c.commitment, "reveal": c.reveal}
                              for c in row.contributions],
            "seed": lottery.seed_of(material).hex(), "candidates": sorted(row.candidates), "count": row.count,
            "order": order, "selected": selected, "shortfall": row.count - len(selected),
            "algorithm": lottery.ALGORITHM}
    if p.unnamed is not None:  # who was drawn stays unnamed in the log: the seed binds the real candidates
        data |= {k: logged_members(row.purpose, trade.id, data[k]) for k in ("candidates", "order", "selected")}
        data |= {"withheld": "candidates", "salt_commitment": salt_commitment(row.salt)}
    row.entry_seq = log(f"{p.prefix}.draw", trade, None, data)
    row.seed, row.order, row.selected, row.status, row.at = data["seed"], order, selected, DRAWN, now()
    db.session.flush()
    p.on_drawn(row)


def run_due() -> int:
    """The tick: seal each fixed round whose commitments are closed, draw each sealed round whose reveals
    are closed; each round in its own transaction. Returns how many rounds moved."""
    if LEDGER["record"] is None:
        return 0
    at = now()
    due = db.session.scalars(sa.select(DrawRound.id).where(
        sa.or_(sa.and_(DrawRound.status == FIXED, DrawRound.commit_until <= at),
               sa.and_(DrawRound.status == SEALED, DrawRound.reveal_until <= at))).order_by(DrawRound.id)).all()
    moved = 0
    for round_id in due:
        begin_write()
        row = db.session.scalar(sa.select(DrawRound).where(DrawRound.id == round_id).with_for_update()
                                .execution_options(populate_existing=True))
        if row.status == FIXED and row.commit_until <= at:
            seal(row)
        elif row.status == SEALED and row.reveal_until <= at:
            execute(row)
        else:
            db.session.rollback()
            continue
        db.session.commit()
        moved += 1
    return moved


def next_position(row: DrawRound, used: list[int], why_not: Callable[[int], str | None]) -> tuple[int, int, list]:
    """The replacement the round's order gives after the last position used: (position, id, skipped),
    passing over (with the reason) ids `why_not` refuses; position -1 when the order is exhausted."""
    skipped = []
    for pos in range(max(used, default=-1) + 1, len(row.order or [])):
        member = row.order[pos]
        why = why_not(member)
        if why is not None:
            skipped.append({"position": pos, "member": member, "why": why})
            continue
        return pos, member, skipped
    return -1, -1, skipped
