"""Bidders appear by paddle only: during and after a live round no viewer but the centre's executing staff
reads which company or person holds a paddle, on the page, its JSON, the API's board or the trade's
live stream (the audit entries behind it), while each bidder reads its own paddle."""
from __future__ import annotations

import uuid

import pytest

from bidding.auctions.live import services as live
from bidding.auctions.live.bids import place_bid
from monitor.audit.entries import acting_as
from tests.bidding.auctions.conftest import INCREMENT, STARTING_PRICE
from tests.conftest import api_headers, login

VIEWERS = ("anonymous", "buyer1", "buyer2", "buyer3", "land_supervisor", "land_social", "land_decider", "public",
           "tenderer")


@pytest.fixture
def app(make_app):
    return make_app(LIVE_MAX_SECONDS=0)  # a stream answers its backlog and ends


def _names(land) -> dict[str, set[str]]:
    """What would name each buyer: its company, its user name and display name."""
    return {who: {land[who].organisation.name, land[who].username, land[who].display_name}
            for who in ("buyer1", "buyer2", "buyer3")}


def _read(app, who: str, trade) -> str:
    page_client = app.test_client()
    api_client = app.test_client()
    headers = {}
    if who != "anonymous":
        login(page_client, who)
        headers = api_headers(api_client, who)
    texts = [page_client.get(f"/trades/{trade.id}/auction").get_data(as_text=True),
             page_client.get(f"/trades/{trade.id}/auction/board").get_data(as_text=True),
             api_client.get(f"/api/v1/trades/{trade.id}/auction", headers=headers).get_data(as_text=True),
             page_client.get(f"/live/trades/{trade.id}?after=0").get_data(as_text=True)]
    return "\n".join(texts)


def test_paddles_only_for_every_viewer(app, db, open_round, land, clock):
    trade, regs = open_round
    for n, who in enumerate(("buyer1", "buyer2", "buyer1")):
        with acting_as(land[who]):
            place_bid(land[who], trade, STARTING_PRICE + (n + 2) * INCREMENT, str(uuid.uuid4()))
            db.session.commit()
    names = _names(land)
    for stage in ("open", "closed"):
        if stage == "closed":
            from datetime import timedelta

            clock.freeze(live.round_of(trade).ends_at + timedelta(seconds=live.CLOSE_GRACE_SECONDS))
            live.run_due()
        for who in VIEWERS:
            text = _read(app, who, trade)
            own = names.get(who, set())
            leaked = sorted(n for buyer, ns in names.items() for n in ns if n in text and n not in own)
            assert not leaked, f"{who} reads {leaked} ({stage})"
            if who in regs:
                assert f'id="a-my-paddle" class="mine">{regs[who].paddle}<' in text
        staff = _read(app, "land_staff", trade)
        # the rule is not vacuous: the board and the stream carry the bids, by paddle
        assert str(regs["buyer1"].paddle) in staff and "auction_live_bids.insert" in _read(app, "anonymous", trade)
