"""Layered fixtures: a frozen movable clock, an app on its own real SQLite file, a client, and factories."""
from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from trading import create_app
from trading.accounts.models import Organisation, OrgKind
from trading.accounts.roles import Role
from trading.accounts.services import create_organisation, create_user
from trading.accounts.uscc import make_uscc
from trading.centres.data import ensure_centres
from trading.clock import clock as platform_clock
from trading.config import TestConfig
from trading.extensions import db as _db

CST = ZoneInfo("Asia/Shanghai")
PASSWORD = "test-pass-123"
#: Monday 2 March 2026, 09:00 in Beijing: a plain working week with no holiday nearby.
START = datetime(2026, 3, 2, 9, 0, tzinfo=CST)


@pytest.fixture(scope="session", autouse=True)
def _own_instance_folder(tmp_path_factory):
    """Apps built by the tests keep their instance files (the demo's signing keys, a secret) in a folder of this
    run, never in the checkout's instance/: a served demo's files stay its own, and two runs do not overwrite
    each other's keys between writing and reading them."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("INSTANCE_PATH", str(tmp_path_factory.mktemp("instance")))
        yield


@pytest.fixture
def clock():
    """The platform's one clock, frozen at START; tests move it with clock.advance()/freeze()."""
    platform_clock.freeze(START)
    yield platform_clock
    platform_clock.unfreeze()


@pytest.fixture
def make_app(tmp_path, clock):
    """Build an app on a fresh SQLite file (real database, real commits) with optional overrides."""
    made = []

    def factory(**overrides):
        config = {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / f'test{len(made)}.sqlite'}",
            "BLOB_DIR": str(tmp_path / "blobs"),
            "WTF_CSRF_ENABLED": False,
            **overrides,
        }
        app = create_app(type("ThisTestConfig", (TestConfig,), config))
        with app.app_context():
            _db.create_all()
            ensure_centres()
            _db.session.commit()
        made.append(app)
        return app

    yield factory
    for app in made:
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def db(app):
    """The database inside an app context (the context tests call services in)."""
    with app.app_context():
        yield _db
        _db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def centres(db):
    from trading.centres.models import Centre

    return {c.code: c for c in db.session.scalars(sa.select(Centre))}


@pytest.fixture
def make_org(db):
    counter = iter(range(1, 10_000))

    def factory(kind: OrgKind = OrgKind.BIDDER, name: str | None = None) -> Organisation:
        n = next(counter)
        code = make_uscc(f"91330100MA{n:07d}") if kind.needs_credit_code else None
        return create_organisation(name or f"{kind.value} org {n}", kind, code)

    return factory


@pytest.fixture
def make_user(db, centres):
    def factory(username: str, *roles: tuple[Role, str | None], org: Organisation | None = None):
        grants = [(role, centres[code].id if code else None) for role, code in roles]
        user = create_user(username, PASSWORD, username.title(), org, grants, email=f"{username}@test.invalid")
        db.session.commit()
        return user

    return factory


@pytest.fixture
def users(db, make_user, make_org):
    """One person per role, as a trade at the WORKS centre needs them."""
    tenderer_org = make_org(OrgKind.TENDERER, "City Works Investment Co.")
    other_tenderer_org = make_org(OrgKind.TENDERER, "Other Tenderer Co.")
    bidder_org = make_org(OrgKind.BIDDER, "Bidder Construction Co.")
    cast = {
        "decider": make_user("decider", (Role.DECISION_MAKER, "WORKS"), (Role.DECISION_MAKER, "PROC")),
        "staff": make_user("staff", (Role.CENTRE_STAFF, "WORKS")),
        "staff_proc": make_user("staff_proc", (Role.CENTRE_STAFF, "PROC")),
        "supervisor": make_user("supervisor", (Role.ADMIN_SUPERVISOR, "WORKS")),
        "social": make_user("social", (Role.SOCIAL_SUPERVISOR, "WORKS")),
        "tenderer": make_user("tenderer", (Role.TENDERER, None), org=tenderer_org),
        "other_tenderer": make_user("other_tenderer", (Role.TENDERER, None), org=other_tenderer_org),
        "bidder": make_user("bidder", (Role.BIDDER, None), org=bidder_org),
        "expert": make_user("expert", (Role.EXPERT, None)),
        "public": make_user("public", (Role.PUBLIC, None)),
    }
    db.session.commit()
    return cast


def tender_timeline(issue_at: datetime, days: int = 25) -> dict:
    """A legal open-tender timeline starting at `issue_at` (documents on sale 10 days)."""
    deadline = issue_at + timedelta(days=days)
    return {"issue_at": issue_at, "docs_until": issue_at + timedelta(days=10), "bid_deadline": deadline,
            "opening_at": deadline}


@pytest.fixture
def make_trade(db, users, centres):
    """Create a draft through the service, with a legal timeline; override any field."""
    from trading.trades import services

    def factory(actor=None, **overrides):
        actor = actor or users["staff"]
        data = {
            "centre_id": centres["WORKS"].id, "method": "works_open_tender",
            "tenderer_id": users["tenderer"].organisation_id, "title": "Road works lot 1",
            "description": "Twelve streets", "estimated_price": Decimal("5000000.00"),
            "bid_security": Decimal("100000.00"), **tender_timeline(START + timedelta(days=1)),
            # bids on paper unless a test asks for sealed bids (paper_bids=False, then keyholders first)
            "paper_bids": True,
        }
        data.update(overrides)
        trade = services.create_trade(actor, data)
        db.session.commit()
        return trade

    return factory


@pytest.fixture
def published_trade(db, users, make_trade, clock):
    """A trade moved through submit, approve and publish, open for bids."""
    from trading.trades import services

    trade = make_trade(**tender_timeline(START))
    services.move(trade, "submit", users["staff"])
    services.move(trade, "approve", users["decider"])
    services.move(trade, "publish", users["staff"])
    db.session.commit()
    return trade


def login(client, username: str, password: str = PASSWORD):
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def api_headers(client, username: str, password: str = PASSWORD) -> dict:
    response = client.post("/api/v1/tokens", json={"username": username, "password": password})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def write_key(path, key=None):
    """A PEM (PKCS#8) Ed25519 private key at `path`, as an operator would install one; returns the path."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = key or Ed25519PrivateKey.generate()
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return path


class BodyRecorder:
    """WSGI middleware: keeps every request body exactly as it reached the server (method, path,
    query, body), for tests that prove what the platform never receives.

    (Chromium does not show Playwright the body of a fetch() whose body is a Blob, so the
    bodies are recorded where they arrive.)"""

    def __init__(self, app):
        self.app, self.seen = app, []

    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        self.seen.append((environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""), body))
        return self.app(environ, start_response)
