"""Monitor routes (social supervisors) whose caller matrix is tested in tests/monitor/supervisors/test_supervisors_matrix.py;
imported by tests/trading/test_route_matrix.py."""

#: every (endpoint, method) under /api/v1 or /monitor that this part adds and tests itself
COVERED: set[tuple[str, str]] = {
    ("supervisors.registry", "GET"),
    ("supervisors.register_page", "GET"),
    ("supervisors.register_page", "POST"),
    ("supervisors.entry", "GET"),
    ("supervisors.renew", "POST"),
    ("supervisors.change_status", "POST"),
    ("supervisors.certificate", "GET"),
    ("supervisors.mine", "GET"),
    ("supervisors.trade_page", "GET"),
    ("supervisors.trade_draw", "POST"),
    ("supervisors.trade_conflict", "POST"),
    ("supervisors.trade_recuse", "POST"),
    ("supervisors.trade_signoff", "POST"),
    ("supervisors.trade_record", "GET"),
    ("supervisors_api.list_social_supervisors", "GET"),
    ("supervisors_api.register_social_supervisor", "POST"),
    ("supervisors_api.get_social_supervisor", "GET"),
    ("supervisors_api.renew_social_supervisor", "POST"),
    ("supervisors_api.change_social_supervisor_status", "POST"),
    ("supervisors_api.get_social_supervisor_certificate", "GET"),
    ("supervisors_api.get_trade_supervision", "GET"),
    ("supervisors_api.create_supervisor_draw", "POST"),
    ("supervisors_api.commit_to_supervisor_draw", "POST"),
    ("supervisors_api.reveal_to_supervisor_draw", "POST"),
    ("supervisors_api.declare_supervisor_conflict", "POST"),
    ("supervisors_api.recuse_drawn_supervisor", "POST"),
    ("supervisors_api.create_supervisor_signoff", "POST"),
    ("supervisors_api.get_supervision_record_pdf", "GET"),
}
#: routes anyone may call without logging in (none: the registry is about people)
PUBLIC: set[tuple[str, str]] = set()
