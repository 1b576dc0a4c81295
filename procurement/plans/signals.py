"""Signals of the plans: a draw on a budget line, a method approved above the threshold."""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: sent with (trade, draw=BudgetDraw, actor=User) after a trade drew on a line
budget_drawn = _signals.signal("budget-drawn")
#: sent with (trade, approval=MethodApproval, actor=User) after the decision branch approved a method
method_approved = _signals.signal("method-approved")
