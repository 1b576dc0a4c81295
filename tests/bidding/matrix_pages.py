"""Sealed-bid page routes whose caller matrix is tested in tests/bidding/ and tests/e2e/."""

#: the opening-ceremony pages; tests/bidding/ceremony/test_ceremony_pages.py tests each one for an anonymous
#: caller (302 to /login), a wrong role (403) and the right role
CEREMONY_PAGES: set[tuple[str, str]] = {
    ("bidding.ceremony_page", "GET"),
    ("bidding.ceremony_state", "GET"),
    ("bidding.ceremony_start", "POST"),
    ("bidding.ceremony_share", "GET"),
    ("bidding.ceremony_release", "POST"),
    ("bidding.ceremony_complete", "POST"),
    ("bidding.ceremony_object", "POST"),
    ("bidding.ceremony_answer", "POST"),
    ("bidding.ceremony_sign", "POST"),
    ("bidding.ceremony_restart", "POST"),
    ("bidding.ceremony_fail", "POST"),
    ("bidding.ceremony_postpone", "POST"),
}

#: every protected (endpoint, method) of bidding/*/views.py; tests/bidding/submission/test_pages.py tests each one
#: outside CEREMONY_PAGES for an anonymous caller (302 to /login), a wrong role (403) and the right role
COVERED: set[tuple[str, str]] = {
    ("bidding.bid_page", "GET"),
    ("bidding.submit_bid", "POST"),
    ("bidding.withdraw_bid", "POST"),
    ("bidding.bid_receipt", "GET"),
    ("bidding.personal_key", "GET"),
    ("bidding.personal_key", "POST"),
    ("bidding.keyholders", "GET"),
    ("bidding.keyholders", "POST"),
} | CEREMONY_PAGES

#: the sale pages and API (bidding/auctions: terms, amendments, registrations, listing quotes);
#: tests/bidding/auctions/test_sale_http.py tests each one for an anonymous caller, a wrong role or branch,
#: another company, another centre's staff (401/302 or 403) and the right role
SALE_COVERED: set[tuple[str, str]] = {
    ("bidding_api.sale_set_terms", "PUT"),
    ("bidding_api.sale_amend", "POST"),
    ("bidding_api.sale_change_increment", "POST"),
    ("bidding_api.sale_register", "POST"),
    ("bidding_api.sale_registration", "GET"),
    ("bidding_api.sale_add_document", "POST"),
    ("bidding_api.sale_document", "GET"),
    ("bidding_api.sale_withdraw", "POST"),
    ("bidding_api.sale_refuse", "POST"),
    ("bidding_api.sale_qualify", "POST"),
    ("bidding_api.sale_quote", "POST"),
    ("bidding.sale_register_page", "POST"),
    ("bidding.sale_document_upload", "POST"),
    ("bidding.sale_withdraw_page", "POST"),
    ("bidding.sale_quote_page", "POST"),
    ("bidding.sale_document_download", "GET"),
    ("bidding.sale_manage", "GET"),
    ("bidding.sale_terms_page", "POST"),
    ("bidding.sale_amend_page", "POST"),
    ("bidding.sale_increment_page", "POST"),
    ("bidding.sale_qualify_page", "POST"),
    ("bidding.sale_refuse_page", "POST"),
    # open to every signed-in caller, each answering only with what is the caller's own
    ("bidding_api.sale_registrations", "GET"),
    ("bidding_api.sale_my_quotes", "GET"),
}

#: open to anyone once the sale is public (404 before): the disclosed terms and the price board by paddle number
SALE_PUBLIC: set[tuple[str, str]] = {
    ("bidding_api.sale_board", "GET"),
    ("bidding.sale_listing", "GET"),
}
