"""The methods' routes whose caller matrix is tested in tests/procurement/methods/test_methods_matrix.py;
found by tests/procurement/matrices.py."""

COVERED: set[tuple[str, str]] = {
    ("procurement_api.procurement_invitees", "GET"),
    ("procurement_api.procurement_invitee_list", "POST"),
    ("procurement_api.procurement_invitee_draw", "POST"),
    ("procurement_api.procurement_invitee_commitment", "POST"),
    ("procurement_api.procurement_invitee_reveal", "POST"),
    ("procurement_api.procurement_method_changes", "GET"),
    ("procurement_api.procurement_method_change_request", "POST"),
    ("procurement_api.procurement_method_change_decision", "POST"),
    ("procurement.invitees_page", "GET"),
    ("procurement.invitees_page", "POST"),
    ("procurement.method_change_page", "GET"),
    ("procurement.method_change_page", "POST"),
}
PUBLIC: set[tuple[str, str]] = set()
