"""The challenges' routes whose caller matrix is tested in tests/procurement/challenges/test_challenges_matrix.py;
read by tests/procurement/matrices.py."""

COVERED: set[tuple[str, str]] = {
    ("procurement_api.procurement_challenge_file", "POST"),
    ("procurement_api.procurement_challenge_answer", "POST"),
    ("procurement_api.procurement_challenge_suspension", "POST"),
    ("procurement.trade_challenges", "POST"),
}
#: anyone reads the published answers (a trade's page and list show the rest only to whom it may)
PUBLIC: set[tuple[str, str]] = {
    ("procurement_api.procurement_challenges_published", "GET"),
    ("procurement_api.procurement_trade_challenges", "GET"),
    ("procurement.challenges_public", "GET"),
    ("procurement.trade_challenges", "GET"),
}
