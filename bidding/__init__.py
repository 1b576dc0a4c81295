"""Sealed bids: the envelope format, opening-key custody, receipts and the offline sealer."""
