"""Sealed-bid page routes whose caller matrix is tested in tests/bidding/ and tests/e2e/."""

#: the opening-ceremony pages; tests/bidding/ceremony/test_ceremony_pages.py tests each one for an anonymous
#: caller (302 to /login), a wrong role (403) and the right role
CEREMONY_PAGES: set[tuple[str, str]] = {
    ("bidding.ceremony_page", "GET"),
    ("bidding.ceremony_state", "GET"),
    ("bidding.ceremony_start", "POST"),
    ("bidding.ceremony_share", "GET"),
    ("bidding.ceremony_release", "POST"),
    ("bidding.ceremony_complete", "POST"),
    ("bidding.ceremony_object", "POST"),
    ("bidding.ceremony_answer", "POST"),
    ("bidding.ceremony_sign", "POST"),
    ("bidding.ceremony_restart", "POST"),
    ("bidding.ceremony_fail", "POST"),
    ("bidding.ceremony_postpone", "POST"),
}

#: every protected (endpoint, method) of bidding/*/views.py; tests/bidding/submission/test_pages.py tests each one
#: outside CEREMONY_PAGES for an anonymous caller (302 to /login), a wrong role (403) and the right role
COVERED: set[tuple[str, str]] = {
    ("bidding.bid_page", "GET"),
    ("bidding.submit_bid", "POST"),
    ("bidding.withdraw_bid", "POST"),
    ("bidding.bid_receipt", "GET"),
    ("bidding.personal_key", "GET"),
    ("bidding.personal_key", "POST"),
    ("bidding.keyholders", "GET"),
    ("bidding.keyholders", "POST"),
} | CEREMONY_PAGES
