"""Monitor routes (live streams, dashboard) whose caller matrix is tested in tests/monitor/; imported by
tests/trading/test_route_matrix.py."""

#: the dashboard and its panels: anonymous -> login, wrong role -> 403, supervisors and deciders -> 200
#: (tests/monitor/live/test_live_dashboard.py::test_who_may_open_the_dashboard)
COVERED: set[tuple[str, str]] = {
    ("monitor.dashboard", "GET"),
    ("monitor.panels", "GET"),
}
#: the streams are open to anyone: each entry is filtered by what the caller may see (anonymous: the
#: public entries), and a trade the caller may not see is a 404 (tests/monitor/live/test_live.py)
PUBLIC: set[tuple[str, str]] = {
    ("live.platform", "GET"),
    ("live.centre", "GET"),
    ("live.trade", "GET"),
}
