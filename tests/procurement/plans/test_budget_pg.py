"""Two draws at once on PostgreSQL (READ COMMITTED, row locks): the conditional UPDATE lets one in."""
from __future__ import annotations

import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from procurement.plans import services
from procurement.plans.models import BudgetDraw, BudgetLine
from tests.conftest import PASSWORD, START, tender_timeline
from tests.pg import PostgresServer
from trading.errors import InvalidInput
from trading.extensions import db as _db


@pytest.fixture(scope="module")
def postgres():
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.mark.postgres
def test_two_draws_at_once_on_postgresql_cannot_overdraw(postgres, clock, tmp_path, monkeypatch):
    import flask_migrate

    from trading import create_app
    from trading.accounts.models import OrgKind, User
    from trading.accounts.roles import Role
    from trading.accounts.services import create_organisation, create_user
    from trading.accounts.uscc import make_uscc
    from trading.centres.data import ensure_centres
    from trading.centres.models import Centre
    from trading.config import TestConfig
    from trading.trades import services as trades
    from trading.trades.models import Trade

    url = postgres.create_database(f"plans_{int(time.time() * 1000) % 10 ** 9}")
    app = create_app(type("PgPlans", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url,
                                                     "BLOB_DIR": str(tmp_path / "blobs")}))
    try:
        with app.app_context():
            flask_migrate.upgrade()  # the migration 0033 itself, on PostgreSQL
            ensure_centres()
            proc = _db.session.scalar(sa.select(Centre).where(Centre.code == "PROC"))
            org = create_organisation("PG Purchaser", OrgKind.TENDERER, make_uscc("91330100MA0000001"))
            buyer = create_user("buyer", PASSWORD, "Buyer", org, [(Role.TENDERER, None)])
            _db.session.flush()
            plan = services.create_plan(buyer, {"centre_id": proc.id, "year": 2026, "title": "PG plan"})
            line = services.add_line(buyer, plan, {"fund_source": "general_budget", "category_code": "A02010104",
                                                   "description": "Computers", "amount": Decimal("1000000.00")})
            ids = [trades.create_trade(buyer, {
                "centre_id": proc.id, "method": "gp_inquiry", "title": f"PG trade {i}", "paper_bids": True,
                "estimated_price": Decimal("600000.00"), **tender_timeline(START + timedelta(days=1))}).id
                for i in range(2)]
            _db.session.commit()
            line_id, buyer_id = line.id, buyer.id

        both_checked = threading.Barrier(2, timeout=20)
        real = services.needs_approval

        def checked_then_wait(trade, line):
            found = real(trade, line)
            both_checked.wait()
            return found

        monkeypatch.setattr(services, "needs_approval", checked_then_wait)
        results, errors = {}, []

        def race(trade_id: int) -> None:
            try:
                with app.app_context():
                    try:
                        services.draw(_db.session.get(User, buyer_id), _db.session.get(Trade, trade_id), line_id)
                        _db.session.commit()
                        results[trade_id] = "drawn"
                    except InvalidInput as exc:
                        _db.session.rollback()
                        results[trade_id] = exc.field
                    _db.session.remove()
            except Exception as exc:  # noqa: BLE001 (the test reports any failure of a racer)
                errors.append(repr(exc))

        threads = [threading.Thread(target=race, args=(i,)) for i in ids]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert not errors, errors
        assert sorted(results.values()) == ["drawn", "line_id"]
        with app.app_context():
            assert _db.session.get(BudgetLine, line_id).drawn == Decimal("600000.00")
            assert _db.session.scalar(sa.select(sa.func.count()).select_from(BudgetDraw)) == 1
    finally:
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()
