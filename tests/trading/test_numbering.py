"""Sequence numbers at scale and under concurrency: the 10,000th reference, two creates at the same
moment on SQLite (threads) and on a real PostgreSQL server, and a lost optimistic-lock race as a 409.

The races are made to happen, not hoped for: a statement hook holds each request just before it
writes its row until the other request has got that far too (or until a generous bound passes:
with the counter in place the second request waits for the first inside the database, so it can
never get there, and the bound is what lets the first go on).
"""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import START, api_headers, login
from tests.pg import PostgresServer
from trading.extensions import db as _db
from trading.numbering import services as numbering
from trading.notices.models import Clarification
from trading.trades.models import Trade

BOUND = 3.0  # seconds a held request waits for its twin before going on alone


def trade_body(users, centres, title: str) -> dict:
    from tests.trading.test_api import trade_body as body

    return body(users, centres, title=title)


@contextmanager
def meet_before(app, statement_start: str, parties: int = 2):
    """Hold every request about to run `statement_start` until `parties` of them are there."""
    barrier = threading.Barrier(parties)

    def hold(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(statement_start):
            try:
                barrier.wait(BOUND)
            except threading.BrokenBarrierError:
                pass

    with app.app_context():
        engine = _db.engine
    sa.event.listen(engine, "before_cursor_execute", hold)
    try:
        yield barrier
    finally:
        sa.event.remove(engine, "before_cursor_execute", hold)


def at_once(*calls):
    """Run the calls on their own threads, all at once; return their results in order."""
    results: list = [None] * len(calls)
    errors: list = []

    def run(i, call):
        try:
            results[i] = call()
        except BaseException as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return results


def two_creates(app, users, centres):
    """Two clerks create a trade at the same moment through the API."""
    clients = [app.test_client(), app.test_client()]
    headers = [api_headers(clients[0], "staff"), api_headers(clients[1], "staff")]
    bodies = [trade_body(users, centres, f"Lot {n}") for n in range(2)]
    with meet_before(app, "INSERT INTO TRADES "):
        responses = at_once(*[(lambda c=c, h=h, b=b: c.post("/api/v1/trades", json=b, headers=h))
                              for c, h, b in zip(clients, headers, bodies)])
    return responses


# ---- scale --------------------------------------------------------------------------------------

def test_references_widen_past_9999_instead_of_failing(db, client, users, centres, make_trade):
    works = centres["WORKS"]
    numbering.advance_to(numbering.trade_ref_scope(works.ref_prefix), 2026, 9998)
    db.session.commit()
    refs = [make_trade(title=f"Lot {n}").ref for n in range(3)]
    assert refs == ["GC-2026-9999", "GC-2026-10000", "GC-2026-10001"]
    # through the API too: the next one follows, and each reference is found again by the portal
    response = client.post("/api/v1/trades", json=trade_body(users, centres, "Lot 4"),
                           headers=api_headers(client, "staff"))
    assert response.status_code == 201 and response.get_json()["ref"] == "GC-2026-10002"


def test_counters_are_per_centre_and_per_local_year(db, users, centres, make_trade, clock):
    assert make_trade().ref == "GC-2026-0001"
    proc = make_trade(actor=users["staff_proc"], centre_id=centres["PROC"].id, method=centres["PROC"].methods[0])
    assert proc.ref == "ZC-2026-0001"
    assert make_trade().ref == "GC-2026-0002"
    # 31 December 2026, 16:30 UTC is already 1 January 2027 in Beijing: the legal year is the new one
    clock.freeze(START.replace(year=2026, month=12, day=31, hour=0) + timedelta(hours=24, minutes=30))
    from tests.conftest import tender_timeline

    assert make_trade(**tender_timeline(clock.now() + timedelta(days=1))).ref == "GC-2027-0001"


def test_advance_to_never_moves_a_counter_back(db):
    scope = numbering.trade_ref_scope("XX")
    numbering.advance_to(scope, 2026, 50)
    numbering.advance_to(scope, 2026, 7)
    assert numbering.next_number(scope, 2026) == 51


# ---- concurrency: SQLite -------------------------------------------------------------------------

def test_two_creates_at_once_on_sqlite_get_distinct_references(app, db, users, centres):
    responses = two_creates(app, users, centres)
    assert [r.status_code for r in responses] == [201, 201], [r.get_json() for r in responses]
    refs = sorted(r.get_json()["ref"] for r in responses)
    assert refs == ["GC-2026-0001", "GC-2026-0002"]


def test_two_clarifications_at_once_get_distinct_numbers(app, db, users, published_trade, clock):
    clock.advance(timedelta(days=1))
    clients = [app.test_client(), app.test_client()]
    headers = [api_headers(clients[0], "staff"), api_headers(clients[1], "staff")]
    url = f"/api/v1/trades/{published_trade.id}/clarifications"
    with meet_before(app, "INSERT INTO CLARIFICATIONS "):
        responses = at_once(*[
            (lambda c=c, h=h, n=n: c.post(url, json={"title": f"Answer {n}", "body": "Text"}, headers=h))
            for n, (c, h) in enumerate(zip(clients, headers))])
    assert [r.status_code for r in responses] == [201, 201], [r.get_json() for r in responses]
    db.session.rollback()
    numbers = sorted(db.session.scalars(sa.select(Clarification.number)
                                        .where(Clarification.trade_id == published_trade.id)))
    assert numbers == [1, 2]


# ---- concurrency: PostgreSQL ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def postgres():
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.mark.postgres
def test_two_creates_at_once_on_postgresql_get_distinct_references(postgres, clock, tmp_path):
    import flask_migrate

    from tests.conftest import PASSWORD
    from trading import create_app
    from trading.accounts.models import OrgKind
    from trading.accounts.roles import Role
    from trading.accounts.services import create_organisation, create_user
    from trading.accounts.uscc import make_uscc
    from trading.centres.data import ensure_centres
    from trading.centres.models import Centre
    from trading.config import TestConfig

    url = postgres.create_database(f"numbering_{int(time.time() * 1000) % 10 ** 9}")
    app = create_app(type("PgNumbering", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url,
                                                         "BLOB_DIR": str(tmp_path / "blobs")}))
    try:
        with app.app_context():
            flask_migrate.upgrade()
            ensure_centres()
            works = _db.session.scalar(sa.select(Centre).where(Centre.code == "WORKS"))
            tenderer = create_organisation("PG Tenderer", OrgKind.TENDERER, make_uscc("91330100MA0000001"))
            create_user("staff", PASSWORD, "Staff", None, [(Role.CENTRE_STAFF, works.id)])
            _db.session.commit()
            users = {"tenderer": type("U", (), {"organisation_id": tenderer.id})()}
            centres = {"WORKS": works}
            responses = two_creates(app, users, centres)
            assert [r.status_code for r in responses] == [201, 201], [r.get_json() for r in responses]
            assert sorted(r.get_json()["ref"] for r in responses) == ["GC-2026-0001", "GC-2026-0002"]
            _db.session.rollback()
            assert _db.session.scalar(sa.select(sa.func.count()).select_from(Trade)) == 2
    finally:
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()


# ---- a lost optimistic-lock race -----------------------------------------------------------------

def test_two_edits_at_once_the_later_gets_409_not_500(app, db, users, make_trade):
    trade = make_trade()
    clients = [app.test_client(), app.test_client()]
    headers = [api_headers(clients[0], "staff"), api_headers(clients[1], "staff")]
    headers[0]["Accept-Language"], headers[1]["Accept-Language"] = "en", "zh-CN"
    url = f"/api/v1/trades/{trade.id}"
    trade_id = trade.id
    with meet_before(app, "UPDATE TRADES "):
        responses = at_once(*[
            (lambda c=c, h=h, n=n: c.patch(url, json={"title": f"Edited by clerk {n}"}, headers=h))
            for n, (c, h) in enumerate(zip(clients, headers))])
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 409], [r.get_data(as_text=True)[:300] for r in responses]
    lost = next(r for r in responses if r.status_code == 409)
    body = lost.get_json()
    assert body["code"] == "conflict"
    won = next(r for r in responses if r.status_code == 200).get_json()["title"]
    db.session.rollback()
    assert db.session.get(Trade, trade_id).title == won  # the winner's edit stands, the loser's left nothing
    chinese = lost is responses[1]
    assert ("同时" in body["message"]) if chinese else ("at the same moment" in body["message"])


def test_a_lost_race_on_a_page_is_a_409_page(app, db, users, make_trade):
    trade = make_trade()
    clients = [app.test_client(), app.test_client()]
    for c in clients:
        login(c, "staff")
    form = clients[0].get(f"/workspace/trades/{trade.id}/edit")
    assert form.status_code == 200
    url = f"/workspace/trades/{trade.id}/edit"
    base = {"description": trade.description, "estimated_price": str(trade.estimated_price),
            "bid_security": str(trade.bid_security)}
    for m in ("issue_at", "docs_until", "bid_deadline", "opening_at"):
        value = getattr(trade, m)
        base[m] = value.astimezone(START.tzinfo).strftime("%Y-%m-%dT%H:%M") if value else ""
    forms = [{**base, "title": f"Edited on a page {n}"} for n in range(2)]

    with meet_before(app, "UPDATE TRADES "):
        responses = at_once(*[(lambda c=c, f=f: c.post(url, data=f)) for c, f in zip(clients, forms)])
    codes = sorted(r.status_code for r in responses)
    assert codes == [302, 409], [r.get_data(as_text=True)[:300] for r in responses]
    page = next(r for r in responses if r.status_code == 409).get_data(as_text=True)
    assert "同时" in page  # pages speak Chinese first
