"""Sequence numbers the platform hands out: trade references, clarification and certificate numbers."""
