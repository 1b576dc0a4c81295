"""No API operation answers a server error: property-based requests (Schemathesis) built from the published
OpenAPI document against a real server with demo data, anonymous and signed in.

Bounded so `make test` stays quick: a fixed number of examples per operation and identity, generated
deterministically (the same requests every run), no shrinking. Each operation gets schema-valid
("positive") and schema-breaking ("negative") requests, some aimed at real trade ids so they get past
the 404.
"""
from __future__ import annotations

import logging
import threading
import traceback

import pytest
import requests
import sqlalchemy as sa
from flask import got_request_exception
from werkzeug.serving import make_server

from tests.conftest import write_key
from trading import create_app
from trading.config import TestConfig
from trading.demo import DEMO_PASSWORD, load_demo
from trading.extensions import db

#: examples per operation and identity: about 40 s for the whole run on one busy core
EXAMPLES = 12
#: the signed-in identity: a centre's executing staff, who may do most of what the API offers
SIGNED_IN = "staff.works"


@pytest.fixture
def demo_server(tmp_path, clock):
    """The real app on a fresh SQLite file with the demo's data, served by werkzeug on an ephemeral port."""
    config = type("FuzzConfig", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fuzz.sqlite'}",
        "BLOB_DIR": str(tmp_path / "blobs"),
        "RECEIPT_SIGNING_KEY_FILE": str(write_key(tmp_path / "receipt-key.pem")),
        "AUDIT_SIGNING_KEY_FILE": str(write_key(tmp_path / "audit-key.pem")),
    })
    app = create_app(config)
    with app.app_context():
        db.create_all()
        load_demo()
        db.session.commit()
        from trading.trades.models import Trade

        app.trade_ids = list(db.session.scalars(sa.select(Trade.id)))
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # 4xx lines by the thousand
    app.server_errors = []  # the tracebacks behind any 500, so a failure that does not repeat still says why

    def _record(sender, exception, **_extra):
        from flask import request

        app.server_errors.append(f"{request.method} {request.full_path}\n"
                                 + "".join(traceback.format_exception(exception)))

    got_request_exception.connect(_record, app, weak=False)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.base_url = f"http://127.0.0.1:{server.server_port}"
    yield app
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


def _strategy(operation, trade_ids):
    from hypothesis import strategies as st
    from schemathesis import GenerationMode

    options = [operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)]
    if "{trade_id}" in operation.path:
        options.append(st.sampled_from(trade_ids).flatmap(
            lambda tid: operation.as_strategy(GenerationMode.POSITIVE, path_parameters={"trade_id": tid})))
    return st.one_of(*options)


def _run(operation, strategy, base_url: str, headers: dict) -> list[str]:
    """Up to EXAMPLES requests to one operation; the server errors found, as reproducible curl commands."""
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis.checks import not_a_server_error

    @given(strategy)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True, print_blob=False,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def property_(case):
        case.call_and_validate(base_url=base_url, headers=headers, checks=[not_a_server_error], timeout=30)

    try:
        property_()
    except BaseExceptionGroup as exc:  # schemathesis' FailureGroup, or hypothesis' FlakyFailure around one
        return [_describe(exc)]
    except Exception as exc:  # e.g. a schema the document gets wrong, so no request can be built
        return [f"{type(exc).__name__}: {exc}"]
    return []


def _describe(exc: BaseException) -> str:
    """An exception and, for a group, every exception inside it (a flaky failure hides its cause there)."""
    if not isinstance(exc, BaseExceptionGroup):
        return f"{type(exc).__name__}: {exc}"
    return "\n".join([str(exc)] + ["  " + _describe(sub).replace("\n", "\n  ") for sub in exc.exceptions])


def test_no_operation_answers_a_server_error(demo_server):
    import schemathesis

    base = demo_server.base_url
    token = requests.post(f"{base}/api/v1/tokens", json={"username": SIGNED_IN, "password": DEMO_PASSWORD},
                          timeout=30).json()["token"]
    schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operations += 1
        try:
            operation = result.ok()
        except Exception as exc:  # the document describes this operation badly: no requests can be made
            failures.append(f"invalid operation in the document: {exc}")
            continue
        strategy = _strategy(operation, demo_server.trade_ids)
        identities = [("anonymous", {})]
        if operation.label != "DELETE /api/v1/tokens":  # would revoke the token the rest of the run uses
            identities.append((SIGNED_IN, {"Authorization": f"Bearer {token}"}))
        for who, headers in identities:
            failures += [f"{operation.label} as {who}:\n{text}" for text in _run(operation, strategy, base, headers)]
    assert operations >= 50, "the document lost its operations"
    if failures:
        errors = "\n".join(demo_server.server_errors) or "none (the failures were not exceptions in a view)"
        pytest.fail(f"{len(failures)} operation and identity pairs failed:\n\n" + "\n\n".join(failures)
                    + f"\n\nserver tracebacks:\n{errors}", pytrace=False)
