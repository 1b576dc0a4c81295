"""Ceremony routes whose caller matrix (anonymous, wrong branch, right role) is tested in tests/bidding/."""

COVERED: set[tuple[str, str]] = {
    ("bidding_api.start_ceremony", "POST"),
    ("bidding_api.get_ceremony", "GET"),
    ("bidding_api.get_sealed_share", "GET"),
    ("bidding_api.release_share", "POST"),
    ("bidding_api.complete_ceremony", "POST"),
    ("bidding_api.lodge_objection", "POST"),
    ("bidding_api.answer_objection", "POST"),
    ("bidding_api.sign_record", "POST"),
    ("bidding_api.restart_ceremony", "POST"),
    # the decision branch's: their wrong branch is the executing staff (DECIDER_ROUTES)
    ("bidding_api.fail_opening", "POST"),
    ("bidding_api.postpone_opening", "POST"),
    # public once the bids are opened, but gated by trade.view: nothing about an unpublished trade
    ("bidding_api.get_opening_record", "GET"),
    ("bidding_api.get_opening_record_pdf", "GET"),
}

#: routes whose right caller is a decider: the matrix's wrong-branch caller for them is the executing staff
DECIDER_ROUTES = {"bidding_api.fail_opening", "bidding_api.postpone_opening"}
