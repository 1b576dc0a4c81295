"""The results page in both languages: the purchaser sees its deadline and the candidates' evaluated prices,
confirms the winner; the SME terms' error as a person reads it; who may open the page."""
from __future__ import annotations

from tests.conftest import csrf_token, login
from trading.trades.flows import TradeState


def _get(client, url, lang):
    return client.get(url, query_string={"lang": lang})


def test_the_purchaser_confirms_the_winner_on_the_page(client, db, gp_publicity, proc_people, clock):
    from tests.bidding.award.helpers import local

    clock.freeze(local(2026, 3, 30, 10, 0))
    login(client, "tenderer")
    url = f"/procurement/trades/{gp_publicity.id}/results"
    zh = _get(client, url, "zh_CN")
    assert zh.status_code == 200
    html = zh.get_data(as_text=True)
    assert "¥4,499,999.99" in html and "¥4,999,999.99" in html  # bidder_c's evaluated and bid price
    en = _get(client, url, "en").get_data(as_text=True)
    assert "Confirm the winner" in en and "Evaluated price" in en and "MOF Order 87 Art. 68" in en
    got = client.post(url, data={"csrf_token": csrf_token(html), "action": "decide"})
    assert got.status_code == 302
    db.session.expire_all()
    assert gp_publicity.state is TradeState.AWARDED
    after = _get(client, url, "en").get_data(as_text=True)
    assert "Decided by" in after and "announced until" in after


def test_sme_terms_error_in_the_readers_language(client, db, gp_trade, users):
    trade = gp_trade("gp_open_tender", "300000.00")
    login(client, "tenderer")
    url = f"/procurement/trades/{trade.id}/results"
    page = _get(client, url, "zh_CN").get_data(as_text=True)
    bad = client.post(url + "?lang=zh_CN", data={"csrf_token": csrf_token(page), "action": "policy",
                                                  "category": "works", "deduction": "10"})
    assert bad.status_code == 422 and "财库〔2020〕46号" in bad.get_data(as_text=True)
    good = client.post(url, data={"csrf_token": csrf_token(page), "action": "policy", "category": "works",
                                  "deduction": "5", "reserved": "on"})
    assert good.status_code == 302
    assert "5.00%" in _get(client, url, "en").get_data(as_text=True)


def test_who_may_open_the_results_page(app, db, gp_trade, users):
    trade = gp_trade("gp_open_tender", "300000.00")
    url = f"/procurement/trades/{trade.id}/results"
    assert app.test_client().get(url).status_code == 302  # to sign in
    for who, status in (("tenderer", 200), ("staff_proc", 200), ("bidder", 403), ("other_tenderer", 403),
                        ("staff", 403)):
        c = app.test_client()
        login(c, who)
        assert c.get(url).status_code == status, who
    c = app.test_client()
    login(c, "bidder")
    assert c.post(url, data={"action": "policy"}).status_code in (400, 403)


def test_the_demo_procurement_waits_for_the_purchasers_decision(db, client, app):
    from bidding.award.candidates import current_list
    from procurement.results import services
    from procurement.results.demo import TITLE
    from trading.demo import DEMO_PASSWORD, load_demo
    from trading.trades.models import Trade
    import sqlalchemy as sa

    load_demo()
    trade = db.session.scalar(sa.select(Trade).where(Trade.title == TITLE))
    assert trade.state is TradeState.PUBLICITY and services.decision_due(trade) is not None
    first = current_list(trade).candidates[0]
    assert first.organisation.name == "博联信息科技有限公司" and str(first.evaluated_price) == "710100.00"
    login(client, "purchaser", DEMO_PASSWORD)
    page = client.get(f"/procurement/trades/{trade.id}/results?lang=zh_CN").get_data(as_text=True)
    assert "确认中标人" in page and "¥710,100.00" in page
