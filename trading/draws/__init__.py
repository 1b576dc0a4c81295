"""Draws nobody can steer, for any purpose (docs/draws.md): the pure lottery, the rounds, and the hooks the
supervision plane fills (the audit entries and the beacon checkpoint)."""
