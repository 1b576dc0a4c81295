"""Operations of the audit log that people perform: countersigning a checkpoint."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from monitor.audit import log as audit
from monitor.audit.models import Checkpoint, Countersignature
from trading.accounts.models import User
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db, flush_unless_taken
from trading.permissions import require
from trading.signing.services import STATEMENTS, Expected, accept


def checkpoint_statement(actor: User, params: dict) -> Expected:
    """trading.signing.STATEMENTS["checkpoint"]: a countersignature says "I have seen this size and root"."""
    cp = db.session.get(Checkpoint, params.get("checkpoint_id") or 0)
    if cp is None:
        raise InvalidInput({"checkpoint_id": [_("is not a checkpoint")]})
    _may_countersign(actor, cp)
    return _expected(cp)


def _expected(cp: Checkpoint) -> Expected:
    return Expected({"checkpoint_id": cp.id, "size": cp.size, "root": bytes(cp.root).hex(),
                     "origin": audit.log_origin()})


def _may_countersign(actor: User, cp: Checkpoint) -> None:
    require("audit.countersign", cp, user=actor)
    if db.session.scalar(sa.select(Countersignature).where(Countersignature.checkpoint_id == cp.id,
                                                           Countersignature.user_id == actor.id)):
        raise IllegalMove(_("You have already countersigned this checkpoint."), code="already_countersigned")


STATEMENTS["checkpoint"] = checkpoint_statement


def countersign(actor: User, cp: Checkpoint, statement: str | None = None, signature=None) -> Countersignature:
    """A supervisor vouches for (size, root) with their own key: logged as an entry (with the statement's
    hash and the signature), so later checkpoints cover it."""
    _may_countersign(actor, cp)
    signed = accept(actor, "checkpoint", _expected(cp), statement, signature)
    seq = audit.record("audit.countersign", obj={"type": "checkpoint", "id": cp.id}, actor=actor, audience="platform",
                       after={"size": cp.size, "root": bytes(cp.root).hex(), "signature": cp.signature.hex(),
                              "countersignature": signed.as_entry()})
    cp_id, user_id = cp.id, actor.id
    row = Countersignature(checkpoint_id=cp_id, user_id=user_id, entry_seq=seq, **signed.as_columns())
    db.session.add(row)
    flush_unless_taken(  # the same countersignature sent twice at once: 409, not 500
        lambda: db.session.scalar(sa.select(Countersignature.id).where(
            Countersignature.checkpoint_id == cp_id, Countersignature.user_id == user_id)) is not None,
        IllegalMove(_("You have already countersigned this checkpoint."), code="already_countersigned"))
    return row


def countersignatures(checkpoint_ids: list[int]) -> dict[int, list[dict]]:
    """Who countersigned each checkpoint, when, and the index of the entry that records it."""
    out: dict[int, list[dict]] = {}
    rows = db.session.execute(sa.select(Countersignature, User.username).join(User, User.id == Countersignature.user_id)
                              .where(Countersignature.checkpoint_id.in_(checkpoint_ids))
                              .order_by(Countersignature.id)).all()
    for cs, username in rows:
        out.setdefault(cs.checkpoint_id, []).append({"user": username, "user_id": cs.user_id, "at": audit.iso(cs.at),
                                                     "entry": cs.entry_seq, "statement": cs.statement,
                                                     "signature": cs.signature.hex() if cs.signature else None,
                                                     "key": cs.key_fingerprint})
    return out


def checkpoint_view(cp: Checkpoint) -> dict:
    return dict(audit.checkpoint_json(cp), countersignatures=countersignatures([cp.id]).get(cp.id, []))
