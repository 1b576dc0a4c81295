"""The plan pages in both languages: the purchaser's plan, its lines and what is left; the staff's view."""
from __future__ import annotations

import re
from decimal import Decimal

from procurement.plans import services
from tests.conftest import csrf_token, login


def _get(client, url, lang):
    return client.get(url, query_string={"lang": "en" if lang == "en" else "zh_CN"})


def test_purchaser_sees_lines_and_what_is_left_in_chinese_and_english(client, db, plan, gp_trade, users):
    trade = gp_trade(price="250000.00")
    services.draw(users["tenderer"], trade, plan.lines[0].id)
    db.session.commit()
    login(client, "tenderer")
    zh = _get(client, f"/procurement/plans/{plan.id}", "zh-CN")
    assert zh.status_code == 200
    html = zh.get_data(as_text=True)
    row = re.search(rf'<tr data-line="{plan.lines[0].id}">.*?</tr>', html, re.S).group(0)
    assert "台式计算机" in row and "¥750,000.00" in row and trade.ref in row and "集中采购" in row
    assert "剩余" in html and "一般公共预算" in html and "国办发〔2019〕55号" in html
    en = _get(client, f"/procurement/plans/{plan.id}", "en").get_data(as_text=True)
    assert "Desktop computers" in en and "Left" in en and "general public budget" in en
    listing = _get(client, "/procurement/plans", "en").get_data(as_text=True)
    assert "2026 procurement plan" in listing and "¥3,750,000.00" in listing  # 4,000,000 less the draw


def test_adding_a_line_through_the_page_and_the_error_a_person_sees(client, db, plan, users):
    login(client, "tenderer")
    page = _get(client, f"/procurement/plans/{plan.id}", "zh-CN").get_data(as_text=True)
    form = {"csrf_token": csrf_token(page), "category_code": "A05010000", "fund_source": "own_funds",
            "description": "Desks", "amount": "12000.005"}
    bad = client.post(f"/procurement/plans/{plan.id}?lang=zh_CN", data=form)
    assert bad.status_code == 422 and "必须为金额" in bad.get_data(as_text=True)
    assert len(plan.lines) == 2
    good = client.post(f"/procurement/plans/{plan.id}", data={**form, "amount": "12000.00"})
    assert good.status_code == 302
    db.session.expire_all()
    assert [line.amount for line in plan.lines][-1] == Decimal("12000.00")


def test_staff_of_the_centre_see_the_plan_others_do_not(app, db, plan, users):
    staff = app.test_client()
    login(staff, "staff_proc")
    assert staff.get(f"/procurement/plans/{plan.id}").status_code == 200
    for who in ("other_tenderer", "staff", "bidder"):
        other = app.test_client()
        login(other, who)
        assert other.get(f"/procurement/plans/{plan.id}").status_code == 403, who
    assert app.test_client().get(f"/procurement/plans/{plan.id}").status_code == 302  # to sign in


def test_purchaser_makes_its_plan_on_the_page(client, db, users, centres):
    login(client, "tenderer")
    page = client.get("/procurement/plans").get_data(as_text=True)
    response = client.post("/procurement/plans", data={"csrf_token": csrf_token(page), "year": "2027",
                                                       "centre_id": str(centres["PROC"].id), "title": ""})
    assert response.status_code == 302
    again = client.post("/procurement/plans?lang=en", data={"csrf_token": csrf_token(page), "year": "2027",
                                                    "centre_id": str(centres["PROC"].id)})
    assert again.status_code == 422 and "already has a plan for 2027" in again.get_data(as_text=True)


def test_a_trade_budget_page_refuses_the_threshold_until_the_decider_approves(app, db, plan, gp_trade, users):
    trade = gp_trade("gp_competitive_negotiation", "2000000.00")
    line_id = plan.lines[1].id  # services, 3,000,000.00
    purchaser = app.test_client()
    login(purchaser, "tenderer")
    url = f"/procurement/trades/{trade.id}/budget"
    page = purchaser.get(url).get_data(as_text=True)
    refused = purchaser.post(url + "?lang=zh_CN", data={"csrf_token": csrf_token(page), "action": "draw",
                                                        "line_id": str(line_id)})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "已达到公开招标数额标准" in text and "¥2,000,000.00" in text
    assert "Approve the method" not in text and "批准采购方式" not in text  # the purchaser cannot approve
    decider = app.test_client()
    login(decider, "decider")
    page = decider.get(url).get_data(as_text=True)
    blank = decider.post(url + "?lang=en", data={"csrf_token": csrf_token(page), "action": "approve", "reason": " "})
    assert blank.status_code == 422 and "say why open tendering is not used" in blank.get_data(as_text=True)
    assert decider.post(url, data={"csrf_token": csrf_token(page), "action": "approve",
                                   "reason": "仅有两家供应商能够提供"}).status_code == 302
    page = purchaser.get(url).get_data(as_text=True)
    assert "仅有两家供应商能够提供" in page
    assert purchaser.post(url, data={"csrf_token": csrf_token(page), "action": "draw",
                                     "line_id": str(line_id)}).status_code == 302
    assert "¥1,000,000.00" in purchaser.get(url).get_data(as_text=True)  # what the line has left
