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
    ("procurement.plans_page", "GET"),
    ("procurement.plans_page", "POST"),
    ("procurement.plan_page", "GET"),
    ("procurement.plan_page", "POST"),
    ("procurement.trade_budget_page", "GET"),
    ("procurement.trade_budget_page", "POST"),
}
PUBLIC: set[tuple[str, str]] = set()
