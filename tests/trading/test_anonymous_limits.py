"""Anonymous writes are bounded, through the real HTTP stack with the frozen clock: one recorded
download per downloader and document in a window, a rate limit per client address (429 with
Retry-After), and an e-mail subscription that counts only once its address confirmed the link."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import START, api_headers, csrf_token, login, tender_timeline
from trading.mail.models import OutboxMail
from trading.notices.models import Download, EmailSubscription, Notification

CONTENT = b"%PDF-1.4 tender documents"
VICTIM = "victim@example.invalid"


@pytest.fixture
def app(make_app):
    """Small limits, so a test reaches them; one trusted proxy in front, as in production."""
    return make_app(DOWNLOAD_DEDUP_SECONDS=3600, ANON_RATE_LIMIT=5, ANON_RATE_WINDOW_SECONDS=600, TRUSTED_PROXIES=1)


@pytest.fixture
def published_trade(db, users, make_trade, clock):
    """A tender with its documents, published: documents are issued at once."""
    from trading.notices import services as notices
    from trading.trades import services

    trade = make_trade(**tender_timeline(START))
    notices.upload_document(users["staff"], trade, "tender.pdf", "application/pdf", io.BytesIO(CONTENT))
    for name, who in (("submit", "staff"), ("approve", "decider"), ("publish", "staff")):
        services.move(trade, name, users[who])
    db.session.commit()
    return trade


@pytest.fixture
def doc(db, published_trade):
    from trading.notices.models import Document

    return db.session.scalar(sa.select(Document).where(Document.trade_id == published_trade.id))


def portal_url(trade, doc, **query) -> str:
    extra = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/trades/{trade.ref}/documents/{doc.id}" + (f"?{extra}" if extra else "")


def api_url(trade, doc) -> str:
    return f"/api/v1/trades/{trade.id}/documents/{doc.id}/content"


def downloads(db) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Download))


def mails_to(db, address: str) -> list[OutboxMail]:
    db.session.rollback()
    return db.session.scalars(sa.select(OutboxMail).where(OutboxMail.to_addr == address)
                              .order_by(OutboxMail.id)).all()


def clarify(client, trade, title: str):
    response = client.post(f"/api/v1/trades/{trade.id}/clarifications", json={"title": title, "body": "Text"},
                           headers=api_headers(client, "staff"))
    assert response.status_code == 201, response.get_json()


# ---- one recorded download per downloader, document and window -------------------------------------

def test_repeated_downloads_in_the_window_serve_the_file_but_record_one(db, client, published_trade, doc, clock):
    trade, document = published_trade, doc
    for _ in range(3):
        response = client.get(portal_url(trade, document), headers={"User-Agent": "Browser A"})
        assert response.status_code == 200 and response.data == CONTENT
    assert client.get(api_url(trade, document), headers={"User-Agent": "Browser A"}).data == CONTENT
    assert downloads(db) == 1
    # another browser from the same address is another downloader
    assert client.get(portal_url(trade, document), headers={"User-Agent": "Browser B"}).status_code == 200
    assert downloads(db) == 2
    # once the window has passed, the same downloader is recorded again
    clock.advance(timedelta(seconds=3600))
    assert client.get(portal_url(trade, document), headers={"User-Agent": "Browser A"}).status_code == 200
    assert downloads(db) == 3
    # a signed-in downloader is one downloader whatever browser they use
    login(client, "bidder")
    for agent in ("Browser A", "Browser B", "Browser C"):
        assert client.get(portal_url(trade, document), headers={"User-Agent": agent}).status_code == 200
    assert downloads(db) == 4
    rows = db.session.scalars(sa.select(Download).order_by(Download.id)).all()
    assert [r.user_id is not None for r in rows] == [False, False, False, True]
    assert all(r.fingerprint and len(r.fingerprint) == 64 for r in rows[:3]) and rows[3].fingerprint is None


def test_anonymous_rate_limit_answers_429_with_retry_after(db, client, published_trade, doc, clock):
    trade, document = published_trade, doc
    here = {"X-Forwarded-For": "203.0.113.7"}
    for _ in range(5):
        assert client.get(api_url(trade, document), headers=here).status_code == 200
    clock.advance(timedelta(seconds=100))
    refused = client.get(api_url(trade, document), headers={**here, "Accept-Language": "en"})
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "500"  # the oldest of the five leaves the window in 500 s
    body = refused.get_json()
    assert body["code"] == "throttled" and body["retry_after"] == 500
    assert "Too many requests from your address" in body["message"]
    zh = client.get(api_url(trade, document), headers={**here, "Accept-Language": "zh-CN"})
    assert zh.status_code == 429 and "请求过于频繁" in zh.get_json()["message"]
    page = client.get(portal_url(trade, document), headers=here)
    assert page.status_code == 429 and page.headers["Retry-After"] == "500"
    assert "请求过于频繁" in page.get_data(as_text=True)
    # a refused request wrote nothing; another address (as the trusted proxy reports it) is not held up
    assert downloads(db) == 1
    assert client.get(api_url(trade, document), headers={"X-Forwarded-For": "198.51.100.2"}).status_code == 200
    # nor is a signed-in user behind the same address
    headers = {**here, **api_headers(client, "bidder")}
    assert client.get(api_url(trade, document), headers=headers).status_code == 200
    # when the window has moved on, the address may download again
    clock.advance(timedelta(seconds=500))
    assert client.get(api_url(trade, document), headers=here).status_code == 200


# ---- e-mail subscriptions take effect only once confirmed -------------------------------------------

def confirmation_link(mail: OutboxMail) -> str:
    match = re.search(r"https?://[^/\s]+(/subscriptions/confirm/\S+)", mail.body)
    assert match, mail.body
    return match.group(1)


def test_an_address_left_at_download_gets_only_a_confirmation_until_it_confirms(app, db, client, published_trade,
                                                                                doc, clock):
    trade = published_trade
    assert client.get(portal_url(trade, doc, email=VICTIM)).status_code == 200
    assert client.get(api_url(trade, doc) + f"?email={VICTIM.upper()}").status_code == 200  # same address
    [mail] = mails_to(db, VICTIM)  # one confirmation mail, however often the address is typed in
    assert trade.ref in mail.subject
    link = confirmation_link(mail)

    clarify(client, trade, "First answer")  # not confirmed: the address is told nothing
    assert len(mails_to(db, VICTIM)) == 1
    assert not db.session.scalars(sa.select(Notification).where(Notification.email == VICTIM)).all()

    page = client.get(link)  # following the link only shows what is asked (a mail scanner confirms nothing)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and VICTIM in html and trade.ref in html and "确认" in html
    assert db.session.scalar(sa.select(EmailSubscription.confirmed_at)) is None
    english = client.get(link + "?lang=en").get_data(as_text=True)
    assert "Confirm" in english and VICTIM in english

    confirmed = client.post(link, data={"csrf_token": csrf_token(html)})
    assert confirmed.status_code == 200 and "已确认" in confirmed.get_data(as_text=True)
    clarify(client, trade, "Second answer")
    mails = mails_to(db, VICTIM)
    assert len(mails) == 2 and "Second answer" in mails[1].subject
    # the confirmed address now shows in the confidential downloaders list
    db.session.rollback()
    assert db.session.scalar(sa.select(Download.contact_email)) == VICTIM


def test_an_expired_or_altered_link_confirms_nothing(app, db, client, published_trade, doc, clock):
    trade = published_trade
    assert client.get(api_url(trade, doc) + f"?email={VICTIM}").status_code == 200
    link = confirmation_link(mails_to(db, VICTIM)[0])
    form = client.get(link).get_data(as_text=True)

    tampered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    assert client.get(tampered).status_code == 400

    clock.advance(timedelta(hours=72, seconds=1))
    expired = client.post(link, data={"csrf_token": csrf_token(form)})
    assert expired.status_code == 400 and "过期" in expired.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(sa.select(EmailSubscription.confirmed_at)) is None
    # after expiry, asking again sends one fresh link
    assert client.get(api_url(trade, doc) + f"?email={VICTIM}", headers={"User-Agent": "again"}).status_code == 200
    assert len(mails_to(db, VICTIM)) == 2


def test_a_malformed_address_is_refused_by_name_and_writes_nothing(app, db, client, published_trade, doc):
    response = client.get(api_url(published_trade, doc) + "?email=not-an-address",
                          headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 422
    body = response.get_json()
    assert body["field"] == "email" and body["errors"]["email"]
    assert downloads(db) == 0 and not db.session.scalars(sa.select(OutboxMail)).all()
