"""After `begin_write()` a savepoint stays inside its transaction on the embedded database too: rows
written in a `begin_nested()` block that comes first in a request are neither visible to others nor
kept until the request commits (the Python sqlite3 driver would otherwise commit them on RELEASE)."""
import sqlalchemy as sa

from trading.accounts.models import LoginAttempt
from trading.clock import now
from trading.extensions import begin_write


def _probes(conn) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(LoginAttempt)
                        .where(LoginAttempt.username == "savepoint-probe")).scalar()


def test_a_first_savepoint_commits_nothing_on_its_own(db, app):
    assert db.engine.dialect.name == "sqlite"
    db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt))  # a request reads first
    begin_write()
    with db.session.begin_nested():
        db.session.add(LoginAttempt(username="savepoint-probe", remote_addr="127.0.0.1", at=now()))
    with db.engine.connect() as other:
        assert _probes(other) == 0  # released, not committed
    db.session.rollback()  # the request fails after the savepoint: the row goes with it
    with db.engine.connect() as other:
        assert _probes(other) == 0


def test_the_savepoints_rows_commit_with_the_request(db, app):
    begin_write()
    begin_write()  # twice is harmless
    with db.session.begin_nested():
        db.session.add(LoginAttempt(username="savepoint-probe", remote_addr="127.0.0.1", at=now()))
    db.session.commit()
    with db.engine.connect() as other:
        assert _probes(other) == 1
