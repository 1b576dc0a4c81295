"""Submitting sealed bids: receiving envelopes, receipts, withdrawing, who bid."""
