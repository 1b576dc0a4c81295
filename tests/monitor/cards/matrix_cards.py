"""Monitor routes (cards, pausing, deposits) whose caller matrix is tested in tests/monitor/cards/test_cards_matrix.py;
imported by tests/trading/test_route_matrix.py."""

#: every protected (endpoint, method) this part adds; each is called anonymously (302 to /login or 401),
#: by a wrong role (403) and by the right role (2xx/3xx)
COVERED: set[tuple[str, str]] = {
    ("cards.card_list", "GET"),
    ("cards.card_detail", "GET"),
    ("cards.card_move", "POST"),
    ("cards.trade_cards", "GET"),
    ("cards.pause_trade", "POST"),
    ("cards.resume_trade", "POST"),
    ("cards_api.list_cards", "GET"),
    ("cards_api.get_card", "GET"),
    ("cards_api.move_card", "POST"),
    ("cards_api.list_trade_cards", "GET"),
    ("cards_api.pause_trade_api", "POST"),
    ("cards_api.resume_trade_api", "POST"),
    ("deposits.deposits_page", "GET"),
    ("deposits.deposits_page", "POST"),
    ("deposits.settle_page", "POST"),
    ("deposits_api.list_deposits", "GET"),
    ("deposits_api.record_deposit_api", "POST"),
    ("deposits_api.settle_deposit_api", "POST"),
}
#: routes anyone may call without logging in
PUBLIC: set[tuple[str, str]] = set()
