"""The JSON API over the real HTTP stack: trades, moves, notices, documents, clarifications, 422s, tokens."""
from __future__ import annotations

import io
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import START, api_headers, tender_timeline
from trading.notices.models import Document, Download
from trading.trades.models import Trade, TradeTransition


def iso(value: datetime) -> str:
    return value.isoformat()


def trade_body(users, centres, **overrides) -> dict:
    tl = tender_timeline(START + timedelta(days=1))
    body = {"centre_id": centres["WORKS"].id, "method": "works_open_tender",
            "tenderer_id": users["tenderer"].organisation_id, "title": "Bridge repair",
            "description": "Two spans", "estimated_price": "2500000.50", "bid_security": "50000.00",
            **{k: iso(v) for k, v in tl.items()}}
    body.update(overrides)
    return body


def count(db, model) -> int:
    db.session.rollback()  # read what the requests committed, not a stale snapshot
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def blob_files(app) -> list[Path]:
    root = Path(app.config["BLOB_DIR"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def aware(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None and parsed.utcoffset() is not None, value
    return parsed


# ---------------------------------------------------------------- create, read, list, edit


def test_create_returns_201_with_money_as_string_and_aware_times(client, db, users, centres):
    headers = api_headers(client, "staff")
    response = client.post("/api/v1/trades", json=trade_body(users, centres), headers=headers)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["estimated_price"] == "2500000.50"
    assert body["bid_security"] == "50000.00"
    assert body["state"] == "draft"
    assert body["ref"].startswith("GC-2026-")
    assert body["centre"]["code"] == "WORKS"
    assert body["tenderer"]["id"] == users["tenderer"].organisation_id
    assert aware(body["issue_at"]) == START + timedelta(days=1)
    assert aware(body["created_at"]) == START
    # opening defaults to the bid deadline (Law 34)
    assert aware(body["opening_at"]) == aware(body["bid_deadline"])
    assert response.headers["Cache-Control"] == "no-store"
    row = db.session.get(Trade, body["id"])
    assert row.estimated_price == Decimal("2500000.50") and row.title == "Bridge repair"


def test_read_one_trade(client, published_trade, make_trade):
    response = client.get(f"/api/v1/trades/{published_trade.id}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["ref"] == published_trade.ref and body["state"] == "bidding"
    assert body["url"].endswith(f"/trades/{published_trade.ref}")
    assert client.get("/api/v1/trades/999999").status_code == 404
    assert client.get("/api/v1/trades/999999").get_json()["code"] == "not_found"


@pytest.fixture
def listed(db, users, centres, make_trade, published_trade):
    """Three published trades: WORKS bidding, WORKS announced (issue later), PROC gp_open_tender, plus a draft."""
    from trading.trades import services

    later = make_trade(title="Tunnel lighting", description="LED retrofit",
                       **tender_timeline(START + timedelta(days=3)))
    for name, who in (("submit", "staff"), ("approve", "decider"), ("publish", "staff")):
        services.move(later, name, users[who])
    proc = make_trade(actor=users["staff_proc"], centre_id=centres["PROC"].id, method="gp_open_tender",
                      title="Office furniture", description="Desks and chairs", bid_security=None,
                      tenderer_id=users["other_tenderer"].organisation_id,
                      **tender_timeline(START))
    for name, who in (("submit", "staff_proc"), ("approve", "decider"), ("publish", "staff_proc")):
        services.move(proc, name, users[who])
    draft = make_trade(title="Secret draft")
    db.session.commit()
    return {"bidding": published_trade, "announced": later, "proc": proc, "draft": draft}


def _refs(response) -> set[str]:
    assert response.status_code == 200, response.get_json()
    return {t["ref"] for t in response.get_json()["items"]}


def test_list_filters_and_pagination(client, listed):
    everything = {listed[k].ref for k in ("bidding", "announced", "proc")}
    assert _refs(client.get("/api/v1/trades")) == everything  # the draft is never listed
    assert _refs(client.get("/api/v1/trades?centre=PROC")) == {listed["proc"].ref}
    assert _refs(client.get("/api/v1/trades?centre=WORKS")) == {listed["bidding"].ref, listed["announced"].ref}
    assert _refs(client.get("/api/v1/trades?method=gp_open_tender")) == {listed["proc"].ref}
    assert _refs(client.get("/api/v1/trades?state=announced")) == {listed["announced"].ref}
    assert _refs(client.get("/api/v1/trades?state=bidding&centre=WORKS")) == {listed["bidding"].ref}
    assert _refs(client.get("/api/v1/trades?q=tunnel")) == {listed["announced"].ref}
    assert _refs(client.get("/api/v1/trades?q=Desks")) == {listed["proc"].ref}  # description is searched
    assert _refs(client.get("/api/v1/trades?q=Secret")) == set()

    first = client.get("/api/v1/trades?per_page=2&page=1").get_json()
    second = client.get("/api/v1/trades?per_page=2&page=2").get_json()
    assert (first["total"], first["page"], first["per_page"], len(first["items"])) == (3, 1, 2, 2)
    assert (second["total"], second["page"], len(second["items"])) == (3, 2, 1)
    assert {t["ref"] for t in first["items"] + second["items"]} == everything

    for bad, field in (("?centre=MOON", "centre"), ("?state=flying", "state"), ("?page=x", "page")):
        response = client.get("/api/v1/trades" + bad)
        assert response.status_code == 422, bad
        assert field in response.get_json()["errors"]


def test_scope_mine_lists_drafts_for_their_people(client, listed, users):
    mine = _refs(client.get("/api/v1/trades?scope=mine", headers=api_headers(client, "tenderer")))
    assert listed["draft"].ref in mine and listed["proc"].ref not in mine
    assert _refs(client.get("/api/v1/trades?scope=mine", headers=api_headers(client, "other_tenderer"))) == {
        listed["proc"].ref}
    response = client.get("/api/v1/trades?scope=mine", headers=api_headers(client, "public"))
    assert response.status_code == 200 and response.get_json()["items"] == []  # nothing to work on


def test_patch_a_draft_changes_only_sent_fields(client, db, make_trade):
    trade = make_trade()
    headers = api_headers(client, "tenderer")
    response = client.patch(f"/api/v1/trades/{trade.id}", json={"title": "Road works lot 1 (revised)",
                                                                 "estimated_price": "5200000.00"},
                            headers=headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["title"] == "Road works lot 1 (revised)" and body["estimated_price"] == "5200000.00"
    assert body["description"] == "Twelve streets" and body["bid_security"] == "100000.00"
    db.session.rollback()
    assert db.session.get(Trade, trade.id).title == "Road works lot 1 (revised)"


def test_patch_moving_the_deadline_moves_the_opening(client, make_trade):
    trade = make_trade()
    new_deadline = START + timedelta(days=30)
    response = client.patch(f"/api/v1/trades/{trade.id}", json={"bid_deadline": iso(new_deadline)},
                            headers=api_headers(client, "staff"))
    assert response.status_code == 200, response.get_json()
    assert aware(response.get_json()["opening_at"]) == new_deadline


def test_patch_after_publication_is_refused(client, db, published_trade):
    response = client.patch(f"/api/v1/trades/{published_trade.id}", json={"title": "Changed late"},
                            headers=api_headers(client, "staff"))
    assert response.status_code == 403
    db.session.rollback()
    assert db.session.get(Trade, published_trade.id).title == "Road works lot 1"


# ---------------------------------------------------------------- transitions


def _move(client, trade_id, move, headers, **extra):
    return client.post(f"/api/v1/trades/{trade_id}/transitions", json={"move": move, **extra}, headers=headers)


def test_submit_approve_publish_by_the_right_people(client, db, make_trade, users):
    trade = make_trade(**tender_timeline(START + timedelta(days=1)))
    staff, decider = api_headers(client, "staff"), api_headers(client, "decider")
    supervisor = api_headers(client, "supervisor")

    response = _move(client, trade.id, "submit", staff)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["from_state"] == "draft" and response.get_json()["to_state"] == "submitted"
    assert response.get_json()["actor"] == users["staff"].display_name
    assert aware(response.get_json()["at"]) == START

    wrong = _move(client, trade.id, "approve", supervisor)  # a supervisor cannot approve
    assert wrong.status_code == 403 and wrong.get_json()["code"] == "forbidden"
    wrong = _move(client, trade.id, "approve", staff)  # nor can the executing staff
    assert wrong.status_code == 403

    response = _move(client, trade.id, "approve", decider)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["to_state"] == "approved"
    wrong = _move(client, trade.id, "publish", decider)  # deciders do not execute
    assert wrong.status_code == 403

    response = _move(client, trade.id, "publish", staff)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["to_state"] == "announced"
    db.session.rollback()
    assert db.session.get(Trade, trade.id).published_at == START


def test_illegal_move_is_409_with_code_and_writes_nothing(client, db, published_trade):
    headers = api_headers(client, "decider")
    before = count(db, TradeTransition)
    response = _move(client, published_trade.id, "approve", headers)
    assert response.status_code == 409
    assert response.get_json()["code"] == "illegal_move" and response.get_json()["message"]
    response = _move(client, published_trade.id, "fly", headers)
    assert response.status_code == 409 and response.get_json()["code"] == "unknown_move"
    assert count(db, TradeTransition) == before


def test_move_needing_a_reason_and_bad_body(client, published_trade):
    headers = api_headers(client, "supervisor")
    response = _move(client, published_trade.id, "suspend", headers)
    assert response.status_code == 422 and "reason" in response.get_json()["errors"]
    response = client.post(f"/api/v1/trades/{published_trade.id}/transitions", json={"moves": "x"},
                           headers=headers)
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"move", "moves"}
    response = _move(client, published_trade.id, "suspend", headers, reason="Complaint under review")
    assert response.status_code == 201 and response.get_json()["to_state"] == "suspended"


def test_get_transitions_history_and_allowed_moves(client, published_trade):
    body = client.get(f"/api/v1/trades/{published_trade.id}/transitions").get_json()
    assert body["state"] == "bidding"
    assert [h["move"] for h in body["history"]] == ["create", "submit", "approve", "publish", "open_bidding"]
    assert "actor" not in body["history"][-1]  # the public history says what and when, not who
    assert body["allowed"] == []  # anonymous callers may look but not move

    staff = client.get(f"/api/v1/trades/{published_trade.id}/transitions",
                       headers=api_headers(client, "staff")).get_json()
    assert {m["move"] for m in staff["allowed"]} == {"suspend", "close"}
    assert next(m for m in staff["allowed"] if m["move"] == "suspend")["needs_reason"] is True
    assert staff["history"][1]["actor"] == "Staff"  # people working on the trade see who moved it
    decider = client.get(f"/api/v1/trades/{published_trade.id}/transitions",
                         headers=api_headers(client, "decider")).get_json()
    assert {m["move"] for m in decider["allowed"]} == {"cancel"}


# ---------------------------------------------------------------- notices, documents, clarifications


def test_notices_list_and_filters(client, published_trade, make_trade):
    make_trade(title="Unpublished")
    body = client.get("/api/v1/notices").get_json()
    assert body["total"] == 1
    notice = body["items"][0]
    assert notice["trade_ref"] == published_trade.ref and notice["kind"] == "announcement"
    assert notice["title"] == "Road works lot 1" and aware(notice["published_at"]) == START
    assert client.get(f"/api/v1/notices?trade={published_trade.id}&kind=announcement").get_json()["total"] == 1
    assert client.get("/api/v1/notices?kind=clarification").get_json()["total"] == 0
    assert client.get("/api/v1/notices?trade=999").get_json()["total"] == 0
    for bad, field in (("?kind=rumour", "kind"), ("?trade=abc", "trade")):
        response = client.get("/api/v1/notices" + bad)
        assert response.status_code == 422 and field in response.get_json()["errors"]


def _upload(client, trade_id, headers, content=b"%PDF-1.4 the tender documents", name="招标文件.pdf",
            mimetype="application/pdf"):
    return client.post(f"/api/v1/trades/{trade_id}/documents", headers=headers,
                       data={"file": (io.BytesIO(content), name, mimetype)}, content_type="multipart/form-data")


def test_upload_then_anonymous_download(app, client, db, users, make_trade):
    from trading.trades import services

    trade = make_trade(**tender_timeline(START))
    staff = api_headers(client, "staff")
    response = _upload(client, trade.id, staff)
    assert response.status_code == 201, response.get_json()
    doc = response.get_json()
    assert doc["filename"] == "招标文件.pdf" and doc["size"] == len(b"%PDF-1.4 the tender documents")
    assert doc["content_type"] == "application/pdf" and len(doc["sha256"]) == 64
    assert len(blob_files(app)) == 1

    # a draft's documents are not yet for the public
    content_path = f"/api/v1/trades/{trade.id}/documents/{doc['id']}/content"
    assert client.get(content_path).status_code in (401, 403)

    db.session.rollback()
    trade = db.session.get(Trade, trade.id)
    for name, who in (("submit", "staff"), ("approve", "decider"), ("publish", "staff")):
        services.move(trade, name, users[who])
    db.session.commit()

    listed = client.get(f"/api/v1/trades/{trade.id}/documents").get_json()
    assert [d["id"] for d in listed] == [doc["id"]]
    response = client.get(content_path + "?email=someone@example.com")  # no token at all
    assert response.status_code == 200
    assert response.data == b"%PDF-1.4 the tender documents"
    assert "attachment" in response.headers["Content-Disposition"]
    assert listed[0]["url"].endswith(content_path)
    rows = db.session.scalars(sa.select(Download)).all()
    # the address is not trusted until it confirms: only a pending subscription and its one mail exist
    assert len(rows) == 1 and rows[0].user_id is None and rows[0].contact_email is None
    from trading.mail.models import OutboxMail
    from trading.notices.models import EmailSubscription

    pending = db.session.scalars(sa.select(EmailSubscription)).all()
    assert [(s.email, s.confirmed_at) for s in pending] == [("someone@example.com", None)]
    assert [m.to_addr for m in db.session.scalars(sa.select(OutboxMail))] == ["someone@example.com"]

    # once published the documents are frozen for the tenderer side
    assert _upload(client, trade.id, staff).status_code == 403


def test_clarification_post_and_get(client, db, published_trade):
    # a downloader who left an address is notified
    doc_headers = api_headers(client, "staff")
    path = f"/api/v1/trades/{published_trade.id}/clarifications"
    response = client.post(path, json={"title": "Answer 1", "body": "Lot 2 drawings replaced."},
                           headers=doc_headers)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["number"] == 1 and body["title"] == "Answer 1" and aware(body["published_at"]) == START
    # published on day 0 of a 25-day tender: 15 days before the deadline is respected, nothing moves
    assert body["new_deadline"] is None

    second = client.post(path, json={"title": "Answer 2", "body": "Site visit on Friday."}, headers=doc_headers)
    assert second.get_json()["number"] == 2
    listed = client.get(path).get_json()
    assert [c["number"] for c in listed] == [1, 2]
    kinds = client.get(f"/api/v1/notices?trade={published_trade.id}&kind=clarification").get_json()
    assert kinds["total"] == 2

    bad = client.post(path, json={"title": "", "extra": 1}, headers=doc_headers)
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {"title", "body", "extra"}
    assert len(client.get(path).get_json()) == 2


def test_late_clarification_moves_the_deadline(client, clock, published_trade):
    clock.advance(timedelta(days=20))  # 5 days before the deadline, 15 are required (Law 23)
    response = client.post(f"/api/v1/trades/{published_trade.id}/clarifications",
                           json={"title": "Late answer", "body": "Quantities corrected."},
                           headers=api_headers(client, "staff"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert aware(body["old_deadline"]) == START + timedelta(days=25)
    assert aware(body["new_deadline"]) >= START + timedelta(days=35)
    trade = client.get(f"/api/v1/trades/{published_trade.id}").get_json()
    assert aware(trade["bid_deadline"]) == aware(body["new_deadline"])


# ---------------------------------------------------------------- validation: 422 names each field and rule


EN = {"Accept-Language": "en"}


def _create(client, headers, body, **kw):
    return client.post("/api/v1/trades", json=body, headers=headers, **kw)


def test_422_names_each_bad_field(client, db, users, centres):
    headers = {**api_headers(client, "staff"), **EN}
    body = trade_body(users, centres, issue_at="2026-03-03T09:00:00", colour="blue")
    del body["title"]
    response = _create(client, headers, body)
    assert response.status_code == 422
    out = response.get_json()
    assert out["code"] == "invalid"
    assert set(out["errors"]) == {"title", "issue_at", "colour"}
    assert out["errors"]["title"] == ["is required"]
    assert "time zone" in out["errors"]["issue_at"][0]
    assert out["errors"]["colour"] == ["is not a field of this request"]
    assert out["field"] in out["errors"]
    assert count(db, Trade) == 0


def test_422_messages_are_lists_in_the_default_language(client, db, users, centres):
    """Without Accept-Language the API speaks Chinese; every field still maps to a list of strings."""
    body = trade_body(users, centres, issue_at="2026-03-03T09:00:00", estimated_price="abc", colour="blue")
    del body["title"]
    errors = _create(client, api_headers(client, "staff"), body).get_json()["errors"]
    assert set(errors) == {"title", "issue_at", "estimated_price", "colour"}
    for messages in errors.values():
        assert isinstance(messages, list) and messages and all(isinstance(m, str) and len(m) > 1 for m in messages)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in errors["title"][0])  # translated, not the English source
    assert count(db, Trade) == 0


@pytest.mark.parametrize("amount", [1000.125, "1000.125"])
def test_422_amount_with_three_decimals(client, db, users, centres, amount):
    response = _create(client, {**api_headers(client, "staff"), **EN},
                       trade_body(users, centres, estimated_price=amount))
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert list(errors) == ["estimated_price"]
    assert "two decimal places" in errors["estimated_price"][0]
    assert count(db, Trade) == 0


@pytest.mark.parametrize("amount,rule", [("abc", "amount such as"), ("0", "between"), ("NaN", "finite"),
                                         (True, "amount such as")])
def test_422_amount_rules(client, db, users, centres, amount, rule):
    response = _create(client, {**api_headers(client, "staff"), **EN},
                       trade_body(users, centres, estimated_price=amount))
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["errors"]["estimated_price"] == [
        m for m in response.get_json()["errors"]["estimated_price"] if rule in m]
    assert count(db, Trade) == 0


def test_422_not_a_json_object(client, db, users):
    headers = api_headers(client, "staff")
    for payload in ([1, 2], "text"):
        response = client.post("/api/v1/trades", json=payload, headers=headers)
        assert response.status_code == 422 and "_schema" in response.get_json()["errors"]
    response = client.post("/api/v1/trades", data="{not json", headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 422
    assert count(db, Trade) == 0


@pytest.mark.parametrize("accept,citation", [(None, "招标投标法 第24条"), ("zh-CN", "招标投标法 第24条"),
                                             ("en", "Tendering Law Art. 24"), ("en-GB,en;q=0.9", "Tendering Law Art. 24")])
def test_bid_deadline_too_early_cites_the_law(client, db, users, centres, accept, citation):
    headers = api_headers(client, "staff")
    if accept:
        headers["Accept-Language"] = accept
    issue = START + timedelta(days=1)
    body = trade_body(users, centres, issue_at=iso(issue), docs_until=iso(issue + timedelta(days=6)),
                      bid_deadline=iso(issue + timedelta(days=10)), opening_at=iso(issue + timedelta(days=10)))
    response = _create(client, headers, body)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert "bid_deadline" in errors
    assert any(citation in m for m in errors["bid_deadline"]), errors
    assert count(db, Trade) == 0


def test_422_on_patch_writes_nothing(client, db, make_trade):
    trade = make_trade()
    response = client.patch(f"/api/v1/trades/{trade.id}",
                            json={"title": "Shorter deadline", "bid_deadline": iso(START + timedelta(days=5))},
                            headers=api_headers(client, "staff"))
    assert response.status_code == 422 and "bid_deadline" in response.get_json()["errors"]
    db.session.rollback()
    row = db.session.get(Trade, trade.id)
    assert row.title == "Road works lot 1" and row.bid_deadline == START + timedelta(days=26)


def test_refused_creates_write_nothing(client, db, users, centres):
    body = trade_body(users, centres)
    assert _create(client, {}, body).status_code == 401
    assert _create(client, api_headers(client, "supervisor"), body).status_code == 403
    assert _create(client, api_headers(client, "staff"), {**body, "method": "land_auction"}).status_code == 422
    assert _create(client, api_headers(client, "staff"), {**body, "centre_id": 999}).status_code == 422
    assert _create(client, api_headers(client, "staff_proc"), body).status_code == 403  # another centre's staff
    assert count(db, Trade) == 0 and count(db, TradeTransition) == 0


@pytest.mark.parametrize("who,content,mimetype,status", [
    (None, b"%PDF doc", "application/pdf", 401),
    ("supervisor", b"%PDF doc", "application/pdf", 403),
    ("other_tenderer", b"%PDF doc", "application/pdf", 403),
    ("staff", b"<script>", "text/html", 422),
    ("staff", b"", "application/pdf", 422),
])
def test_refused_uploads_leave_no_document_and_no_blob(app, client, db, make_trade, who, content, mimetype, status):
    trade = make_trade()
    headers = api_headers(client, who) if who else {}
    response = _upload(client, trade.id, headers, content=content, mimetype=mimetype)
    assert response.status_code == status, response.get_json()
    assert count(db, Document) == 0
    assert blob_files(app) == []


def test_upload_without_file_field(app, client, db, make_trade):
    trade = make_trade()
    response = client.post(f"/api/v1/trades/{trade.id}/documents", headers=api_headers(client, "staff"),
                           data={"other": "x"}, content_type="multipart/form-data")
    assert response.status_code == 422 and "file" in response.get_json()["errors"]
    assert count(db, Document) == 0 and blob_files(app) == []


def test_oversized_upload_is_refused_and_leaves_nothing(app, client, db, make_trade):
    app.config["MAX_CONTENT_LENGTH"] = 1024  # read per request
    trade = make_trade()
    response = _upload(client, trade.id, api_headers(client, "staff"), content=b"x" * 4096)
    assert response.status_code == 413
    assert response.is_json and response.get_json()["code"] == "request_entity_too_large"
    assert count(db, Document) == 0 and blob_files(app) == []


# ---------------------------------------------------------------- tokens


def test_token_wrong_password_is_401(client, users):
    response = client.post("/api/v1/tokens", json={"username": "staff", "password": "wrong-password"})
    assert response.status_code == 401 and response.get_json()["code"] == "unauthenticated"
    response = client.post("/api/v1/tokens", json={"username": "staff"})
    assert response.status_code == 422 and "password" in response.get_json()["errors"]


def test_token_lifetime_and_expiry(app, client, clock, users):
    response = client.post("/api/v1/tokens", json={"username": "staff", "password": "test-pass-123"})
    assert response.status_code == 201
    hours = app.config["API_TOKEN_HOURS"]
    assert aware(response.get_json()["expires_at"]) == START + timedelta(hours=hours)
    headers = {"Authorization": f"Bearer {response.get_json()['token']}"}
    assert client.get("/api/v1/trades?scope=mine", headers=headers).status_code == 200
    clock.advance(timedelta(hours=hours) - timedelta(minutes=1))
    assert client.get("/api/v1/trades?scope=mine", headers=headers).status_code == 200
    clock.advance(timedelta(minutes=1))
    response = client.get("/api/v1/trades?scope=mine", headers=headers)
    assert response.status_code == 401 and response.get_json()["code"] == "unauthenticated"
    # an expired token is refused even on routes that are public without one
    assert client.get("/api/v1/trades", headers=headers).status_code == 401


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Bearer ", "bearer x.y.z"])
def test_invalid_token_is_401(client, users, header):
    response = client.get("/api/v1/trades?scope=mine", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.get_json()["code"] == "unauthenticated"


def test_revoked_token_is_401(client, users):
    headers = api_headers(client, "staff")
    assert client.delete("/api/v1/tokens", headers=headers).status_code == 204
    response = client.get("/api/v1/trades?scope=mine", headers=headers)
    assert response.status_code == 401
    assert client.delete("/api/v1/tokens", headers=headers).status_code == 401


def test_api_ignores_session_cookies(client, users):
    """A logged-in browser session does not authenticate API calls (no CSRF exposure)."""
    from tests.conftest import login

    login(client, "staff")
    assert client.get("/workspace/").status_code == 200
    response = client.get("/api/v1/trades?scope=mine")
    assert response.status_code == 401


def test_form_shows_whole_messages_from_the_shared_schema(client, db, users, centres):
    """The workspace form goes through the same schema; each field's message is shown whole, not char by char."""
    from tests.conftest import login

    login(client, "staff")
    response = client.post("/workspace/trades/new?lang=en", data={
        "centre_id": str(centres["WORKS"].id), "method": "works_open_tender", "title": "",
        "estimated_price": "12.345", "issue_at": "not a time"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="title-error"' in html and 'id="issue_at-error"' in html
    assert 'aria-describedby="title-error"' in html  # the message is tied to its input for screen readers
    assert "must be a date and time with a time zone" in html
    assert "must be between 2 and 200 characters" in html
    assert "at most two decimal places" not in html  # schema-level checks wait for field errors to clear
    assert count(db, Trade) == 0
