"""Custody, evaluation and re-tender routes whose caller matrix (anonymous, wrong branch, other
organisation, other centre, right role) is tested in tests/bidding/custody/test_custody_matrix.py."""

COVERED: set[tuple[str, str]] = {
    ("bidding.bid_documents_page", "GET"),
    ("bidding.bid_document_download", "GET"),
    ("bidding_api.list_bid_documents", "GET"),
    ("bidding_api.read_bid_document", "GET"),
    ("bidding_api.assign_complaint_review", "POST"),
    ("bidding_api.close_complaint_review", "POST"),
    ("bidding_api.seat_member", "POST"),
    ("bidding_api.unseat_member", "POST"),
    ("bidding_api.fail_all_invalid", "POST"),
    ("api.create_retender", "POST"),
    ("workspace.retender_trade", "POST"),
}
