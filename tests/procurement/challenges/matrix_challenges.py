"""The challenges' routes whose caller matrix is tested in tests/procurement/challenges/test_challenges_matrix.py;
read by tests/procurement/matrices.py."""

COVERED: set[tuple[str, str]] = {
    ("procurement_api.procurement_challenge_file", "POST"),
    ("procurement_api.procurement_challenge_answer", "POST"),
    ("procurement_api.procurement_challenge_suspension", "POST"),
    ("procurement.trade_challenges", "POST"),
    # pages anyone reads (the published answers; a trade's page shows the rest only to whom it may):
    # test_public_routes_answer_anyone_and_hide_other_trades and test_pages walk them
    ("procurement.challenges_public", "GET"),
    ("procurement.trade_challenges", "GET"),
}
#: API routes anyone may call: the published answers, a trade's filings as the caller may read them
PUBLIC: set[tuple[str, str]] = {
    ("procurement_api.procurement_challenges_published", "GET"),
    ("procurement_api.procurement_trade_challenges", "GET"),
}
