"""The live round's page over the test client: one page for everyone, the role deciding the controls;
bidders by paddle only, one's own highlighted; the page's JSON twins of the API."""
from __future__ import annotations

import re
import uuid

from bidding.auctions.live import services as live
from tests.bidding.auctions.conftest import INCREMENT, STARTING_PRICE
from tests.conftest import csrf_token, login

LEAD = STARTING_PRICE + INCREMENT


def test_one_page_for_all_with_the_controls_of_each(db, open_round, land, app, clock):
    trade, regs = open_round
    url = f"/trades/{trade.id}/auction"
    public = app.test_client().get(url, headers={"Accept-Language": "zh-CN"})
    html = public.get_data(as_text=True)
    assert public.status_code == 200
    assert "壹仟零壹拾万元整" in html and "¥10,100,000.00" in html
    assert 'id="a-plus-one"' not in html and 'id="a-start"' not in html
    for name in ("Land Buyer", "buyer1", "buyer2"):  # paddles only
        assert name not in html

    bidder = app.test_client()
    login(bidder, "buyer1")
    page = bidder.get(url).get_data(as_text=True)
    assert 'id="a-plus-one"' in page and f'id="a-my-paddle" class="mine">{regs["buyer1"].paddle}<' in page
    token = csrf_token(page)
    answer = bidder.post(f"{url}/bids", json={"amount": str(LEAD + INCREMENT), "client_ref": str(uuid.uuid4())},
                         headers={"X-CSRFToken": token})
    assert answer.status_code == 201 and answer.get_json()["seq"] == 1
    again = bidder.post(f"{url}/bids", json={"amount": "1", "client_ref": "x"}, headers={"X-CSRFToken": token})
    assert again.status_code == 409 and again.get_json()["code"] == "already_leading"
    board = bidder.get(f"{url}/board").get_json()
    assert board["my_paddle"] == regs["buyer1"].paddle and board["leader_paddle"] == regs["buyer1"].paddle
    page = bidder.get(url).get_data(as_text=True)
    assert re.search(r'<tr data-seq="1" class="mine">', page)

    other = app.test_client()
    login(other, "buyer2")
    assert 'class="mine"' not in other.get(url).get_data(as_text=True).split('id="a-log"')[1]

    supervisor = app.test_client()
    login(supervisor, "land_supervisor")
    seen = supervisor.get(url).get_data(as_text=True)
    assert 'id="a-plus-one"' not in seen and "¥10,200,000.00" in seen
    assert supervisor.post(f"{url}/bids", json={"amount": "1", "client_ref": "x"},
                           headers={"X-CSRFToken": csrf_token(seen)}).status_code == 403


def test_staff_start_the_round_from_the_page_and_bidders_confirm(db, quoted, land, app, clock):
    trade, _regs = quoted
    url = f"/trades/{trade.id}/auction"
    staff = app.test_client()
    login(staff, "land_staff")
    page = staff.get(url).get_data(as_text=True)
    assert 'id="a-start"' in page
    assert staff.post(f"{url}/start", data={"csrf_token": csrf_token(page)}).status_code == 302
    assert live.round_of(trade) is not None
    bidder = app.test_client()
    login(bidder, "buyer1", )
    page = bidder.get(url).get_data(as_text=True)
    assert 'id="a-confirm"' in page
    bidder.post(f"{url}/confirm", data={"csrf_token": csrf_token(page)})
    db.session.expire_all()
    assert [e.paddle for e in live.round_of(trade).entrants] == [_regs["buyer1"].paddle]
    english = app.test_client().get(url + "?lang=en").get_data(as_text=True)
    assert "Confirming entry" in english and "Price board" in english
