"""Property transfer routes whose caller matrix (anonymous, wrong branch, other centre, right role) is tested
in tests/bidding/auctions/property/test_matrix.py; tests/trading/test_route_matrix.py reads this set."""

COVERED: set[tuple[str, str]] = {
    ("property_api.property_state", "GET"),
    ("property_api.property_pre_disclose", "POST"),
    ("property_api.property_change_reserve", "POST"),
    ("property_api.property_consent", "POST"),
    ("property_api.property_competition", "POST"),
    ("property_api.property_negotiated", "POST"),
    ("property_api.property_extension", "POST"),
    ("property_api.property_no_deal", "POST"),
    ("property.property_page", "GET"),
    ("property.pre_disclosure_page", "POST"),
    ("property.reserve_page", "POST"),
    ("property.consent_page", "POST"),
    ("property.competition_page", "POST"),
    ("property.negotiated_page", "POST"),
    ("property.extension_page", "POST"),
    ("property.no_deal_page", "POST"),
}

#: open to anyone: the pre-disclosures are public before their trades (test_periods.py)
PUBLIC: set[tuple[str, str]] = {("property.pre_disclosures_page", "GET")}
