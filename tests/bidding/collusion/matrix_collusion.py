"""Collusion routes whose caller matrix (anonymous, bidders, tenderer, other branches, another centre's
supervisor, the trade's supervisors, the sitting committee) is tested in test_collusion_matrix.py."""

COVERED: set[tuple[str, str]] = {
    ("bidding.collusion_page", "GET"),
    ("bidding.collusion_screen_page", "POST"),
    ("bidding.collusion_review_page", "POST"),
    ("bidding_api.collusion_flags", "GET"),
    ("bidding_api.collusion_screen", "POST"),
    ("bidding_api.collusion_review", "POST"),
}
