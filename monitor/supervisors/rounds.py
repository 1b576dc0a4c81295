"""A fixed round's way to its draw: parties commit, the beacon is signed, they reveal, the draw runs.

1. While the round is fixed (until `commit_until`), any supervisor of the trade's centre may commit
   to a contribution: the SHA-256 of 32 random bytes they keep ("supervisors.draw_commit").
2. The tick after `commit_until` signs a checkpoint covering the whole log - the round as fixed and
   every commitment - and logs it as the round's beacon ("supervisors.draw_sealed").
3. Contributors reveal their bytes ("supervisors.draw_reveal") until `reveal_until`; the draw runs at
   the last reveal, or at the tick after `reveal_until` without the withheld ones, or at once when
   nobody committed.
4. The draw ("supervisors.draw") orders the round's candidates from the seed (monitor.verify.draw);
   the first `count` serve, and anyone of them no longer eligible steps aside at once and is replaced
   by the next of the order.
"""
from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import gettext as _

from monitor.audit import log as audit
from monitor.supervisors import draws as rounds_of
from monitor.supervisors.draws import DRAWN, FIXED, SEALED, window
from monitor.supervisors.models import DrawContribution, SocialSupervisor, SupervisorDraw
from trading.draws import lottery as drawing
from trading.accounts.models import User
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import begin_write, db
from trading.permissions import require
from trading.trades.models import Trade

#: what the supervisors' seed names (monitor.verify.draw.PURPOSE, the offline copy)
PURPOSE = "social-supervisor-draw"
HEX64 = re.compile(r"[0-9a-f]{64}")


def _round(trade: Trade, round_no: int) -> SupervisorDraw:
    """The round, locked against the tick sealing or drawing it meanwhile (SQLite: the write lock first)."""
    begin_write()
    row = db.session.scalar(sa.select(SupervisorDraw).where(SupervisorDraw.trade_id == trade.id,
                                                            SupervisorDraw.round == round_no).with_for_update()
                            .execution_options(populate_existing=True))
    if row is None:
        raise InvalidInput({"round": [_("no such round of the draw for this trade")]})
    return row


def _hex(value, field: str) -> str:
    text = (value or "").strip().lower() if isinstance(value, str) else ""
    if not HEX64.fullmatch(text):
        raise InvalidInput({field: [_("64 hexadecimal digits (32 bytes) expected")]})
    return text


def commit(actor: User, trade: Trade, round_no: int, commitment: str | None) -> DrawContribution:
    """Commit to a contribution to a fixed round: SHA-256 (hex) of 32 random bytes the caller keeps."""
    require("supervisors.trade.contribute", trade, user=actor)
    value = _hex(commitment, "commitment")
    row = _round(trade, round_no)
    if row.status != FIXED or now() >= row.commit_until:
        raise IllegalMove(_("Commitments to round %(n)d are closed: its beacon is signed or due.", n=row.round),
                          code="commitments_closed")
    if db.session.scalar(sa.select(DrawContribution.id).where(DrawContribution.draw_id == row.id,
                                                              DrawContribution.user_id == actor.id)) is not None:
        raise IllegalMove(_("You have already committed to this round."), code="already_committed")
    seq = audit.record("supervisors.draw_commit", obj={"type": "trade", "id": trade.id}, trade=trade, actor=actor,
                       after={"trade": trade.ref, "round": row.round, "user": actor.id, "commitment": value})
    contribution = DrawContribution(draw_id=row.id, user_id=actor.id, commitment=value, committed_seq=seq,
                                    committed_at=now())
    db.session.add(contribution)
    db.session.flush()
    return contribution


def reveal(actor: User, trade: Trade, round_no: int, value: str | None) -> DrawContribution:
    """Reveal the bytes committed to; the last reveal runs the draw."""
    require("supervisors.trade.contribute", trade, user=actor)
    text = _hex(value, "reveal")
    row = _round(trade, round_no)
    mine = db.session.scalar(sa.select(DrawContribution).where(DrawContribution.draw_id == row.id,
                                                               DrawContribution.user_id == actor.id))
    if mine is None:
        raise InvalidInput({"round": [_("you made no commitment to this round")]})
    if row.status != SEALED:
        raise IllegalMove(_("Round %(n)d takes no reveals now: they open when its beacon is signed and close "
                            "when it is drawn.", n=row.round), code="not_revealing")
    if mine.reveal is not None:
        raise IllegalMove(_("You have already revealed your contribution."), code="already_revealed")
    if drawing.commitment_of(text) != mine.commitment:
        raise InvalidInput({"reveal": [_("its SHA-256 is not the commitment you made")]})
    mine.reveal, mine.revealed_at = text, now()
    mine.revealed_seq = audit.record("supervisors.draw_reveal", obj={"type": "trade", "id": trade.id}, trade=trade,
                                     actor=actor, after={"trade": trade.ref, "round": row.round, "user": actor.id,
                                                         "commitment": mine.commitment, "reveal": text})
    db.session.flush()
    if all(c.reveal is not None for c in row.contributions):
        execute(row)
    return mine


def seal(row: SupervisorDraw) -> None:
    """Sign the beacon: a checkpoint of the whole log, after the round was fixed and every commitment."""
    trade = db.session.get(Trade, row.trade_id)
    db.session.flush()
    cp = audit.sign_checkpoint("draw")
    row.checkpoint_id, row.checkpoint_size, row.checkpoint_root = cp.id, cp.size, bytes(cp.root).hex()
    row.reveal_until = now() + window("SUPERVISOR_DRAW_REVEAL_SECONDS")
    row.status = SEALED
    row.sealed_entry_seq = audit.record(
        "supervisors.draw_sealed", obj={"type": "trade", "id": trade.id}, trade=trade, after={
            "trade": trade.ref, "round": row.round, "fixed": row.fixed_entry_seq,
            "beacon": {"id": cp.id, "size": cp.size, "root": row.checkpoint_root, "at": audit.iso(cp.at)},
            "commitments": [{"user": c.user_id, "commitment": c.commitment, "entry": c.committed_seq}
                            for c in row.contributions],
            "reveal_until": audit.iso(row.reveal_until)})
    db.session.flush()
    if not row.contributions:
        execute(row)


def execute(row: SupervisorDraw) -> None:
    """Draw the round from its seed, seat the first `count` of the order, and step aside at once anyone
    of them no longer eligible (the next of the order replaces them)."""
    trade = db.session.get(Trade, row.trade_id)
    revealed = [c for c in row.contributions if c.reveal is not None]
    material = drawing.seed_material(trade_ref=trade.ref, round_no=row.round, fixed=row.fixed_entry_seq,
                                     candidates=row.candidates, count=row.count, beacon_size=row.checkpoint_size,
                                     beacon_root=row.checkpoint_root,
                                     contributions=[(c.commitment, c.reveal) for c in revealed],
                                     purpose=PURPOSE)
    order = drawing.order(material, row.candidates)
    selected = order[:row.count]
    by_id = {s.id: s for s in db.session.scalars(sa.select(SocialSupervisor)
                                                 .where(SocialSupervisor.id.in_(selected or [-1])))}
    data = {
        "v": drawing.FORMAT, "trade": trade.ref, "trade_id": trade.id, "round": row.round, "trigger": row.trigger,
        "fixed": row.fixed_entry_seq, "sealed": row.sealed_entry_seq,
        "beacon": {"id": row.checkpoint_id, "size": row.checkpoint_size, "root": row.checkpoint_root},
        "contributions": [{"user": c.user_id, "commitment": c.commitment, "reveal": c.reveal}
                          for c in row.contributions],
        "seed": drawing.seed_of(material).hex(), "candidates": sorted(row.candidates), "count": row.count,
        "order": order, "selected": selected, "selected_users": [by_id[i].user_id for i in selected],
        "certificates": [by_id[i].certificate_no for i in selected], "shortfall": row.count - len(selected),
        "algorithm": drawing.ALGORITHM,
    }
    why_not = {i: rounds_of.ineligible_because(by_id[i], trade) for i in selected}  # before they join
    row.entry_seq = audit.record("supervisors.draw", obj={"type": "trade", "id": trade.id}, trade=trade, after=data)
    row.seed, row.order, row.selected, row.status, row.at = data["seed"], order, selected, DRAWN, now()
    db.session.flush()
    made = [rounds_of.seat(trade, row, by_id[i], pos, row.entry_seq) for pos, i in enumerate(selected)]
    rounds_of.notify(trade, [d for d in made if why_not[d.supervisor_id] is None])
    for d in made:
        if why_not[d.supervisor_id] is not None:
            rounds_of.step_aside(d, trade, "ineligible", why_not[d.supervisor_id], None)


def run_due() -> int:
    """The tick: seal each fixed round whose commitments are closed, draw each sealed round whose
    reveals are closed; each round in its own transaction. Returns how many rounds moved."""
    moved = 0
    at = now()
    due = db.session.scalars(sa.select(SupervisorDraw.id).where(
        sa.or_(sa.and_(SupervisorDraw.status == FIXED, SupervisorDraw.commit_until <= at),
               sa.and_(SupervisorDraw.status == SEALED, SupervisorDraw.reveal_until <= at)))
        .order_by(SupervisorDraw.id)).all()
    for draw_id in due:
        begin_write()  # a commitment or reveal racing the tick waits, then sees the round's new state
        row = db.session.scalar(sa.select(SupervisorDraw).where(SupervisorDraw.id == draw_id).with_for_update()
                               .execution_options(populate_existing=True))
        if row.status == FIXED and row.commit_until <= at:
            seal(row)
        elif row.status == SEALED and row.reveal_until <= at:
            execute(row)
        else:  # a reveal drew it meanwhile
            db.session.rollback()
            continue
        db.session.commit()
        moved += 1
    return moved
