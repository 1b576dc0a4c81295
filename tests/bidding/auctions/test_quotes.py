"""Listing quotes at their boundaries: the first at the starting price, then the current price plus whole
increments (exactly at the minimum, one fen below, one fen above), the listing's start and end, an
increment changed mid-listing, malformed amounts, and two quotes racing for one level on the real database."""
from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from bidding.auctions import quotes as quotes_module, services as auctions
from bidding.auctions.models import ListingQuote
from tests.bidding.auctions.conftest import INCREMENT, LISTING_FROM, STARTING_PRICE
from trading.errors import IllegalMove, InvalidInput

FEN = Decimal("0.01")


def test_the_first_quote_is_at_least_the_starting_price(db, listing, land):
    trade, _regs = listing
    below = auctions.quote(land["buyer1"], trade, STARTING_PRICE - FEN)
    assert (below.seq, below.refusal) == (None, "too_low")
    exact = auctions.quote(land["buyer1"], trade, STARTING_PRICE)
    assert (exact.seq, exact.refusal) == (1, None)


def test_next_quotes_climb_by_whole_increments(db, listing, land):
    trade, regs = listing
    auctions.quote(land["buyer1"], trade, STARTING_PRICE)
    minimum = STARTING_PRICE + INCREMENT
    assert auctions.quote(land["buyer2"], trade, minimum - FEN).refusal == "too_low"
    assert auctions.quote(land["buyer2"], trade, minimum + FEN).refusal == "not_increment"
    assert auctions.quote(land["buyer2"], trade, minimum).seq == 2
    assert auctions.quote(land["buyer3"], trade, minimum + 3 * INCREMENT).seq == 3  # several steps at once
    assert auctions.current_price(trade) == minimum + 3 * INCREMENT
    # refused quotes are kept with their reason, and the board shows only the accepted, by paddle
    kept = db.session.scalars(sa.select(ListingQuote.refusal).where(ListingQuote.refusal.is_not(None))).all()
    assert sorted(kept) == ["not_increment", "too_low"]
    board = auctions.board(trade)
    assert [q.paddle for q in board.quotes] == [regs["buyer1"].paddle, regs["buyer2"].paddle, regs["buyer3"].paddle]
    assert board.minimum == minimum + 4 * INCREMENT and board.open


def test_an_increment_changed_mid_listing_moves_the_next_level(db, listing, land):
    trade, _regs = listing
    auctions.quote(land["buyer1"], trade, STARTING_PRICE)
    auctions.change_increment(land["staff"], trade, "250000.00", "价格攀升较快")
    assert auctions.quote(land["buyer2"], trade, STARTING_PRICE + INCREMENT).refusal == "too_low"
    assert auctions.quote(land["buyer2"], trade, STARTING_PRICE + Decimal("250000.00")).seq == 2


def test_quotes_only_within_the_listing(db, land_sale, land, clock):
    from tests.bidding.auctions.conftest import qualify_buyer

    clock.freeze(LISTING_FROM - timedelta(days=1))
    qualify_buyer(land, land_sale, "buyer1")
    assert auctions.quote(land["buyer1"], land_sale, STARTING_PRICE).refusal == "not_listing"
    clock.freeze(LISTING_FROM)
    from trading.trades import services as trades

    trades.advance_due()
    assert auctions.quote(land["buyer1"], land_sale, STARTING_PRICE).seq == 1
    clock.freeze(land_sale.bid_deadline - timedelta(seconds=1))
    assert auctions.quote(land["buyer1"], land_sale, STARTING_PRICE + INCREMENT).seq == 2
    clock.freeze(land_sale.bid_deadline)
    assert auctions.quote(land["buyer1"], land_sale, STARTING_PRICE + 2 * INCREMENT).refusal == "not_listing"


@pytest.mark.parametrize("amount", ["abc", "1.001", "-5", "0", 1.5, None, "1e30", "NaN"])
def test_malformed_amounts_are_refused_naming_the_field(db, listing, land, amount):
    trade, _regs = listing
    with pytest.raises(InvalidInput) as exc:
        auctions.quote(land["buyer1"], trade, amount)
    assert list(exc.value.errors) == ["amount"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ListingQuote)) == 0


def test_two_quotes_for_one_level_exactly_one_takes_it(app, db, listing, land, monkeypatch):
    """Both read the same last quote, then both write: the unique (trade, seq) lets one in; the other is
    kept refused ("taken") and nothing fails."""
    trade, _regs = listing
    trade_id = trade.id
    users = {who: land[who].id for who in ("buyer1", "buyer2")}
    racers: set[threading.Thread] = set()
    both_read = threading.Barrier(2, timeout=20)
    real_last = quotes_module._last_quote

    def last_then_wait(t):
        found = real_last(t)
        if threading.current_thread() in racers:
            both_read.wait()  # neither writes before both have read the same level
        return found

    monkeypatch.setattr(quotes_module, "_last_quote", last_then_wait)
    results, errors = {}, []

    def race(who: str) -> None:
        from trading.accounts.models import User
        from trading.extensions import db as _db
        from trading.trades.models import Trade

        try:
            with app.app_context():
                row = auctions.quote(_db.session.get(User, users[who]), _db.session.get(Trade, trade_id),
                                     STARTING_PRICE)
                _db.session.commit()
                results[who] = (row.seq, row.refusal)
                _db.session.remove()
        except Exception as exc:  # noqa: BLE001 (the test reports any failure of a racer)
            errors.append(repr(exc))

    threads = [threading.Thread(target=race, args=(who,)) for who in users]
    racers.update(threads)
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert sorted(results.values(), key=str) == sorted([(1, None), (None, "taken")], key=str)
    db.session.expire_all()
    rows = db.session.scalars(sa.select(ListingQuote).where(ListingQuote.trade_id == trade_id)).all()
    assert sorted((r.seq or 0, r.refusal or "") for r in rows) == [(0, "taken"), (1, "")]


def test_unqualified_and_refused_companies_cannot_quote(db, listing, users):
    trade, _regs = listing
    with pytest.raises(IllegalMove) as exc:
        auctions.quote(users["bidder"], trade, STARTING_PRICE)
    assert exc.value.code == "not_qualified"


def test_many_quotes_for_one_level_over_http_one_takes_it_none_fails(app, db, listing, land, make_user, make_org):
    """Eight companies post the same amount at once to a real threaded server: exactly one 201, the rest
    409 (beaten to the level: "taken", or read after it: "too_low"), never a 500."""
    import json
    import urllib.request

    from werkzeug.serving import make_server

    from bidding.auctions.models import RegistrationStatus
    from tests.bidding.auctions.conftest import qualify_buyer
    from tests.conftest import api_headers
    from trading.accounts.models import OrgKind
    from trading.accounts.roles import Role

    trade, _regs = listing
    names = ["buyer1", "buyer2", "buyer3"]
    for n in range(4, 9):
        land[f"buyer{n}"] = make_user(f"buyer{n}", (Role.BIDDER, None), org=make_org(OrgKind.BIDDER, f"Buyer {n} Co."))
        assert qualify_buyer(land, trade, f"buyer{n}").status is RegistrationStatus.QUALIFIED
        names.append(f"buyer{n}")
    db.session.commit()
    client = app.test_client()
    headers = {who: api_headers(client, who) for who in names}
    url = f"/api/v1/trades/{trade.id}/sale/quotes"
    server = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    go = threading.Barrier(len(names), timeout=30)
    answers: dict[str, tuple[int, dict]] = {}

    def post(who: str) -> None:
        request = urllib.request.Request(
            f"http://127.0.0.1:{server.server_port}{url}", method="POST",
            data=json.dumps({"amount": str(STARTING_PRICE)}).encode(),
            headers={**headers[who], "Content-Type": "application/json", "Accept-Language": "en"})
        go.wait()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                answers[who] = (response.status, json.loads(response.read()))
        except urllib.error.HTTPError as exc:
            answers[who] = (exc.code, json.loads(exc.read()))

    threads = [threading.Thread(target=post, args=(who,)) for who in names]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        server.shutdown()
        server.server_close()
    statuses = sorted(status for status, _body in answers.values())
    assert len(answers) == len(names) and statuses == [201] + [409] * (len(names) - 1), answers
    assert {body["code"] for status, body in answers.values() if status == 409} <= {"taken", "too_low"}
    db.session.expire_all()
    assert [q.seq for q in auctions.accepted_quotes(trade)] == [1]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ListingQuote)) == len(names)
