"""Scoring routes whose caller matrix (anonymous, wrong branch or role, other organisation, other centre,
right role) is tested in tests/bidding/scoring/test_scoring_matrix.py."""

COVERED: set[tuple[str, str]] = {
    ("bidding_api.get_scoring_plan", "GET"),
    ("bidding_api.set_scoring_plan", "PUT"),
    ("bidding_api.get_scoring_progress", "GET"),
    ("bidding_api.get_my_sheet", "GET"),
    ("bidding_api.save_my_sheet", "PUT"),
    ("bidding_api.submit_my_sheet", "POST"),
    ("bidding_api.explain_my_score", "POST"),
    ("bidding_api.list_score_sheets", "GET"),
    ("bidding_api.list_price_adjustments", "GET"),
    ("bidding_api.add_price_adjustment", "POST"),
    ("bidding_api.get_scoring_results", "GET"),
    ("bidding_api.make_evaluation_report", "POST"),
    ("bidding_api.get_evaluation_report", "GET"),
    ("bidding_api.get_evaluation_report_pdf", "GET"),
    ("bidding_api.sign_evaluation_report", "POST"),
    ("bidding.scoring_page", "GET"),
    ("bidding.scoring_page", "POST"),
    ("bidding.scoring_report_pdf", "GET"),
}
