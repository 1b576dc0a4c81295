"""Bid-security deposits: recording, refunding or retaining them, watched by e-supervision."""
