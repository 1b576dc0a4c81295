"""Signals of the results: a decision, a declaration, an SME policy, a delivery or an acceptance recorded."""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: sent with (trade, what=str, actor=User | None) after a results record changed (e-supervision re-checks)
results_changed = _signals.signal("procurement-results-changed")
