"""Competitive negotiation and consultation (GPL 38; O74; C214): panel, rounds, requirement changes, final quotes."""
