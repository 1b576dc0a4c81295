"""The plans' routes whose caller matrix is tested in tests/procurement/plans/test_plans_matrix.py;
imported by tests/trading/test_route_matrix.py."""

COVERED: set[tuple[str, str]] = {
    ("procurement_api.procurement_plans", "GET"),
    ("procurement_api.procurement_plan_create", "POST"),
    ("procurement_api.procurement_plan", "GET"),
    ("procurement_api.procurement_line_create", "POST"),
    ("procurement_api.procurement_draw", "POST"),
    ("procurement_api.procurement_method_approval", "POST"),
    ("procurement_api.procurement_savings", "GET"),
}
PUBLIC: set[tuple[str, str]] = set()
