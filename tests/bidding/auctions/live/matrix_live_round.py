"""The live round's API routes whose caller matrix is tested in tests/bidding/auctions/live/test_live_matrix.py;
imported by tests/trading/test_route_matrix.py."""

COVERED: set[tuple[str, str]] = {
    ("auction_live_api.live_start", "POST"),
    ("auction_live_api.live_confirm", "POST"),
    ("auction_live_api.live_bid", "POST"),
}
#: the price board is as public as the trade (bidders by paddle only): anonymous callers read it
PUBLIC: set[tuple[str, str]] = {
    ("auction_live_api.live_board", "GET"),
}
