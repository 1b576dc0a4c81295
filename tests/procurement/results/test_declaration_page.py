"""The supplier's SME declaration page (46号 Art. 11): linked from the bid page of a procurement that states SME
terms, in both languages; bad input refused naming the field, a late one refused; the declaration shown."""
from __future__ import annotations

from decimal import Decimal

from procurement.results import sme
from tests.conftest import csrf_token, login


def _url(trade) -> str:
    return f"/procurement/trades/{trade.id}/sme-declaration"


def test_the_bid_page_links_to_the_declaration_only_with_sme_terms(client, db, gp_bidding, gp_trade, proc_people):
    login(client, "bidder")
    page = client.get(f"/bidding/trades/{gp_bidding.id}/bid", query_string={"lang": "en"}).get_data(as_text=True)
    assert f'href="{_url(gp_bidding)}"' in page and "Declare small or micro enterprise status" in page
    zh = client.get(f"/bidding/trades/{gp_bidding.id}/bid", query_string={"lang": "zh_CN"}).get_data(as_text=True)
    assert f'href="{_url(gp_bidding)}"' in zh and "Declare small or micro enterprise status" not in zh
    sme.policy_of(gp_bidding)  # the terms exist; a works trade's bid page has no such link (no hook answers)
    db.session.delete(sme.policy_of(gp_bidding))
    db.session.commit()
    bare = client.get(f"/bidding/trades/{gp_bidding.id}/bid").get_data(as_text=True)
    assert _url(gp_bidding) not in bare and 'id="bid-links"' not in bare
    assert client.get(_url(gp_bidding)).status_code == 404  # no SME terms: nothing to declare


def test_a_supplier_declares_on_the_page(client, db, gp_bidding, proc_people):
    login(client, "bidder")
    url = _url(gp_bidding)
    zh = client.get(url, query_string={"lang": "zh_CN"})
    assert zh.status_code == 200
    html = zh.get_data(as_text=True)
    assert 'name="employees"' in html and 'inputmode="decimal"' in html and "10.00%" in html
    en = client.get(url, query_string={"lang": "en"}).get_data(as_text=True)
    assert "SME declaration" in en and "You have not declared" in en
    token = csrf_token(html)
    bad = client.post(url + "?lang=en", data={"csrf_token": token, "size": "medium", "industry": "retail",
                                             "employees": "six", "revenue": "900000.001"})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert 'id="size-error"' in text and 'id="employees-error"' in text and 'id="revenue-error"' in text
    assert "must be a whole number" in text and "must be an amount such as 1250000.00" in text
    db.session.expire_all()
    assert sme.declaration_of(gp_bidding, proc_people["bidder"].organisation_id) is None  # nothing partial
    bad_zh = client.post(url + "?lang=zh_CN", data={"csrf_token": token, "size": "micro", "industry": "retail",
                                                   "employees": "-1", "revenue": "900000.00"})
    assert bad_zh.status_code == 422 and 'id="employees-error"' in bad_zh.get_data(as_text=True)
    assert "must be a whole number" not in bad_zh.get_data(as_text=True)  # said in Chinese
    good = client.post(url, data={"csrf_token": token, "size": "micro", "industry": "retail", "employees": "6",
                                  "revenue": "900000.00"})
    assert good.status_code == 302
    db.session.expire_all()
    row = sme.declaration_of(gp_bidding, proc_people["bidder"].organisation_id)
    assert (row.size, row.industry, row.employees, row.revenue) == ("micro", "retail", 6, Decimal("900000.00"))
    shown = client.get(url, query_string={"lang": "en"}).get_data(as_text=True)
    assert "micro enterprise" in shown and "¥900,000.00" in shown and "微型企业" in shown  # the 46号 text


def test_a_late_declaration_is_refused(client, db, gp_bidding, proc_people, clock):
    login(client, "bidder")
    url = _url(gp_bidding)
    token = csrf_token(client.get(url).get_data(as_text=True))
    clock.freeze(gp_bidding.bid_deadline)
    page = client.get(url, query_string={"lang": "en"}).get_data(as_text=True)
    assert 'name="employees"' not in page and "before the bid deadline" in page
    late = client.post(url + "?lang=en", data={"csrf_token": token, "size": "micro", "industry": "retail",
                                              "employees": "6", "revenue": "900000.00"})
    assert late.status_code == 422 and "before the bid deadline" in late.get_data(as_text=True)
    db.session.expire_all()
    assert sme.declaration_of(gp_bidding, proc_people["bidder"].organisation_id) is None


def test_who_may_open_the_declaration_page(app, db, gp_bidding, proc_people):
    url = _url(gp_bidding)
    assert app.test_client().get(url).status_code == 302  # to sign in
    for who, status in (("bidder", 200), ("bidder_b", 200), ("tenderer", 403), ("staff", 403), ("decider", 403)):
        c = app.test_client()
        login(c, who)
        assert c.get(url).status_code == status, who
