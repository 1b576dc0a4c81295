"""The scoring page over real HTTP (session, CSRF, forms): a member's sheet with errors beside the field, submit
and lock, what each viewer sees, the report made and signed from the page with the member's own key, and the
page in both languages."""
from __future__ import annotations

import re

import pytest

from bidding.scoring import report as reports, services as scoring
from tests.bidding.scoring.conftest import entries_by_bidder
from tests.bidding.scoring.test_sheets import PLAN, SHEETS, _scores
from tests.conftest import csrf_token, login
from tests.signing_helpers import page_signed


@pytest.fixture
def planned(db, evaluating, committee):
    plan = scoring.set_plan(committee["staff"], evaluating, PLAN)
    db.session.commit()
    return plan


def _as(client, who: str) -> None:
    client.get("/logout")
    login(client, who)


def _page(client, trade):
    return client.get(f"/bidding/trades/{trade.id}/scoring")


def _post(client, trade, data: dict):
    token = csrf_token(_page(client, trade).get_data(as_text=True))
    return client.post(f"/bidding/trades/{trade.id}/scoring", data={**data, "csrf_token": token})


def _form(plan, entries, sheet) -> dict:
    return {f"score.{s['entry_id']}.{s['criterion_id']}.points": s["points"] for s in _scores(plan, entries, sheet)}


def test_a_member_scores_on_the_page(db, client, evaluating, committee, planned):
    trade, entries = evaluating, entries_by_bidder(evaluating, committee)
    tech = planned.criteria[0]
    _as(client, "e1")
    page = _page(client, trade)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="sheet-form"' in html and 'id="plan-form"' not in html
    field = f"score.{entries['bidder'].id}.{tech.id}.points"
    assert f'name="{field}"' in html and "bidder_c 建设有限公司" in html
    # 45 on a 40-point criterion: 422, the error beside its field, what was typed kept
    bad = _post(client, trade, {**_form(planned, entries, SHEETS["e1"]), field: "45", "action": "save"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and f'id="{field}-error"' in text and 'value="45"' in text
    assert scoring.sheet_of(committee["e1"], trade) is None  # nothing was kept
    saved = _post(client, trade, {**_form(planned, entries, SHEETS["e1"]), "action": "save"})
    assert saved.status_code == 302
    assert len(scoring.sheet_of(committee["e1"], trade).scores) == 6
    # the draft is nobody else's to see: another member's page, the staff's page
    for who in ("e2", "staff"):
        _as(client, who)
        assert "sheet-table" not in _page(client, trade).get_data(as_text=True)
    _as(client, "e1")
    done = _post(client, trade, {**_form(planned, entries, SHEETS["e1"]), "action": "submit"})
    assert done.status_code == 302
    html = _page(client, trade).get_data(as_text=True)
    assert 'id="sheet-locked"' in html and 'id="sheet-form"' not in html
    again = _post(client, trade, {**_form(planned, entries, SHEETS["e2"]), "action": "save"})
    assert again.status_code == 302  # refused with a message, the sheet unchanged
    db.session.expire_all()
    assert scoring.sheet_of(committee["e1"], trade).scores[0].points == 30
    # the supervisor's page is read-only: no sheet, no plan form, the names in the progress
    _as(client, "supervisor")
    html = _page(client, trade).get_data(as_text=True)
    assert 'id="sheet-form"' not in html and 'id="plan-form"' not in html and 'id="progress-names"' in html


def test_the_report_is_made_and_signed_from_the_page(db, client, evaluating, committee, planned):
    trade, entries = evaluating, entries_by_bidder(evaluating, committee)
    for name in ("e1", "e2", "e3"):
        scoring.submit_sheet(committee[name], trade, _scores(planned, entries, SHEETS[name]))
    db.session.commit()
    _as(client, "staff")
    html = _page(client, trade).get_data(as_text=True)
    assert 'id="results"' in html and "89.60" in html and 'id="report-form"' in html
    assert _post(client, trade, {"action": "report"}).status_code == 302
    report = reports.report_of(trade)
    assert report is not None
    _as(client, "e2")
    html = _page(client, trade).get_data(as_text=True)
    assert 'data-sign-kind="evaluation-report"' in html and report.sha256 in html
    pdf = client.get(f"/bidding/trades/{trade.id}/scoring/report.pdf")  # the page's link works with the session
    assert f'href="/bidding/trades/{trade.id}/scoring/report.pdf"' in html
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    dissent = "施工组织设计评分过于接近，建议复核"
    signed = page_signed(client, "evaluation-report", trade_id=trade.id, dissent=dissent)
    assert signed
    assert _post(client, trade, {"action": "sign", "dissent": dissent, **signed}).status_code == 302
    db.session.expire_all()
    assert [(s.user_id, s.dissent) for s in reports.report_of(trade).signatures] == [(committee["e2"].id, dissent)]
    html = _page(client, trade).get_data(as_text=True)
    assert 'id="sign-form"' not in html and dissent in html


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_the_page_reads_in_one_language(db, app, evaluating, committee, planned, lang):
    from tests.bidding.test_both_languages import Reader, _typed, offences

    trade, entries = evaluating, entries_by_bidder(evaluating, committee)
    for name in ("e1", "e2"):
        scoring.submit_sheet(committee[name], trade, _scores(planned, entries, SHEETS[name]))
    db.session.commit()
    typed = _typed(db) + [c.name for c in planned.criteria]
    url = f"/bidding/trades/{trade.id}/scoring"
    for who in ("e1", "e3", "staff", "supervisor"):
        status, _kind, text = Reader(app, who, lang).read(url)
        assert status == 200, who
        assert offences(text, lang, typed) is None, (who, offences(text, lang, typed))
    # the report PDF too, once made
    scoring.submit_sheet(committee["e3"], trade, _scores(planned, entries, SHEETS["e3"]))
    reports.make_report(committee["staff"], trade)
    db.session.commit()
    status, kind, text = Reader(app, "decider", lang).read(f"/api/v1/trades/{trade.id}/scoring/report.pdf")
    assert status == 200 and kind == "application/pdf"
    assert offences(text, lang, typed) is None, offences(text, lang, typed)
    assert re.search("评标报告" if lang == "zh_CN" else "Evaluation report", text)
