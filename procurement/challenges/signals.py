"""The signal of questions, challenges and complaints: sender=Trade; kwargs: what ("filed", "answered",
"suspended", "lifted"), filing, actor. E-supervision listens (monitor.cards.esupervision)."""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()
filings_changed = _signals.signal("procurement-filings-changed")
