"""Review and clarification routes whose caller matrix (anonymous, wrong branch, other organisation, other
centre, right role) is tested in tests/bidding/evaluation/test_review_matrix.py; imported by
tests/trading/test_route_matrix.py and tests/bidding/submission/test_pages.py."""

COVERED: set[tuple[str, str]] = {
    ("bidding_api.get_review", "GET"),
    ("bidding_api.add_criterion", "POST"),
    ("bidding_api.record_marks", "POST"),
    ("bidding_api.close_review", "POST"),
    ("bidding_api.list_bid_clarifications", "GET"),
    ("bidding_api.ask_bid_clarification", "POST"),
    ("bidding_api.answer_bid_clarification", "POST"),
    ("bidding_api.refuse_bid_clarification", "POST"),
    ("bidding.evaluation_room", "GET"),
    ("bidding.evaluation_marks", "POST"),
    ("bidding.evaluation_close", "POST"),
    ("bidding.evaluation_criteria", "POST"),
    ("bidding.evaluation_ask", "POST"),
    ("bidding.evaluation_answer", "POST"),
    ("bidding.evaluation_refuse", "POST"),
}
