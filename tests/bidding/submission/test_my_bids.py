"""A bidder's workspace lists their company's bids with receipts; the receipt CLI checks the API's answer."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bidding.crypto import receipt
from tests.bidding.submission.test_bids_api import _envelope, _submit, sealed_trade  # noqa: F401 (fixture)
from tests.conftest import login
from trading.accounts.models import OrgKind
from trading.accounts.roles import Role

ROOT = Path(__file__).resolve().parents[3]


def _verify(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bidding.receipt", "verify", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def test_bidder_lands_on_their_bids_with_receipts(db, client, app, sealed_trade, users, make_user, make_org):  # noqa: F811
    code = users["bidder"].organisation.credit_code
    first = _submit(client, sealed_trade, "bidder", _envelope(client, sealed_trade, code))
    second = _submit(client, sealed_trade, "bidder", _envelope(client, sealed_trade, code, version=2))
    assert first.status_code == second.status_code == 201
    rival_org = make_org(OrgKind.BIDDER, "Rival Builders Ltd")
    make_user("rival", (Role.BIDDER, None), org=rival_org)

    assert login(client, "bidder").headers["Location"] == "/workspace/"
    html = client.get("/workspace/").get_data(as_text=True)
    section = html.split('id="my-bids"', 1)[1].split("</section>", 1)[0]
    for body in (first.get_json(), second.get_json()):
        assert f'data-trade="{sealed_trade.ref}" data-version="{body["version"]}"' in section
        assert f"/bidding/trades/{sealed_trade.id}/bids/{body['version']}/receipt.json" in section
    assert 'data-version="2" data-state="submitted"' in section and 'data-version="1" data-state="replaced"' in section
    assert "No trades yet" not in html and "暂无交易" not in html
    # the time shown is Beijing time, as everywhere else (09:00 CST on the frozen clock, not 01:00 UTC)
    assert "2026-03-02 09:00" in section
    download = client.get(f"/bidding/trades/{sealed_trade.id}/bids/2/receipt.json")
    platform = receipt.load_platform_key(client.get("/api/v1/receipt-key").get_json()["public_key"])
    assert receipt.verify_receipt(download.get_data(), platform)

    # another company sees its own (empty) list, never this company's bids
    client.post("/logout")
    login(client, "rival")
    rival = client.get("/workspace/").get_data(as_text=True)
    assert 'id="my-bids"' in rival and sealed_trade.ref not in rival.split('id="my-bids"', 1)[1]


def test_receipt_cli_accepts_the_api_answer_as_well_as_the_bare_receipt(tmp_path, client, sealed_trade, users):  # noqa: F811
    code = users["bidder"].organisation.credit_code
    data = _envelope(client, sealed_trade, code)
    answer = _submit(client, sealed_trade, "bidder", data).get_json()
    key_hex = client.get("/api/v1/receipt-key").get_json()["public_key"]
    env = tmp_path / "bid.prsb"
    env.write_bytes(data)
    saved = tmp_path / "answer.json"
    saved.write_text(json.dumps(answer, ensure_ascii=False, indent=2), encoding="utf-8")
    done = _verify(str(saved), key_hex, "--envelope", str(env))
    assert done.returncode == 0 and done.stdout.startswith("OK") and sealed_trade.ref in done.stdout, done.stdout
    bare = tmp_path / "receipt.json"
    bare.write_text(receipt.receipt_json(answer["receipt"]), encoding="utf-8")
    assert _verify(str(bare), key_hex).returncode == 0
    # a tampered answer still fails
    answer["receipt"]["size"] += 1
    saved.write_text(json.dumps(answer), encoding="utf-8")
    done = _verify(str(saved), key_hex)
    assert done.returncode == 1 and done.stdout.startswith("FAILED")
