"""The supervision dashboard (/monitor/ and its panels): who may open it, what it shows and to whom,
in Chinese and English, without inline script or style."""
from __future__ import annotations

import json
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from bidding.ceremony.models import OpeningCeremony
from monitor.audit import log as audit
from monitor.live import views
from monitor.audit.models import AuditEntry
from monitor.audit.visibility import visible_clause
from tests.conftest import START, login, tender_timeline
from trading.clock import now
from trading.trades import services as trades

PAGES = ("/monitor/", "/monitor/panels")


@pytest.mark.parametrize("path", PAGES)
def test_who_may_open_the_dashboard(path, client, users):
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"].split("?")[0].endswith("/login")
    for name in ("staff", "tenderer", "bidder", "expert", "public"):
        login(client, name)
        assert client.get(path).status_code == 403, name
        client.post("/logout")
    for name in ("supervisor", "social", "decider"):
        login(client, name)
        assert client.get(path).status_code == 200, name
        client.post("/logout")


def _proc_trade(make_trade, users, centres, **kw):
    return make_trade(actor=users["staff_proc"], centre_id=centres["PROC"].id, method="gp_open_tender",
                      title="Office furniture", **kw)


def test_trades_by_stage_only_at_the_viewers_centres(client, db, users, centres, make_trade):
    make_trade()
    submitted = make_trade(title="Second")
    trades.move(submitted, "submit", users["staff"])
    _proc_trade(make_trade, users, centres)
    db.session.commit()

    login(client, "supervisor")  # WORKS only
    html = client.get("/monitor/?lang=en").get_data(as_text=True)
    assert 'data-centre="WORKS"' in html and 'data-centre="PROC"' not in html
    row = re.search(r'<tr data-centre="WORKS">(.*?)</tr>', html, re.S).group(1)
    assert re.search(r'data-state="draft">1<', row) and re.search(r'data-state="submitted">1<', row)
    assert re.search(r'class="n total">2<', row)
    client.post("/logout")

    login(client, "decider")  # WORKS and PROC
    html = client.get("/monitor/?lang=en").get_data(as_text=True)
    assert 'data-centre="WORKS"' in html and 'data-centre="PROC"' in html


def test_the_feed_shows_what_the_viewer_may_see_and_continues_from_the_stream(client, db, users, centres,
                                                                           make_trade):
    works = make_trade()
    trades.move(works, "submit", users["staff"])
    proc = _proc_trade(make_trade, users, centres)
    db.session.commit()
    login(client, "supervisor")
    html = client.get("/monitor/?lang=en").get_data(as_text=True)
    size = audit.head()[0]
    assert f'data-stream-url="/live/platform?after={size - 1}"' in html
    feed = re.search(r'<ol id="feed"[^>]*>(.*?)</ol>', html, re.S)
    assert 'aria-live="polite"' in re.search(r'<ol id="feed"[^>]*>', html).group(0)
    items = re.findall(r'<li data-index="(\d+)" data-action="([^"]+)">(.*?)</li>', feed.group(1), re.S)
    indexes = [int(i) for i, _a, _b in items]
    newest = db.session.scalar(sa.select(sa.func.max(AuditEntry.seq)).where(visible_clause(users["supervisor"])))
    assert indexes == sorted(indexes, reverse=True) and indexes[0] == newest  # newest first
    shown = {int(i) for i in indexes}
    rows = {r.seq: r for r in db.session.scalars(sa.select(AuditEntry).where(AuditEntry.seq.in_(shown)))}
    assert not any(r.centre_id == centres["PROC"].id and r.audience == "centre" for r in rows.values())
    assert proc.ref not in feed.group(1) and works.ref in feed.group(1)
    moved = next(body for _i, action, body in items if action == "trade_transitions.insert" and "Submitted" in body)
    assert "Trade moved · Draft → Submitted for approval" in moved and "Centre staff" in moved
    assert f'href="/workspace/trades/{works.id}"' in moved


def test_openings_under_way_are_listed_with_a_link_to_their_page(client, db, users, centres, make_trade, clock):
    running = make_trade(**tender_timeline(START), title="Opening now")
    finished = make_trade(**tender_timeline(START), title="Opened already")
    elsewhere = _proc_trade(make_trade, users, centres)
    waiting = make_trade(**tender_timeline(START), title="Not started")
    db.session.add_all([OpeningCeremony(trade_id=running.id, started_at=now()),
                        OpeningCeremony(trade_id=finished.id, started_at=now() - timedelta(hours=1),
                                        finished_at=now()),
                        OpeningCeremony(trade_id=elsewhere.id, started_at=now()),
                        OpeningCeremony(trade_id=waiting.id)])
    db.session.commit()
    login(client, "supervisor")
    html = client.get("/monitor/panels?lang=en").get_data(as_text=True)
    listed = re.findall(r'<li data-trade="(\d+)"><a href="([^"]+)">', html)
    assert listed == [(str(running.id), f"/bidding/trades/{running.id}/ceremony")]


def test_open_cards_are_rendered_from_whatever_the_cards_part_returns(client, db, users, make_trade, monkeypatch):
    import enum

    from monitor.cards import services as cards

    trade = make_trade()

    class Level(enum.Enum):
        YELLOW = "yellow"

    found = [SimpleNamespace(level="red", title="Award not made in time", trade=trade,
                             state=SimpleNamespace(label="Issued")),
             SimpleNamespace(level=Level.YELLOW, title="Opening record not signed", trade=trade.id, state="assigned"),
             object()]  # a card with none of the attributes does not break the page
    monkeypatch.setattr(cards, "open_cards_for", lambda user: found)
    login(client, "supervisor")
    html = client.get("/monitor/?lang=en").get_data(as_text=True)
    section = re.search(r'<ul class="plain" id="open-cards">(.*?)</ul>', html, re.S).group(1)
    assert '<span class="badge level-red">Red card</span>' in section
    assert '<span class="badge level-yellow">Yellow card</span>' in section
    assert "Award not made in time" in section and "Issued" in section and "assigned" in section
    assert f'href="/workspace/trades/{trade.id}">{trade.ref}</a>' in section

    def broken(user):
        raise RuntimeError("a fault in the card rules")

    monkeypatch.setattr(cards, "open_cards_for", broken)
    response = client.get("/monitor/?lang=en")
    assert response.status_code == 200 and "No open card." in response.get_data(as_text=True)


@pytest.mark.parametrize("lang,html_lang,draft", [("zh_CN", "zh-CN", "草稿"), ("en", "en", "Draft")])
def test_the_page_speaks_both_languages_and_has_no_inline_script_or_style(lang, html_lang, draft, client, db, users,
                                                                          make_trade):
    make_trade()
    login(client, "social")
    response = client.get(f"/monitor/?lang={lang}")
    html = response.get_data(as_text=True)
    assert f'<html lang="{html_lang}">' in html
    words = json.loads(re.search(r"data-labels='([^']*)'", html).group(1).replace("&#39;", "'"))
    assert words["states"]["draft"] == draft
    assert f'<span class="badge state-draft">{draft}</span>' in html  # the stages table's column
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert " style=" not in html and "<style" not in html and "onclick" not in html
    assert 'src="/static/js/dashboard.js"' in html
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert 'href="/monitor/audit"' in html or 'id="audit-link"' in html


def test_the_main_navigation_links_the_dashboard_for_those_who_may_open_it(client, users):
    login(client, "supervisor")
    assert 'href="/monitor/"' in client.get("/workspace/").get_data(as_text=True)
    client.post("/logout")
    login(client, "staff")
    assert 'href="/monitor/"' not in client.get("/workspace/").get_data(as_text=True)


def test_summaries_name_the_action_and_the_move(app):
    with app.test_request_context("/?lang=en"):
        words = views.labels()
        assert views.summary({"action": "trades.insert"}, words) == "Trade created"
        assert views.summary({"action": "trade_transitions.insert",
                              "after": {"from_state": "bidding", "to_state": "closed"}}, words) \
            == "Trade moved · Open for bids → Closed at deadline"
        assert views.summary({"action": "read.bidders"}, words) == "Confidential list read: list of bidders"
        assert views.summary({"action": "supervisor_draws.insert"}, words) == "Draw of social supervisors: added"
        assert views.summary({"action": "made_up_table.update"}, words) == "made_up_table: changed"
        assert views.summary({"action": "card.escalate"}, words) == "Card: escalate"
        assert views.summary({"action": "organisations.update"}, words) == "Organisation: changed"
