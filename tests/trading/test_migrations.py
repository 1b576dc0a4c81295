"""Alembic migrations build the same schema as the models, on an empty SQLite and an empty PostgreSQL."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from tests.pg import PostgresServer
from trading import create_app
from trading.config import TestConfig
from trading.extensions import db


@pytest.fixture(scope="module")
def postgres():
    server = PostgresServer().start()
    yield server
    server.stop()


def _app(url: str, tmp_path):
    return create_app(type("MigrationConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url,
                                                              "BLOB_DIR": str(tmp_path / "blobs")}))


def _check_upgrade(app) -> None:
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
            tables = set(sa.inspect(conn).get_table_names())
        assert diff == [], f"migrations and models differ: {diff}"
        assert {"trades", "users", "centres", "notices", "documents", "downloads", "clarifications"} <= tables
        # the migrated schema is usable: the demo loads into it
        from trading.demo import load_demo

        assert load_demo() is not None
        downgrade(revision="base")
        with db.engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
        db.session.remove()
        db.engine.dispose()


def test_upgrade_empty_sqlite(tmp_path, clock):
    _check_upgrade(_app(f"sqlite:///{tmp_path / 'migrated.sqlite'}", tmp_path))


@pytest.mark.postgres
def test_upgrade_empty_postgresql(postgres, tmp_path, clock):
    _check_upgrade(_app(postgres.create_database("migrated"), tmp_path))
