"""The negotiation's routes whose caller matrix is tested in tests/procurement/negotiation/test_negotiation_matrix.py;
found by tests/procurement/matrices.py."""

COVERED: set[tuple[str, str]] = {
    ("procurement_api.negotiation_get", "GET"),
    ("procurement_api.negotiation_start", "POST"),
    ("procurement_api.negotiation_next_round", "POST"),
    ("procurement_api.negotiation_thread", "GET"),
    ("procurement_api.negotiation_message", "POST"),
    ("procurement_api.negotiation_mine", "GET"),
    ("procurement_api.negotiation_changes", "GET"),
    ("procurement_api.negotiation_change", "POST"),
    ("procurement_api.negotiation_set_aside", "POST"),
    ("procurement_api.negotiation_call", "POST"),
    ("procurement_api.negotiation_quote", "POST"),
    ("procurement_api.negotiation_final_share", "GET"),
    ("procurement_api.negotiation_final_release", "POST"),
    ("procurement_api.negotiation_open", "POST"),
    ("procurement.negotiation_page", "GET"),
    ("procurement.negotiation_page", "POST"),
    ("procurement.negotiation_share", "GET"),
    ("procurement.negotiation_supplier_page", "GET"),
    ("procurement.negotiation_supplier_page", "POST"),
    ("procurement.negotiation_quote_upload", "POST"),
}
PUBLIC: set[tuple[str, str]] = set()
