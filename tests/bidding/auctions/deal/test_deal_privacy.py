"""Who learns what from the deal: every viewer kind reads every GET route of the deal (pages, JSON, PDFs) after
a sale concluded. The winner is named to the parties, the centre's staff and supervisors (and publicly by the
result notice); the losing companies only to the executing staff, who refund their deposits; the reserve to
nobody through these routes."""
from __future__ import annotations

import subprocess

import pytest
import sqlalchemy as sa

from bidding.auctions.deal import services as deal
from tests.bidding.auctions.conftest import INCREMENT, STARTING_PRICE
from tests.bidding.auctions.deal.conftest import set_reserve
from tests.conftest import api_headers, login
from trading.notices.models import Notification

RESERVE = "10123456.78"
LOSERS = ("Land Buyer 2 Co.", "Land Buyer 3 Co.")
WINNER = "Land Buyer 1 Co."
#: username by viewer kind (the LAND cast of tests/bidding/auctions/conftest.py, the WORKS cast of tests/conftest.py)
VIEWERS = {"anonymous": None, "winner": "buyer1", "loser": "buyer2", "loser_quiet": "buyer3", "seller": "tenderer",
           "staff": "land_staff", "decider": "land_decider", "supervisor": "land_supervisor",
           "social": "land_social", "other_centre_staff": "staff", "public": "public",
           "other_tenderer": "other_tenderer"}
#: who may read the winner's name on the deal's routes
NAMED_WINNER = {"winner", "seller", "staff", "supervisor", "social"}


def _text(response) -> str:
    data = response.get_data()
    if response.mimetype == "application/pdf":
        return subprocess.run(["pdftotext", "-q", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
    return data.decode("utf-8", "replace")


def _routes(trade) -> list[str]:
    api, page = f"/api/v1/trades/{trade.id}/deal", f"/bidding/trades/{trade.id}/deal"
    return [api, f"{api}/confirmation", f"{api}/confirmation.pdf", f"{api}/deposits", page,
            f"{page}/confirmation.pdf", f"{page}/deposits"]


@pytest.fixture
def sold(db, quoted, land, users):
    trade, regs = quoted(("buyer2", STARTING_PRICE), ("buyer3", STARTING_PRICE + INCREMENT),
                         ("buyer1", STARTING_PRICE + 3 * INCREMENT))
    set_reserve(trade, RESERVE)
    return trade


def _read(client, who, url) -> tuple[int, str]:
    client.post("/logout")
    username = VIEWERS[who]
    if url.startswith("/api/"):
        response = client.get(url, headers=api_headers(client, username) if username else {})
    else:
        if username:
            login(client, username)
        response = client.get(url)
    return response.status_code, _text(response) if response.status_code == 200 else ""


def test_before_the_end_nobody_reads_a_deal(db, client, sold):
    """(The executing staff, who qualified the registrants, read their deposits all along.)"""
    for who in VIEWERS:
        for url in _routes(sold):
            status, text = _read(client, who, url)
            if who != "staff" or "/deposits" not in url:
                assert "Land Buyer" not in text, (who, url, status)


@pytest.mark.parametrize("who", sorted(VIEWERS))
def test_after_the_deal_each_viewer_reads_what_the_rules_allow(db, client, sold, land, who):
    deal.conclude(land["staff"], sold)
    db.session.commit()
    seen = ""
    for url in _routes(sold):
        status, text = _read(client, who, url)
        seen += text
        assert RESERVE not in text and "10,123,456.78" not in text, (who, url)
    assert (WINNER in seen) == (who in NAMED_WINNER), who
    for name in LOSERS:
        assert (name in seen) == (who == "staff"), (who, name)


def test_the_parties_are_told_the_confirmation_awaits_them(db, sold, land):
    deal.conclude(land["staff"], sold)
    db.session.commit()
    told = set(db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "deal_confirmation")))
    assert told == {land["buyer1"].id, land["seller"].id}
