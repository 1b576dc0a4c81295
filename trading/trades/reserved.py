"""Moves reserved to a procedure: on some trades a move belongs to the procedure that gives it its
meaning (the opening ceremony opens the bids), never to the generic transition page or API.

The packages above fill the registry (bidding reserves the moves into and out of the opening for
trades that take sealed bids); the one transition function consults it and refuses a reserved move
made without `by=` naming its procedure. trading itself knows no procedure.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from trading.errors import IllegalMove

if TYPE_CHECKING:
    from trading.trades.flows import Move
    from trading.trades.models import Trade


@dataclass(frozen=True)
class Procedure:
    """A procedure that owns moves: `key` is what its own calls pass as `by=`, `label` names it to
    people ("the opening ceremony"), `where` says where to go instead (a page's name)."""

    key: str
    label: object
    where: object = None


#: callables (trade, move) -> the Procedure the move is reserved to on this trade, or None
RESERVATIONS: list[Callable[[Trade, Move], Procedure | None]] = []


def reserve(rule: Callable[[Trade, Move], Procedure | None]) -> Callable[[Trade, Move], Procedure | None]:
    """Register a reservation rule (idempotent: the app factory may run more than once per process)."""
    if rule not in RESERVATIONS:
        RESERVATIONS.append(rule)
    return rule


def reserved_to(trade: Trade, move: Move) -> Procedure | None:
    for rule in RESERVATIONS:
        procedure = rule(trade, move)
        if procedure is not None:
            return procedure
    return None


class ReservedMove(IllegalMove):
    """409: the move belongs to a procedure on this trade; `procedure` names it for clients."""

    code = "reserved_move"

    def __init__(self, message: str, *, procedure: str):
        super().__init__(message)
        self.procedure = procedure

    def to_dict(self) -> dict:
        return {**super().to_dict(), "procedure": self.procedure}


def check_not_reserved(trade: Trade, move: Move, by: str | None) -> None:
    """Refuse `move` unless it is free on this trade or the caller is the procedure that owns it."""
    procedure = reserved_to(trade, move)
    if procedure is None or procedure.key == by:
        return
    message = _("Only %(procedure)s may %(move)s this trade.", procedure=str(procedure.label),
                move=str(move.label).lower())
    if procedure.where:
        message = f"{message} {procedure.where}"
    raise ReservedMove(message, procedure=procedure.key)
