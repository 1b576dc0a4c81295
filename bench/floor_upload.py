"""The floor of the fixed stack (Flask, SQLAlchemy, SQLite): the least an upload can do on it.

`bench/submission.py --floor` loads two routes of this app between its bare runs:

- `POST /plain/trades/<id>/bids`: Flask's dispatch and the bare app's body handling (1 MiB reads of the
  request stream into a temporary file, SHA-256, fsync), renamed to its digest. No database.
- `POST /trades/<id>/bids`: the same, plus one bearer-token SELECT before the body and one INSERT with its
  COMMIT after it, through SQLAlchemy Core on a pooled connection to an SQLite file in WAL mode with
  `synchronous=NORMAL` (a commit does not wait for the disk: more generous than the platform, which fsyncs
  the WAL before it answers).

No ORM, no permission, no envelope check, no audit log, no receipt: an upper bound for what the platform
can reach on this stack and this machine, once every feature that makes a receipt worth having is taken away.

FLOOR_DIR: where the database and the files go (made if missing); FLOOR_TOKENS_FILE: bearer tokens, one per
line, stored at start (the bench's bidders').
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, jsonify, request

from bench.bare_upload import copy_body

DIR = Path(os.environ.get("FLOOR_DIR") or tempfile.mkdtemp(prefix="floor-"))
DIR.mkdir(parents=True, exist_ok=True)
engine = sa.create_engine(f"sqlite:///{DIR / 'floor.sqlite'}", connect_args={"timeout": 30})


@sa.event.listens_for(engine, "connect")
def _pragmas(conn, _record):
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")


meta = sa.MetaData()
tokens = sa.Table("tokens", meta, sa.Column("token", sa.String, primary_key=True), sa.Column("user_id", sa.Integer))
bids = sa.Table("bids", meta, sa.Column("id", sa.Integer, primary_key=True), sa.Column("user_id", sa.Integer),
                sa.Column("trade_id", sa.Integer), sa.Column("sha256", sa.String), sa.Column("size", sa.Integer))
meta.create_all(engine)
if os.environ.get("FLOOR_TOKENS_FILE"):  # the bench's bidders' tokens, so that the lookup finds its row
    with engine.begin() as _conn:
        _conn.execute(tokens.delete())
        _conn.execute(tokens.insert(), [{"token": t, "user_id": n} for n, t in enumerate(
            Path(os.environ["FLOOR_TOKENS_FILE"]).read_text().split(), start=1)])
app = Flask(__name__)


@app.get("/")
def ready():
    return jsonify(ok=True)


def _store_body() -> tuple[str, int]:
    fd, tmp = tempfile.mkstemp(dir=DIR, prefix=".in-")
    with os.fdopen(fd, "wb") as out:
        sha256, size = copy_body(request.stream, request.content_length or 0, out)
    os.replace(tmp, DIR / sha256)
    return sha256, size


@app.post("/plain/trades/<int:trade_id>/bids")
def upload_plain(trade_id: int):
    sha256, size = _store_body()
    return jsonify(trade_id=trade_id, sha256=sha256, size=size), 201


@app.post("/trades/<int:trade_id>/bids")
def upload(trade_id: int):
    value = request.headers.get("Authorization", "").removeprefix("Bearer ")
    with engine.connect() as conn:
        user_id = conn.execute(sa.select(tokens.c.user_id).where(tokens.c.token == value)).scalar()
    sha256, size = _store_body()
    with engine.begin() as conn:
        bid_id = conn.execute(bids.insert().values(user_id=user_id, trade_id=trade_id, sha256=sha256,
                                                   size=size)).inserted_primary_key[0]
    return jsonify(id=bid_id, sha256=sha256, size=size), 201
