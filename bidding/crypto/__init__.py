"""Sealed-bid cryptography that runs anywhere: the envelope format, the bid plaintext records,
Shamir sharing over GF(2^8), and signed receipts (no Flask, no database)."""
