"""The sealed reserve price (底价) of a land sale: set by the decision branch, sealed before the listing
closes with the sealed-bid machinery, opened only after the last bid, under supervisors (O39 Art 10)."""
