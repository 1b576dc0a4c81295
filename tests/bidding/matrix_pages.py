"""Sealed-bid page routes whose caller matrix is tested in tests/bidding/ and tests/e2e/."""

#: every protected (endpoint, method) of bidding/views.py; tests/bidding/test_pages.py tests each one
#: for an anonymous caller (302 to /login), a wrong role (403) and the right role
COVERED: set[tuple[str, str]] = {
    ("bidding.bid_page", "GET"),
    ("bidding.submit_bid", "POST"),
    ("bidding.withdraw_bid", "POST"),
    ("bidding.bid_receipt", "GET"),
    ("bidding.personal_key", "GET"),
    ("bidding.personal_key", "POST"),
    ("bidding.keyholders", "GET"),
    ("bidding.keyholders", "POST"),
}
