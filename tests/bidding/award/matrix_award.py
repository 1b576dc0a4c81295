"""Award routes whose caller matrix (anonymous, wrong branch, other organisation, other centre, right role)
is tested in tests/bidding/award/test_award_http.py; the route matrices of tests/trading and tests/bidding
read these sets."""

COVERED: set[tuple[str, str]] = {
    ("bidding_api.award_state", "GET"),
    ("bidding_api.award_publicize", "POST"),
    ("bidding_api.award_object", "POST"),
    ("bidding_api.award_my_objections", "GET"),
    ("bidding_api.award_answer", "POST"),
    ("bidding_api.award_complain", "POST"),
    ("bidding_api.award_complaints", "GET"),
    ("bidding_api.award_decide_complaint", "POST"),
    ("bidding_api.award_rule_complaint", "POST"),
    ("bidding_api.award_decide", "POST"),
    ("bidding_api.award_report", "POST"),
    ("bidding_api.award_letters", "GET"),
    ("bidding_api.award_letter_pdf", "GET"),
    ("bidding_api.award_contract", "POST"),
    ("bidding_api.award_refunds", "POST"),
    ("bidding.award_page", "GET"),
    ("bidding.award_publicize_page", "POST"),
    ("bidding.award_object_page", "POST"),
    ("bidding.award_complain_page", "POST"),
    ("bidding.award_letter_page", "GET"),
    ("bidding.award_answer_page", "POST"),
    ("bidding.award_decide_page", "POST"),
    ("bidding.award_report_page", "POST"),
    ("bidding.award_contract_page", "POST"),
    ("bidding.award_refunds_page", "POST"),
    ("bidding.award_decide_complaint_page", "POST"),
    ("bidding.award_rule_complaint_page", "POST"),
}

#: open to anyone once the trade is public (404 before)
PUBLIC: set[tuple[str, str]] = {
    ("bidding_api.award_candidates", "GET"),
    ("bidding.award_public", "GET"),
}
