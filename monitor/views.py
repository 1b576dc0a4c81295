"""(being written) views of the supervision plane."""
from __future__ import annotations


def register_models() -> None:
    """Import this part's model modules so that their tables join the metadata."""


def register(app) -> None:
    """Blueprints, listeners, guards and ticks of this part (called once per app)."""
