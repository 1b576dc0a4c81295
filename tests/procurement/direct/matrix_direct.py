"""The single-source routes whose caller matrix is tested in tests/procurement/direct/test_direct_matrix.py;
read through tests/procurement/matrices.py. Inquiry adds no route (its quotes are sealed bids)."""

COVERED: set[tuple[str, str]] = {
    ("procurement_api.single_source_supplier", "POST"),
    ("procurement_api.single_source_my_objections", "GET"),
    ("procurement_api.single_source_object", "POST"),
    ("procurement_api.single_source_answer", "POST"),
    ("procurement_api.single_source_begin", "POST"),
    ("procurement_api.single_source_record", "POST"),
    ("procurement_api.single_source_sign", "POST"),
    ("procurement_api.single_source_conclude", "POST"),
    ("procurement.single_source_objections_page", "POST"),
    # public once published, 404 before: test_the_state_is_public_once_published_and_hidden_before (pages are not
    # in the shared PUBLIC allowlist, which names /api, /workspace, /bidding and /monitor routes only)
    ("procurement.single_source_objections_page", "GET"),
    ("procurement.single_source_negotiation_page", "GET"),
    ("procurement.single_source_negotiation_page", "POST"),
}
#: the notice and its state are public once published (O74 Art. 38); test_direct_matrix checks a draft is 404
PUBLIC: set[tuple[str, str]] = {
    ("procurement_api.single_source", "GET"),
}
