"""Signals of the methods: invitees named or drawn, method changes asked and decided, budget released."""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: sender=Trade; kwargs: invitees (list of Invitee), source ("list"|"draw"), actor (None for a draw)
invitees_named = _signals.signal("invitees-named")
#: sender=Trade; kwargs: change (MethodChange), actor
method_change_requested = _signals.signal("method-change-requested")
#: sender=Trade; kwargs: change (MethodChange), actor
method_change_decided = _signals.signal("method-change-decided")
#: sender=Trade; kwargs: release (BudgetRelease)
budget_released = _signals.signal("budget-released")
