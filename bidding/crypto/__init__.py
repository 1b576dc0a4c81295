"""Sealed-bid cryptography: the envelope format, the bid plaintext records, Shamir sharing over
GF(2^8), and signed receipts (no database, no request: the offline sealer and receipt CLI use it)."""
