"""The results' routes whose caller matrix is tested in tests/procurement/results/test_results_matrix.py
(and the pages in test_pages.py); imported by tests/procurement/matrices.py."""

COVERED: set[tuple[str, str]] = {
    ("procurement_api.procurement_results", "GET"),
    ("procurement_api.procurement_sme_policy", "PUT"),
    ("procurement_api.procurement_sme_declaration", "POST"),
    ("procurement_api.procurement_award_decision", "POST"),
    ("procurement_api.procurement_delivery", "POST"),
    ("procurement_api.procurement_acceptance", "POST"),
    ("procurement_api.procurement_sme_share", "GET"),
    ("procurement.results_page", "GET"),
    ("procurement.results_page", "POST"),
    ("procurement.sme_declaration_page", "GET"),
    ("procurement.sme_declaration_page", "POST"),
}
#: the result announcement and the contract's publication: anyone, once the trade is public
PUBLIC: set[tuple[str, str]] = {("procurement_api.procurement_public_result", "GET")}
