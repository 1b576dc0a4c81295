"""Who downloaded the tender documents stays secret (O20 Art 20-21, Law 22): a matrix over every kind of user."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from tests.conftest import START, api_headers, login, tender_timeline
from trading.accounts.models import OrgKind
from trading.accounts.roles import Role
from trading.notices.models import Download

SECRET_NAME = "Zhangsanfeng"  # display name of the downloading bidder
SECRET_ORG = "Secretive Bidding Ltd"
SECRET_EMAIL = "zhangsanfeng@test.invalid"
ANON_EMAIL = "quiet.buyer@example.com"
SECRETS = (SECRET_NAME, SECRET_ORG, SECRET_EMAIL, ANON_EMAIL, "zhangsanfeng")

ALLOWED = ("tenderer", "staff")
REFUSED = ("decider", "supervisor", "social", "bidder", "expert", "public", "other_tenderer", "staff_proc")


@pytest.fixture
def downloaded(db, client, users, make_trade, make_user, make_org):
    """A published trade with one document, taken by a signed-in bidder and by an anonymous e-mail address."""
    from trading.notices import services as notices
    from trading.trades import services

    trade = make_trade(**tender_timeline(START))
    doc = notices.upload_document(users["staff"], trade, "tender.pdf", "application/pdf",
                                  io.BytesIO(b"%PDF-1.4 documents"))
    for name, who in (("submit", "staff"), ("approve", "decider"), ("publish", "staff")):
        services.move(trade, name, users[who])
    make_user("zhangsanfeng", (Role.BIDDER, None), org=make_org(OrgKind.BIDDER, SECRET_ORG))
    db.session.commit()

    # downloading needs no login: an anonymous visitor on the portal, leaving an address
    response = client.get(f"/trades/{trade.ref}/documents/{doc.id}?email={ANON_EMAIL}")
    assert response.status_code == 200 and response.data == b"%PDF-1.4 documents"
    # ... who confirms the address through the link mailed to it (only then is it kept as a contact)
    from tests.conftest import csrf_token
    from trading.mail.models import OutboxMail

    [mail] = db.session.scalars(sa.select(OutboxMail).where(OutboxMail.to_addr == ANON_EMAIL)).all()
    link = mail.body[mail.body.index("/subscriptions/confirm/"):].split()[0]
    assert client.post(link, data={"csrf_token": csrf_token(client.get(link).get_data(as_text=True))}).status_code == 200
    # ... and an anonymous API client (another program: another downloader)
    response = client.get(f"/api/v1/trades/{trade.id}/documents/{doc.id}/content", headers={"User-Agent": "curl/8"})
    assert response.status_code == 200 and response.data == b"%PDF-1.4 documents"
    # a signed-in bidder on the portal is recorded with name and company
    login(client, "zhangsanfeng")
    assert client.get(f"/trades/{trade.ref}/documents/{doc.id}").status_code == 200
    client.post("/logout")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Download)) == 3
    return {"trade": trade, "doc": doc}


def _assert_no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{where} reveals {secret!r}"


@pytest.mark.parametrize("who", [*ALLOWED, *REFUSED, None])
def test_downloaders_page(client, downloaded, who):
    trade = downloaded["trade"]
    if who:
        login(client, who)
    response = client.get(f"/workspace/trades/{trade.id}/downloaders")
    html = response.get_data(as_text=True)
    if who in ALLOWED:
        assert response.status_code == 200
        for secret in (SECRET_NAME, SECRET_ORG, ANON_EMAIL):
            assert secret in html
        assert "3" in html
    elif who is None:
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code == 403
        _assert_no_secret(html, f"refused page for {who}")


@pytest.mark.parametrize("who", [*ALLOWED, *REFUSED, None])
def test_downloads_api(client, downloaded, who):
    trade = downloaded["trade"]
    headers = api_headers(client, who) if who else {}
    response = client.get(f"/api/v1/trades/{trade.id}/downloads", headers=headers)
    if who in ALLOWED:
        assert response.status_code == 200
        rows = response.get_json()
        assert len(rows) == 3
        assert {r["document_id"] for r in rows} == {downloaded["doc"].id}
        assert {r["user"] for r in rows} == {None, SECRET_NAME}
        assert {r["organisation"] for r in rows} == {None, SECRET_ORG}
        assert ANON_EMAIL in {r["contact_email"] for r in rows}
    else:
        assert response.status_code == (401 if who is None else 403)
        assert response.get_json()["code"] == ("unauthenticated" if who is None else "forbidden")
        _assert_no_secret(response.get_data(as_text=True), f"refused API answer for {who}")


@pytest.mark.parametrize("who", [None, "bidder", "supervisor", "other_tenderer", "tenderer", "staff"])
def test_public_trade_page_never_names_a_downloader(client, downloaded, who):
    trade = downloaded["trade"]
    if who:
        login(client, who)
    response = client.get(f"/trades/{trade.ref}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    _assert_no_secret(html, f"portal trade page seen by {who}")
    assert trade.title in html
    # only those allowed are even shown the way to the list
    link = f"/workspace/trades/{trade.id}/downloaders"
    assert (link in html) == (who in ALLOWED)
    for lang in ("en", "zh_CN"):
        _assert_no_secret(client.get(f"/trades/{trade.ref}?lang={lang}").get_data(as_text=True), lang)


def test_portal_listing_never_names_a_downloader(client, downloaded):
    for path in ("/", "/centres", f"/?q={downloaded['trade'].ref}"):
        response = client.get(path)
        assert response.status_code == 200
        _assert_no_secret(response.get_data(as_text=True), path)


@pytest.mark.parametrize("who", [None, "bidder", "staff"])
def test_api_answers_never_name_a_downloader(client, downloaded, who):
    """Even to the people who may see the list, the other endpoints do not leak it."""
    trade, doc = downloaded["trade"], downloaded["doc"]
    headers = api_headers(client, who) if who else {}
    if who == "staff":
        response = client.post(f"/api/v1/trades/{trade.id}/clarifications", headers=headers,
                               json={"title": "Answer 1", "body": "Drawings replaced."})
        assert response.status_code == 201
        assert response.get_json()["notified"] == 2  # the signed-in bidder and the e-mail address
        _assert_no_secret(response.get_data(as_text=True), "clarification answer")
    for path in (f"/api/v1/trades/{trade.id}", "/api/v1/trades", f"/api/v1/trades?q={trade.ref}",
                 "/api/v1/notices", f"/api/v1/notices?trade={trade.id}", f"/api/v1/trades/{trade.id}/documents",
                 f"/api/v1/trades/{trade.id}/clarifications", f"/api/v1/trades/{trade.id}/transitions"):
        response = client.get(path, headers=headers)
        assert response.status_code == 200, path
        _assert_no_secret(response.get_data(as_text=True), path)
    docs = client.get(f"/api/v1/trades/{trade.id}/documents", headers=headers).get_json()
    assert [d["id"] for d in docs] == [doc.id]


def test_download_leaves_no_trace_for_the_downloader_to_see_others(client, downloaded, users):
    """A bidder who downloads is recorded, but learns nothing about the others by doing so."""
    trade, doc = downloaded["trade"], downloaded["doc"]
    headers = api_headers(client, "bidder")
    response = client.get(f"/api/v1/trades/{trade.id}/documents/{doc.id}/content", headers=headers)
    assert response.status_code == 200
    _assert_no_secret(str(response.headers), "download headers")
    assert client.get(f"/api/v1/trades/{trade.id}/downloads", headers=headers).status_code == 403


def test_bad_email_at_download_is_refused_and_not_recorded(client, db, downloaded):
    trade, doc = downloaded["trade"], downloaded["doc"]
    response = client.get(f"/api/v1/trades/{trade.id}/documents/{doc.id}/content?email=not-an-address")
    assert response.status_code == 422 and "email" in response.get_json()["errors"]
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Download)) == 3
