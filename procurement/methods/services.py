"""An invitation tender's invitees: the purchaser's published list or a verifiable draw from the qualified
suppliers (trading.draws, purpose "invitee-draw"), and the bidder check that admits only them (GPL 34)."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from procurement.methods.models import PURPOSE, Invitee, InviteeSource
from procurement.methods.rules import MIN_INVITEES, O87_14
from procurement.methods.signals import invitees_named
from trading.accounts.models import Organisation, OrgKind
from trading.clock import now
from trading.draws import services as draws
from trading.draws.models import DrawRound
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import begin_write, db
from trading.permissions import require
from trading.trades.flows import TradeState as S
from trading.trades.models import Trade

INVITED = "gp_invited_tender"
#: the invitees are chosen before the trade opens for bids
CHOOSING = (S.DRAFT, S.SUBMITTED, S.APPROVED, S.ANNOUNCED)


def is_invitation(trade: Trade) -> bool:
    return trade.method == INVITED


def lock(trade: Trade) -> Trade:
    """Serialise choices on one trade (SQLite: the write lock; PostgreSQL: the trade's row), then re-read."""
    begin_write()
    db.session.scalar(sa.select(Trade.id).where(Trade.id == trade.id).with_for_update())
    db.session.refresh(trade)
    return trade


def invitees(trade: Trade) -> list[Invitee]:
    return list(db.session.scalars(sa.select(Invitee).where(Invitee.trade_id == trade.id)
                                   .order_by(Invitee.position, Invitee.id)))


def invitee_ids(trade: Trade) -> set[int]:
    return set(db.session.scalars(sa.select(Invitee.organisation_id).where(Invitee.trade_id == trade.id)))


def rounds(trade: Trade) -> list[DrawRound]:
    return draws.rounds(PURPOSE, trade)


def qualified_suppliers() -> list[Organisation]:
    """Suppliers the platform knows as qualified to be invited: registered supplier companies (a unified
    credit code). Ascending ids: the draw's candidate list."""
    return list(db.session.scalars(sa.select(Organisation).where(
        Organisation.kind == OrgKind.BIDDER, Organisation.credit_code.is_not(None)).order_by(Organisation.id)))


def _choosable(actor, trade: Trade) -> None:
    require("procurement.invitees.set", trade, user=actor)
    if not is_invitation(trade):
        raise InvalidInput({"method": [_("only an invitation tender has invitees")]})
    lock(trade)
    if trade.state not in CHOOSING:
        raise IllegalMove(_("The invitees are chosen before the trade opens for bids; this trade is %(state)s.",
                            state=trade.state.label), code="too_late")
    if invitee_ids(trade) or rounds(trade):
        raise IllegalMove(_("The invitees of this trade have already been chosen."), code="already_chosen")


def _supplier_ids(values, field: str) -> list[int]:
    """The ids named, in order and once each; 422 naming any that is no qualified supplier."""
    ids: list[int] = []
    for value in values or []:
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidInput({field: [_("each must be the id of a supplier")]})
        if value not in ids:
            ids.append(value)
    known = {o.id for o in qualified_suppliers()}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise InvalidInput({field: [_("not a registered supplier: %(ids)s", ids=", ".join(map(str, unknown)))]})
    return ids


def _too_few(field: str, count: int) -> InvalidInput:
    return InvalidInput({field: [_("an invitation tender invites at least %(n)d suppliers (%(source)s); %(k)d "
                                   "named", n=int(MIN_INVITEES.value), source=str(MIN_INVITEES.source), k=count)]})


def publish_list(actor, trade: Trade, organisation_ids, reason: str) -> list[Invitee]:
    """The purchaser's (or the clerk's) own list of invitees (O87 14: the purchaser's written
    recommendation), at least three (GPL 34); public once made."""
    _choosable(actor, trade)
    ids = _supplier_ids(organisation_ids, "organisation_ids")
    if len(ids) < MIN_INVITEES.value:
        raise _too_few("organisation_ids", len(ids))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": [_("say on what the list rests (%(source)s)", source=str(O87_14))]})
    at = now()
    made = [Invitee(trade_id=trade.id, organisation_id=org_id, source=InviteeSource.LIST, position=pos,
                    reason=reason, added_by_id=actor.id, added_at=at) for pos, org_id in enumerate(ids)]
    db.session.add_all(made)
    db.session.flush()
    invitees_named.send(trade, invitees=made, source=InviteeSource.LIST.value, actor=actor)
    return made


def fix_draw(actor, trade: Trade, count: int, candidates=None) -> DrawRound:
    """Fix a round drawing `count` (at least three) invitees from the qualified suppliers, or from the
    candidates the purchaser names; the tick draws it from a beacon signed after the round was fixed and the
    supervisors' contributions, so nobody steers it and anyone replays it (docs/draws.md)."""
    _choosable(actor, trade)
    if not isinstance(count, int) or isinstance(count, bool) or count < MIN_INVITEES.value:
        raise _too_few("count", count if isinstance(count, int) else 0)
    pool = _supplier_ids(candidates, "candidates") if candidates else [o.id for o in qualified_suppliers()]
    if len(pool) < count:
        raise InvalidInput({"count": [_("only %(n)d qualified suppliers to draw %(k)d from", n=len(pool), k=count)]})
    return draws.fix(PURPOSE, trade, pool, count, actor=actor,
                     params={"pool": "named" if candidates else "qualified"})


def on_drawn(row: DrawRound) -> None:
    """The round is drawn: the first `count` of its order are the invitees."""
    trade = row.trade
    at = now()
    made = [Invitee(trade_id=trade.id, organisation_id=org_id, source=InviteeSource.DRAW, round_id=row.id,
                    position=pos, added_at=at) for pos, org_id in enumerate(row.selected)]
    db.session.add_all(made)
    db.session.flush()
    invitees_named.send(trade, invitees=made, source=InviteeSource.DRAW.value, actor=None)


def refusal(trade: Trade, organisation) -> str | None:
    """The bidder check (bidding.submission.BIDDER_CHECKS): an invitation tender takes bids from its
    invitees only."""
    if not is_invitation(trade):
        return None
    ids = invitee_ids(trade)
    if not ids:
        return _("Only invited suppliers may bid in an invitation tender (%(source)s), and this trade's invitees "
                 "have not been chosen yet.", source=str(MIN_INVITEES.source))
    if organisation.id not in ids:
        return _("%(name)s is not among the suppliers invited to this invitation tender: only invitees may bid "
                 "(%(source)s).", name=organisation.name, source=str(MIN_INVITEES.source))
    return None


def install() -> None:
    """Called once by the app factory: the invitee draw is a purpose of trading.draws; the bid intake asks
    the invitation check; a failed or cancelled trade gives its budget back; a failed tender may change method."""
    from bidding.submission.services import bidder_check
    from procurement.methods import budget

    # who is invited is who may bid (Tendering Law Art 22): the log names the draw's candidates as it names bidders
    draws.register_purpose(draws.Purpose(key=PURPOSE, prefix="invitees", member="supplier", on_drawn=on_drawn,
                                         unnamed="org"))
    bidder_check(refusal)
    budget.install()
