"""What the submission saw, through a live server and the process's bid writer thread: the offline sealer
keeps its device id in the user's config dir and sends it; the sighting is stored with the bid."""
from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from bidding.collusion import sightings
from bidding.collusion.models import BidSighting
from bidding.submission.models import Bid
from tests.bidding.submission.test_bids_api import sealed_trade  # noqa: F401  (a fixture)
from tests.conftest import api_headers

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def server(app):
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_port
    httpd.shutdown()
    httpd.server_close()


def _seal_and_submit(client, trade, user, server, tmp_path, config: Path, name: str):
    key = client.get(f"/api/v1/trades/{trade.id}/opening-key").get_json()
    token = tmp_path / f"{name}.token"
    token.write_text(api_headers(client, user.username)["Authorization"].removeprefix("Bearer "))
    out = tmp_path / f"{name}.prsb"
    done = subprocess.run([sys.executable, "-m", "bidding.seal", "--key", key["public_key"], "--trade", trade.ref,
                           "--bidder", user.organisation.credit_code, "--version", "1", "--price", "4815000.00",
                           "-o", str(out), "--submit", f"http://127.0.0.1:{server}/api/v1/trades/{trade.id}/bids",
                           "--token-file", str(token)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(config)})
    assert done.returncode == 0, done.stderr


def test_the_offline_sealer_sends_its_device_id_and_the_writer_stores_the_sighting(
        db, app, client, sealed_trade, users, make_user, make_org, server, tmp_path):  # noqa: F811
    from trading.accounts.models import OrgKind
    from trading.accounts.roles import Role

    other = make_user("bidder_two", (Role.BIDDER, None), org=make_org(OrgKind.BIDDER, "Second Bidder Co."))
    db.session.commit()
    shared = tmp_path / "one-laptop"
    _seal_and_submit(client, sealed_trade, users["bidder"], server, tmp_path, shared, "a")
    kept = (shared / "prt-sealer" / "device-id").read_text().strip()
    assert sightings.device_id(kept) == kept  # a random id, made on first use and kept
    _seal_and_submit(client, sealed_trade, other, server, tmp_path, shared, "b")  # the same machine
    db.session.expire_all()
    rows = db.session.execute(sa.select(BidSighting, Bid).join(Bid, Bid.id == BidSighting.bid_id)).all()
    assert len(rows) == 2
    assert {s.device_id for s, _ in rows} == {kept}
    assert {s.address for s, _ in rows} == {"127.0.0.1"}
    assert all(s.user_agent.startswith("Python-urllib/") for s, _ in rows)
    assert all(s.seen_at == b.received_at and s.organisation_id == b.organisation_id for s, b in rows)
    assert sightings._notes == {}  # each note met its bid


def test_a_malformed_device_header_is_not_kept():
    assert sightings.device_id("x") is None
    assert sightings.device_id("../../etc/passwd") is None
    assert sightings.device_id("a" * 65) is None
    assert sightings.device_id(" 3f1c9a7e-0d2b-4c55-9a61-5b0e2f4d8c11 ") == "3f1c9a7e-0d2b-4c55-9a61-5b0e2f4d8c11"
