"""Expert routes whose caller matrix is tested in tests/bidding/experts/test_experts_matrix.py; imported by
tests/trading/test_route_matrix.py."""

COVERED: set[tuple[str, str]] = {
    ("bidding.expert_pool", "GET"),
    ("bidding.expert_pool", "POST"),
    ("bidding.committee_page", "GET"),
    ("bidding.committee_page", "POST"),
    ("bidding.expert_assignments", "GET"),
    ("bidding.expert_assignments", "POST"),
    ("bidding_api.list_experts", "GET"),
    ("bidding_api.create_expert", "POST"),
    ("bidding_api.create_sanction", "POST"),
    ("bidding_api.create_absence", "POST"),
    ("bidding_api.put_plan", "PUT"),
    ("bidding_api.post_draw", "POST"),
    ("bidding_api.list_draws", "GET"),
    ("bidding_api.post_commitment", "POST"),
    ("bidding_api.post_reveal", "POST"),
    ("bidding_api.list_members", "GET"),
    ("bidding_api.post_recusal", "POST"),
    ("bidding_api.my_assignments", "GET"),
    ("bidding_api.post_confirm", "POST"),
    ("bidding_api.post_decline", "POST"),
}
#: routes anyone may call without logging in (none: the pool and the committee are about people)
PUBLIC: set[tuple[str, str]] = set()
