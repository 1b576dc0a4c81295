"""The demo's single sources and the two pages in Chinese and English: the notice with its objections, the
negotiation record and its signatures (as the purchaser, an objector and the expert see them)."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from procurement.direct import services
from tests.conftest import csrf_token, login
from tests.procurement.direct.helpers import notice_end, single_source
from trading.trades.flows import TradeState
from trading.trades.models import Trade


def _get(client, url, lang):
    return client.get(url, query_string={"lang": "en" if lang == "en" else "zh_CN"})


def test_the_demo_has_a_single_source_in_its_notice_and_one_awaiting_signatures(db, client, app):
    from trading.demo import DEMO_PASSWORD, load_demo

    load_demo()
    found = {t.title: t for t in db.session.scalars(sa.select(Trade).where(Trade.method == "gp_single_source"))}
    current = found["教育信息化平台运维服务单一来源采购（2026年下半年）"]
    past = found["教育信息化平台运维服务单一来源采购（2026年上半年）"]
    assert services.objection_window_open(current)
    assert past.state is TradeState.EVALUATING and services.record_of(past).price == 356000
    assert [s.user.username for s in services.unsigned(past)] == ["expert"]
    assert services.objections(past)[0].upheld is False
    inquiry = db.session.scalar(sa.select(Trade).where(Trade.title == "市教育局办公设备询价采购"))
    assert inquiry.method == "gp_inquiry"
    login(client, "expert", DEMO_PASSWORD)
    page = _get(client, f"/procurement/trades/{past.id}/single-source/negotiation", "zh-CN").get_data(as_text=True)
    assert "协商情况记录" in page and "¥356,000.00" in page and 'id="ss-sign"' in page
    client.post("/logout")
    login(client, "bidder3", DEMO_PASSWORD)
    page = _get(client, f"/procurement/trades/{current.id}/single-source/objections", "en").get_data(as_text=True)
    assert 'id="ss-object"' in page and "博联信息科技有限公司" in page


def test_objection_page_in_both_languages_and_the_errors_a_person_sees(db, client, users, gp_trade, plan, clock):
    trade = single_source(db, users, gp_trade, plan)
    clock.freeze(notice_end() - timedelta(days=1))
    url = f"/procurement/trades/{trade.id}/single-source/objections"
    zh = _get(client, url, "zh-CN").get_data(as_text=True)
    assert "单一来源公示" in zh and "Bidder Construction Co." in zh and "登录后" in zh
    en = _get(client, url, "en").get_data(as_text=True)
    assert "Single-source notice" in en and "at least 5 working days" in en
    login(client, "other_tenderer")
    page = _get(client, url, "zh-CN").get_data(as_text=True)
    empty = client.post(url + "?lang=zh_CN", data={"csrf_token": csrf_token(page), "action": "object", "text": " "})
    assert empty.status_code == 422 and "不能为空" in empty.get_data(as_text=True)
    assert services.objections(trade) == []
    done = client.post(url, data={"csrf_token": csrf_token(page), "action": "object", "text": "另有供应商"})
    assert done.status_code == 302
    clock.freeze(notice_end())
    late = client.post(url + "?lang=zh_CN", data={"action": "object", "text": "again"})
    assert late.status_code == 409 and "公示期" in late.get_data(as_text=True)
    client.post("/logout")
    login(client, "tenderer")
    page = _get(client, url, "en").get_data(as_text=True)
    assert "另有供应商" in page and "Record the answer" in page


def test_negotiation_page_in_both_languages(db, client, users, gp_trade, plan, clock):
    from bidding.evaluation import services as evaluation
    from bidding.evaluation.models import SeatKind

    trade = single_source(db, users, gp_trade, plan)
    clock.freeze(notice_end() + timedelta(hours=1))
    services.begin_negotiation(users["staff_proc"], trade)
    evaluation.seat_member(users["staff_proc"], trade, users["expert"], SeatKind.EXPERT)
    db.session.commit()
    url = f"/procurement/trades/{trade.id}/single-source/negotiation"
    login(client, "staff_proc")
    page = _get(client, url, "zh-CN").get_data(as_text=True)
    assert "协商情况记录" in page and 'id="ss-record-form"' in page
    over = client.post(url + "?lang=zh_CN", data={"action": "record", "price": "500000.01",
                                                  "negotiated_at": "2026-03-09T10:30", "place": "谈判室",
                                                  "cost_basis": "成本", "terms": "条款"})
    assert over.status_code == 422 and "预算" in over.get_data(as_text=True)
    en = _get(client, url, "en").get_data(as_text=True)
    assert "Negotiation record" in en and "Agreed price" in en


def test_both_pages_read_in_one_language_for_every_viewer(db, client, users, gp_trade, plan, clock):
    """The checks of tests/bidding/test_both_languages.py on the two pages at their fullest (an answered objection,
    a record with an agreement and a dissent), for each kind of viewer."""
    from bidding.evaluation import services as evaluation
    from bidding.evaluation.models import SeatKind
    from tests.bidding.test_both_languages import _typed, offences, visible

    trade = single_source(db, users, gp_trade, plan)
    clock.freeze(notice_end() - timedelta(days=1))
    typed = ["另有供应商能够提供同等产品", "经补充论证，异议不成立", "质保期应为5年", "谈判室", "成本明细", "条款"]
    objection = services.file_objection(users["other_tenderer"], trade, typed[0])
    clock.freeze(notice_end() + timedelta(hours=1))
    services.answer_objection(users["tenderer"], objection, typed[1], False)
    services.begin_negotiation(users["staff_proc"], trade)
    evaluation.seat_member(users["staff_proc"], trade, users["expert"], SeatKind.EXPERT)
    evaluation.seat_member(users["staff_proc"], trade, users["tenderer"], SeatKind.TENDERER_REP)
    clock.freeze(notice_end() + timedelta(hours=3))
    services.record_negotiation(users["staff_proc"], trade, {
        "price": "450000.00", "negotiated_at": notice_end() + timedelta(hours=2), "place": typed[3],
        "cost_basis": typed[4], "terms": typed[5]})
    services.sign(users["tenderer"], trade, False, typed[2])
    db.session.commit()
    typed = sorted(set(_typed(db)) | set(typed) | {services.source_of(trade).reason}, key=len, reverse=True)
    for who in (None, "other_tenderer", "tenderer", "staff_proc", "expert"):
        if who:
            login(client, who)
        for page in ("objections", "negotiation"):
            if page == "negotiation" and who in (None, "other_tenderer"):
                continue
            for lang in ("zh-CN", "en"):
                response = _get(client, f"/procurement/trades/{trade.id}/single-source/{page}", lang)
                assert response.status_code == 200, (who, page)
                found = offences(visible(response.get_data(as_text=True), "text/html"), lang, typed)
                assert found is None, (who, page, lang, found)
        if who:
            client.post("/logout")
