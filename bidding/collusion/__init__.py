"""Collusion signals (围标串标, Reg 39-40): what the submission saw, flags after the opening, the committee's decisions."""
