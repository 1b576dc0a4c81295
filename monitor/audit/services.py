"""Operations of the audit log that people perform: countersigning a checkpoint."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from monitor.audit import log as audit
from monitor.audit.models import Checkpoint, Countersignature
from trading.accounts.models import User
from trading.errors import IllegalMove
from trading.extensions import db
from trading.permissions import require


def countersign(actor: User, cp: Checkpoint) -> Countersignature:
    """A supervisor vouches for (size, root): logged as an entry, so later checkpoints cover it."""
    require("audit.countersign", cp, user=actor)
    if db.session.scalar(sa.select(Countersignature).where(Countersignature.checkpoint_id == cp.id,
                                                           Countersignature.user_id == actor.id)):
        raise IllegalMove(_("You have already countersigned this checkpoint."), code="already_countersigned")
    seq = audit.record("audit.countersign", obj={"type": "checkpoint", "id": cp.id}, actor=actor, audience="platform",
                       after={"size": cp.size, "root": bytes(cp.root).hex(), "signature": cp.signature.hex()})
    row = Countersignature(checkpoint_id=cp.id, user_id=actor.id, entry_seq=seq)
    db.session.add(row)
    db.session.flush()
    return row


def countersignatures(checkpoint_ids: list[int]) -> dict[int, list[dict]]:
    """Who countersigned each checkpoint, when, and the index of the entry that records it."""
    out: dict[int, list[dict]] = {}
    rows = db.session.execute(sa.select(Countersignature, User.username).join(User, User.id == Countersignature.user_id)
                              .where(Countersignature.checkpoint_id.in_(checkpoint_ids))
                              .order_by(Countersignature.id)).all()
    for cs, username in rows:
        out.setdefault(cs.checkpoint_id, []).append({"user": username, "user_id": cs.user_id, "at": audit.iso(cs.at),
                                                     "entry": cs.entry_seq})
    return out


def checkpoint_view(cp: Checkpoint) -> dict:
    return dict(audit.checkpoint_json(cp), countersignatures=countersignatures([cp.id]).get(cp.id, []))
