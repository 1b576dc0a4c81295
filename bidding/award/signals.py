"""The award's signal: sender=Trade; kwargs: what ("objection", "answer", "complaint", "complaint_decision",
"ruling", "letters", "report", "contract"), actor. E-supervision listens (monitor.cards.esupervision)."""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()
award_changed = _signals.signal("award-changed")
