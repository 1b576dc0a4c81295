"""Procurement plans and budgets: a purchaser's annual plan, its budget lines, the draws trades make on them."""
