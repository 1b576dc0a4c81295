"""Monitor routes (cards) whose caller matrix is tested in tests/monitor/; imported by tests/trading/test_route_matrix.py."""

#: every (endpoint, method) under /api/v1 or /workspace that this part adds and tests itself
COVERED: set[tuple[str, str]] = set()
#: routes anyone may call without logging in (tested in tests/monitor/ too)
PUBLIC: set[tuple[str, str]] = set()
