"""(being written) cards of the supervision plane."""
from __future__ import annotations


def register_models() -> None:
    """Import this part's model modules so that their tables join the metadata."""


def register(app) -> None:
    """Blueprints, listeners, guards and ticks of this part (called once per app)."""


def open_cards_for(user) -> list:
    """Open cards (not closed) the user may see, newest first: the dashboard lists them. (stub until written)"""
    return []


def cards_for_trade(trade) -> list:
    """Every card of a trade, oldest first: the supervision record lists them. (stub until written)"""
    return []
