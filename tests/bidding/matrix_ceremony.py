"""Ceremony routes whose caller matrix (anonymous, wrong branch, right role) is tested in tests/bidding/."""

COVERED: set[tuple[str, str]] = set()
