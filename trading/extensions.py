"""Unbound Flask extensions, bound to an app by the factory."""
from __future__ import annotations

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep Alembic migrations identical on SQLite (batch mode) and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def begin_write() -> None:
    """Open the session's write transaction now, so that a `begin_nested()` that follows nests in it.

    Python's sqlite3 driver opens a transaction only before an INSERT, UPDATE or DELETE. A SAVEPOINT
    issued before any of those starts a transaction of its own, and releasing it COMMITS: the rows
    of a savepoint that comes first in a request would be visible (and durable) before the request
    ends, e.g. a bid row before its receipt is written. On SQLite this takes the write lock with
    BEGIN IMMEDIATE (waiting for it as an INSERT would); other databases need nothing."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return
    dbapi_conn = connection.connection.dbapi_connection
    if not dbapi_conn.in_transaction:
        dbapi_conn.execute("BEGIN IMMEDIATE")


def flush_unless_taken(taken, error: Exception) -> None:
    """Flush the pending rows; if another request stored the same unique row first (a double click,
    two tabs: both passed the service's "already there?" check before either wrote), roll back and
    raise `error` (a 409 naming the conflict) instead of letting the IntegrityError become a 500.

    `taken()` tells, after the rollback, whether the conflicting row is really there: any other
    integrity failure is re-raised as it is."""
    import sqlalchemy as sa

    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        db.session.rollback()  # the request changes nothing; the winner's row is now visible
        if taken():
            raise error from None
        raise
