"""The audit log itself: entries in the same transaction as the change (and only if it commits), who did
what from where, sensitive reads, pseudonymous bidders, no secrets, append-only in the app and in the
database (SQLite triggers, PostgreSQL trigger), checkpoints at key moves and on the scheduled tick."""
from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from monitor.audit import log as audit
from monitor.audit.models import APPEND_ONLY, AuditEntry, AuditNode, Checkpoint, Countersignature
from tests.conftest import START, api_headers, tender_timeline
from tests.monitor.audit.audit_helpers import add_bidders, entries, keyholding, run_trade  # noqa: F401  (fixture)
from tests.pg import PostgresServer
from trading.extensions import db as _db
from trading.trades import services as trades


def _size() -> int:
    return audit.head()[0]


def _entries_after(db, seq: int) -> list[dict]:
    return [json.loads(b) for b in db.session.scalars(sa.select(AuditEntry.body).where(AuditEntry.seq >= seq)
                                                      .order_by(AuditEntry.seq))]


def _walk(value, path=()):
    """Every (key path, leaf value) of a JSON value."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, path + (k,))
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v, path)
    else:
        yield path, value


# ---- same transaction ------------------------------------------------------------------------------------

def test_an_http_action_is_logged_with_actor_role_branch_and_origin(db, client, users, centres):
    before = _size()
    response = client.post("/api/v1/trades", headers=api_headers(client, "staff"), json={
        "centre_id": centres["WORKS"].id, "method": "works_open_tender", "tenderer_id": users["tenderer"].organisation_id,
        "title": "Logged trade", "estimated_price": "1000000.00", "paper_bids": True,
        **{k: v.isoformat() for k, v in tender_timeline(START + timedelta(days=1)).items()}})
    assert response.status_code == 201
    trade_id = response.get_json()["id"]
    new = _entries_after(db, before)
    created = next(e for e in new if e["action"] == "trades.insert")
    assert created["actor"] == {"id": users["staff"].id, "username": "staff"}
    assert (created["role"], created["branch"], created["trade"], created["centre"]) == \
        ("centre_staff", "execute", trade_id, centres["WORKS"].id)
    assert created["origin"] == {"ip": "127.0.0.1", "method": "POST", "path": "/api/v1/trades"}
    assert created["after"]["title"] == "Logged trade" and created["object"] == {"type": "trades", "id": trade_id}
    assert any(e["action"] == "trade_transitions.insert" and e["after"]["move"] == "create" for e in new)

    before = _size()
    response = client.post(f"/api/v1/trades/{trade_id}/transitions", json={"move": "submit"},
                           headers=api_headers(client, "staff"))
    assert response.status_code == 201
    response = client.post(f"/api/v1/trades/{trade_id}/transitions", json={"move": "approve"},
                           headers=api_headers(client, "decider"))
    assert response.status_code == 201
    new = _entries_after(db, before)
    moves = [e for e in new if e["action"] == "trade_transitions.insert"]
    assert [(e["after"]["move"], e["role"], e["branch"]) for e in moves] == \
        [("submit", "centre_staff", "execute"), ("approve", "decision_maker", "decide")]
    changed = [e for e in new if e["action"] == "trades.update"]
    assert changed[-1]["before"]["state"] == "submitted" and changed[-1]["after"]["state"] == "approved"
    # the updated_at / version bookkeeping is not news
    assert all("updated_at" not in (e["after"] or {}) for e in changed)


def test_a_refused_move_leaves_no_entry(db, client, make_trade, users):
    trade = make_trade()
    before = _size()
    for who, move in (("staff", "approve"), ("bidder", "submit"), ("decider", "publish"), ("staff", "close")):
        response = client.post(f"/api/v1/trades/{trade.id}/transitions", json={"move": move},
                               headers=api_headers(client, who))
        assert response.status_code in (403, 409), response.get_json()
    assert _size() == before
    # an edit that breaks a rule is refused after the fields were set: nothing of it is logged
    response = client.patch(f"/api/v1/trades/{trade.id}", headers=api_headers(client, "staff"),
                            json={"bid_deadline": (START + timedelta(days=3)).isoformat()})
    assert response.status_code == 422
    assert _size() == before


def test_entries_of_a_rolled_back_transaction_vanish(db, make_trade, users):
    trade = make_trade()
    size0, root0 = audit.head()
    trades.update_trade(users["staff"], trade, {"title": "Never committed"})
    db.session.flush()
    assert _size() == size0 + 1  # appended inside the transaction...
    db.session.rollback()
    assert audit.head() == (size0, root0)  # ...and gone with it
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == size0
    assert db.session.scalar(sa.select(sa.func.max(AuditNode.idx)).where(AuditNode.level == 1)) in (None, (size0 // 2) - 1)
    # the next committed change takes the same index
    trades.update_trade(users["staff"], trade, {"title": "Committed"})
    db.session.commit()
    entry = json.loads(db.session.scalar(sa.select(AuditEntry.body).where(AuditEntry.seq == size0)))
    assert entry["after"] == {"title": "Committed"} and entry["index"] == size0


# ---- reads, pseudonyms, secrets ----------------------------------------------------------------------------

@pytest.fixture
def trip(db, client, runner, keyholding, make_user, make_org, clock):  # noqa: F811
    add_bidders(keyholding, make_user, make_org)
    first = _size()
    result = run_trade(db, client, runner, keyholding, clock)
    result.first = first
    return result


def test_sensitive_reads_are_logged(db, trip, users):
    reads = [e for e in entries(db) if e["action"].startswith("read.")]
    assert {(e["action"], e["actor"]["username"], e["trade"]) for e in reads} >= \
        {("read.downloaders", "staff", trip.trade_id), ("read.bidders", "staff", trip.trade_id)}
    assert all(e["origin"]["method"] == "GET" for e in reads)


def test_bidders_appear_only_as_pseudonyms(db, trip, users):
    """From the trade's creation to after the opening, no entry names a bidder: not their organisation's
    name or credit code, not their user id or username; the same bidder keeps one pseudonym per trade."""
    bodies = db.session.scalars(sa.select(AuditEntry.body).where(AuditEntry.seq >= trip.first)
                                .order_by(AuditEntry.seq)).all()
    assert len(bodies) > 40
    text = "\n".join(bodies)
    for who, (org_id, name, code) in trip.bidder_orgs.items():
        assert name not in text and code not in text, who
        assert f'"username":"{who}"' not in text
    bidder_users, bidder_orgs = set(trip.bidder_ids.values()), {o for o, _n, _c in trip.bidder_orgs.values()}
    pseudonyms: dict[str, set[str]] = {}
    for body in bodies:
        entry = json.loads(body)
        actor = entry["actor"] or {}
        assert actor.get("id") not in bidder_users, entry
        for path, value in _walk({"before": entry["before"], "after": entry["after"]}):
            if path[-1] == "organisation_id":
                assert value not in bidder_orgs, entry
            elif path[-1] in ("user_id", "submitted_by_id"):
                assert value not in bidder_users, entry
        if entry["action"] in ("bids.insert", "downloads.insert"):
            assert entry["origin"] is None and entry["actor"]["pseudonym"].startswith("anon:")
            pseudonyms.setdefault(entry["action"], set()).add(entry["after"]["organisation_id"])
        if entry["action"] == "opening_entries.insert":
            assert entry["after"]["organisation_id"].startswith("anon:")
    # three bidders: three pseudonyms, the same in their downloads and their bids
    assert len(pseudonyms["bids.insert"]) == 3 and pseudonyms["bids.insert"] == pseudonyms["downloads.insert"]


def test_secrets_never_reach_the_log(db, trip):
    text = "\n".join(db.session.scalars(sa.select(AuditEntry.body)))
    for column in audit.SECRET_COLUMNS:
        assert f'"{column}":' not in text, column
    secrets = []
    for sql in ("SELECT password_hash FROM users", "SELECT protected_key FROM personal_keys",
                "SELECT sealed FROM sealed_shares", "SELECT receipt FROM bids", "SELECT token_hash FROM api_tokens"):
        secrets += [v for (v,) in db.session.execute(sa.text(sql)) if v]
    assert len(secrets) > 15
    for value in secrets:
        forms = [value] if isinstance(value, str) else [bytes(value).hex(), base64.b64encode(bytes(value)).decode()]
        for form in forms:
            assert form[:40] not in text


# ---- append-only ------------------------------------------------------------------------------------------------

def test_the_app_refuses_to_change_or_remove_what_the_log_holds(db, trip):
    entry = db.session.get(AuditEntry, 3)
    entry.body = entry.body.replace("insert", "update")
    with pytest.raises(audit.AppendOnly):
        db.session.flush()
    db.session.rollback()
    for model in (AuditEntry, AuditNode, Checkpoint, Countersignature):
        row = db.session.scalars(sa.select(model).limit(1)).first()
        assert row is not None, model
        db.session.delete(row)
        with pytest.raises(audit.AppendOnly):
            db.session.flush()
        db.session.rollback()
        with pytest.raises(audit.AppendOnly):
            db.session.execute(sa.update(model).values(**{model.__table__.primary_key.columns.keys()[0]: 10 ** 9}))
        db.session.rollback()
        with pytest.raises(audit.AppendOnly):
            db.session.execute(sa.delete(model))
        db.session.rollback()


# ---- bulk statements and writes the capture would not see ---------------------------------------------

def test_a_bulk_update_and_delete_are_logged_row_by_row(db, make_trade, users):
    from trading.rules.days import CalendarDay, DayKind
    from trading.trades.models import Trade

    first, second = make_trade(), make_trade()
    db.session.add(CalendarDay(day=START.date(), kind=DayKind.HOLIDAY, name="A holiday"))
    db.session.commit()
    size = _size()
    db.session.execute(sa.update(Trade).where(Trade.id.in_([first.id, second.id])).values(title="Renamed in bulk"))
    db.session.execute(sa.delete(CalendarDay).where(CalendarDay.day == START.date()))
    db.session.commit()
    new = _entries_after(db, size)
    renamed = {e["object"]["id"]: e for e in new if e["action"] == "trades.update"}
    assert set(renamed) == {first.id, second.id}
    for trade in (first, second):
        entry = renamed[trade.id]
        assert entry["after"] == {"title": "Renamed in bulk"} and entry["before"]["title"] != "Renamed in bulk"
        assert (entry["trade"], entry["centre"]) == (trade.id, trade.centre_id)
    [removed] = [e for e in new if e["action"] == "calendar_days.delete"]
    assert removed["before"]["name"] == "A holiday" and removed["after"] is None
    assert db.session.get(Trade, first.id).title == "Renamed in bulk"
    # a rolled-back bulk statement leaves no entry either
    size = _size()
    db.session.execute(sa.update(Trade).where(Trade.id == first.id).values(title="Never"))
    db.session.rollback()
    assert _size() == size


def test_writes_the_capture_would_not_see_are_refused(db, make_trade):
    from trading.trades.models import Trade

    trade = make_trade()
    db.session.commit()
    size, title = _size(), trade.title
    with pytest.raises(audit.Unlogged):
        db.session.execute(sa.text("UPDATE trades SET title = 'unseen' WHERE id = :id"), {"id": trade.id})
    db.session.rollback()
    with pytest.raises(audit.Unlogged):
        db.session.execute(sa.insert(Trade), [{"title": "bulk insert"}])
    db.session.rollback()
    with pytest.raises(audit.Unlogged):
        db.session.connection().exec_driver_sql("DELETE FROM trades")
    db.session.rollback()
    with db.engine.connect() as conn:
        with pytest.raises(audit.Unlogged):
            conn.exec_driver_sql(f"UPDATE trades SET title = 'unseen' WHERE id = {trade.id}")
        conn.rollback()
    db.session.expire_all()
    assert (db.session.get(Trade, trade.id).title, _size()) == (title, size)


def test_every_audited_table_refuses_raw_writes(db):
    audited = sorted(t for t in db.metadata.tables if t not in audit.SKIP_TABLES)  # every package's models
    assert {"trades", "bids", "keyholders", "share_releases", "bid_deposits", "cards"} <= set(audited)
    with db.engine.connect() as conn:
        for table in audited:
            for sql in (f"DELETE FROM {table} WHERE 1 = 0", f'UPDATE "{table}" SET id = id WHERE 1 = 0',
                        f"INSERT INTO {table} (id) SELECT id FROM {table} WHERE 1 = 0"):
                with pytest.raises(audit.Unlogged):
                    conn.exec_driver_sql(sql)
                conn.rollback()
        for table in audit.SKIP_TABLES - set(APPEND_ONLY) - {"alembic_version"}:  # not audited: allowed
            conn.exec_driver_sql(f"DELETE FROM {table} WHERE 1 = 0")
        conn.rollback()


def test_no_platform_module_writes_unlogged():
    import sys
    from pathlib import Path

    import trading

    root = Path(trading.__file__).resolve().parents[1]  # the checkout, wherever this test lives
    home = Path(sys.modules[audit.Unlogged.__module__].__file__).resolve()  # where the option is defined
    users = [p.resolve() for package in ("trading", "bidding", "procurement", "monitor")
             if (root / package).is_dir() for p in (root / package).rglob("*.py")
             if audit.UNLOGGED in p.read_text(encoding="utf-8")]
    assert users == [home]


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_sqlite_triggers_refuse_raw_update_and_delete(db, trip, table):
    with db.engine.connect() as conn:
        count = conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()
        assert count > 0
        for sql in (f"UPDATE {table} SET rowid = rowid", f"DELETE FROM {table}"):
            with pytest.raises(sa.exc.DatabaseError, match="append-only"):
                conn.exec_driver_sql(sql)
            conn.rollback()
        assert conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar() == count


def test_the_migrated_sqlite_schema_has_the_triggers(tmp_path, clock):
    import flask_migrate

    from trading import create_app
    from trading.centres.data import ensure_centres
    from trading.config import TestConfig

    app = create_app(type("Migrated", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite'}",
                                                     "BLOB_DIR": str(tmp_path / "blobs")}))
    with app.app_context():
        flask_migrate.upgrade()
        ensure_centres()
        _db.session.commit()
        assert _size() > 0
        with _db.engine.connect() as conn:
            for sql in ("UPDATE audit_entries SET body = 'x'", "DELETE FROM audit_entries", "DELETE FROM audit_nodes"):
                with pytest.raises(sa.exc.DatabaseError, match="append-only"):
                    conn.exec_driver_sql(sql)
                conn.rollback()
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture(scope="module")
def postgres():
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.mark.postgres
def test_postgresql_trigger_refuses_update_delete_and_truncate(postgres, tmp_path, clock):
    import flask_migrate

    from trading import create_app
    from trading.centres.data import ensure_centres
    from trading.config import TestConfig

    url = postgres.create_database("audit_append_only")
    app = create_app(type("PgAudit", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url,
                                                    "BLOB_DIR": str(tmp_path / "blobs")}))
    with app.app_context():
        flask_migrate.upgrade()
        ensure_centres()
        audit.sign_checkpoint("manual")
        _db.session.commit()
        size, root = audit.head()
        assert size > 0 and audit.latest_checkpoint().size == size
        _db.session.rollback()  # no open transaction of ours may hold a lock TRUNCATE waits for
        column = {"audit_entries": "body", "audit_nodes": "hash", "audit_checkpoints": "reason",
                  "audit_countersignatures": "entry_seq"}
        for table in APPEND_ONLY:
            for sql in (f"UPDATE {table} SET {column[table]} = {column[table]}", f"DELETE FROM {table}",
                        f"TRUNCATE {table} CASCADE"):
                with _db.engine.connect() as conn:
                    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
                        conn.exec_driver_sql(sql)
        assert audit.head() == (size, root)
        # the app's own appends still work on PostgreSQL (driver SQL with its parameter style)
        from trading.centres.models import Centre

        centre = _db.session.scalars(sa.select(Centre)).first()
        centre.name_en = centre.name_en + " (renamed)"
        _db.session.commit()
        assert _size() == size + 1
        entry = json.loads(_db.session.scalar(sa.select(AuditEntry.body).where(AuditEntry.seq == size)))
        assert entry["action"] == "centres.update" and entry["index"] == size
        _db.session.remove()
        _db.engine.dispose()


# ---- checkpoints -------------------------------------------------------------------------------------------------

def _verify_checkpoint(client, cp: Checkpoint) -> dict:
    key = client.get("/api/v1/audit/key").get_json()
    Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"])).verify(bytes(cp.signature), cp.body.encode())
    body = json.loads(cp.body)
    assert set(body) == {"origin", "size", "root", "at", "key_id"} and body["key_id"] == key["key_id"]
    assert cp.body == json.dumps(body, sort_keys=True, separators=(",", ":"))
    assert (body["size"], body["root"]) == (cp.size, bytes(cp.root).hex())
    assert audit.root_at(cp.size) == bytes(cp.root)
    return body


def test_the_deadline_tick_signs_a_checkpoint_covering_the_close(db, client, runner, published_trade, clock):
    clock.freeze(published_trade.bid_deadline + timedelta(seconds=1))
    result = runner.invoke(args=["tick"])
    assert result.exit_code == 0 and "close" in result.output
    db.session.expire_all()
    cp = audit.latest_checkpoint()
    assert cp.reason == "move:close"
    assert cp.size == _size()  # it covers the close itself
    closing = [json.loads(b) for b in db.session.scalars(sa.select(AuditEntry.body).where(AuditEntry.seq < cp.size))]
    assert any(e["action"] == "trade_transitions.insert" and e["after"]["move"] == "close" for e in closing)
    body = _verify_checkpoint(client, cp)
    assert body["at"] == audit.iso(published_trade.bid_deadline + timedelta(seconds=1))


@pytest.mark.parametrize("seconds", [None, 60])
def test_the_scheduled_tick_signs_when_the_log_grew_and_time_passed(make_app, clock, seconds):
    app = make_app(**({"AUDIT_CHECKPOINT_SECONDS": seconds} if seconds else {}))
    period = seconds or 300
    runner = app.test_cli_runner()

    def scheduled() -> list[Checkpoint]:
        return _db.session.scalars(sa.select(Checkpoint).where(Checkpoint.reason == "schedule")
                                   .order_by(Checkpoint.id)).all()

    with app.app_context():
        assert runner.invoke(args=["monitor", "tick"]).exit_code == 0
        first = scheduled()
        assert len(first) == 1 and first[0].size == _size()  # the log was not empty: signed at once
        from trading.centres.models import Centre

        centre = _db.session.scalars(sa.select(Centre)).first()
        centre.name_en += " (1)"
        _db.session.commit()
        clock.advance(timedelta(seconds=period - 1))
        assert runner.invoke(args=["monitor", "tick"]).exit_code == 0
        assert len(scheduled()) == 1  # not yet
        clock.advance(timedelta(seconds=2))
        assert runner.invoke(args=["monitor", "tick"]).exit_code == 0
        now_signed = scheduled()
        assert len(now_signed) == 2 and now_signed[-1].size > first[0].size
        _verify_checkpoint(app.test_client(), now_signed[-1])
        # nothing new in the log: nothing to sign, however long it waits
        size = _size()
        clock.advance(timedelta(seconds=period * 3))
        runner.invoke(args=["monitor", "tick"])
        grew = _size() != size  # another part's tick may have logged something
        assert len(scheduled()) == (3 if grew else 2)
