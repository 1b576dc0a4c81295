"""Who may see cards, take each step of a card, and pause or resume a trade under supervision.

Administrative supervisors of the card's centre assign and close; the assigned executing person
answers; social supervisors and deciders of the centre follow the cards (they read, they do not
handle). Pausing is the administrative supervisor's `suspend` move, as the flow says.
"""
from __future__ import annotations

from trading.accounts.roles import Role
from trading.permissions import permission


def _authed(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def admin_supervisor_at(user, centre_id: int) -> bool:
    return _authed(user) and centre_id in user.centres_for(Role.ADMIN_SUPERVISOR)


def watches(user, centre_id: int) -> bool:
    from monitor.cards.services import watching_centres

    return centre_id in watching_centres(user)


@permission("cards.list")
def _list(user, _obj) -> bool:
    """The card list: people who watch a centre's cards, and executing staff (who may hold cards)."""
    from monitor.cards.services import watching_centres

    return _authed(user) and bool(watching_centres(user) or user.centres_for(Role.CENTRE_STAFF))


@permission("card.view")
def _view(user, card) -> bool:
    return _authed(user) and (watches(user, card.centre_id) or card.assignee_id == user.id)


@permission("card.assign")
def _assign(user, card) -> bool:
    return admin_supervisor_at(user, card.centre_id)


@permission("card.answer")
def _answer(user, card) -> bool:
    """Only the person the card is assigned to answers it (still staff of the centre)."""
    return (_authed(user) and card.assignee_id == user.id
            and card.centre_id in user.centres_for(Role.CENTRE_STAFF))


@permission("card.close")
def _close(user, card) -> bool:
    """Closing, or sending an answer back: the administrative supervisors of the centre."""
    return admin_supervisor_at(user, card.centre_id)


@permission("cards.trade")
def _supervision(user, trade) -> bool:
    """A trade's supervision page: its cards and the pause form."""
    return _authed(user) and watches(user, trade.centre_id)


@permission("cards.pause")
def _pause(user, trade) -> bool:
    return admin_supervisor_at(user, trade.centre_id)
