"""The sealed reserve's routes, whose caller matrix (anonymous, wrong branch, other organisation, other centre,
right role) is tested in tests/bidding/auctions/reserve/test_reserve_matrix.py."""

COVERED: set[tuple[str, str]] = {
    ("bidding_api.get_reserve", "GET"),
    ("bidding_api.seal_reserve", "POST"),
    ("bidding_api.get_reserve_share", "GET"),
    ("bidding_api.release_reserve_share", "POST"),
    ("bidding_api.open_reserve", "POST"),
    ("bidding_api.sign_reserve_record", "POST"),
    ("bidding.reserve_page", "GET"),
    ("bidding.reserve_seal", "POST"),
    ("bidding.reserve_share", "GET"),
    ("bidding.reserve_release", "POST"),
    ("bidding.reserve_open", "POST"),
    ("bidding.reserve_sign", "POST"),
}
