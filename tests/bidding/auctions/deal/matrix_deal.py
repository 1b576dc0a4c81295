"""Deal routes whose caller matrix (anonymous, wrong branch, other organisation, other centre, right role) is
tested in tests/bidding/auctions/deal/test_deal_http.py; the route matrix of tests/trading reads these sets."""

COVERED: set[tuple[str, str]] = {
    ("bidding_api.get_deal", "GET"),
    ("bidding_api.conclude_deal", "POST"),
    ("bidding_api.get_deal_confirmation", "GET"),
    ("bidding_api.get_deal_confirmation_pdf", "GET"),
    ("bidding_api.sign_deal_confirmation", "POST"),
    ("bidding_api.list_deal_deposits", "GET"),
    ("bidding_api.refund_deal_deposit", "POST"),
    ("bidding.deal_page", "GET"),
    ("bidding.deal_page", "POST"),
    ("bidding.deal_confirmation_pdf", "GET"),
    ("bidding.deal_deposits_page", "GET"),
    ("bidding.deal_deposits_page", "POST"),
}

PUBLIC: set[tuple[str, str]] = set()
