"""Opening-ceremony API routes (registered on the sealed-bid API blueprint)."""
from __future__ import annotations

from bidding.api import bp  # noqa: F401
