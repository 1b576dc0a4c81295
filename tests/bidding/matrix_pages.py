"""Sealed-bid page routes whose caller matrix is tested in tests/bidding/ and tests/e2e/."""

COVERED: set[tuple[str, str]] = set()
