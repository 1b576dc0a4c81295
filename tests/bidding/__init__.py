"""Tests of the sealed-bid core (envelope, Shamir, key custody, receipts, CLIs)."""
