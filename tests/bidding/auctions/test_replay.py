"""`python -m bidding.auctions.replay`: a real sale's audit log, exported with `flask audit export`, replayed
offline in a subprocess; the winner and price equal what the platform decided, and a broken export is
refused."""
from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest

from bidding.auctions import services as auctions
from bidding.auctions.outcome import best_offer
from tests.bidding.auctions.conftest import INCREMENT, LISTING_CLOSE, STARTING_PRICE

ROOT = Path(__file__).resolve().parents[3]


def replay_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bidding.auctions.replay", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def export(runner, where: Path) -> Path:
    result = runner.invoke(args=["audit", "export", str(where)])
    assert result.exit_code == 0, result.output
    return where


@pytest.fixture
def quoted(db, listing, land, clock):
    """The listing with quotes by all three buyers, one of them refused (below the next level)."""
    trade, regs = listing
    auctions.quote(land["buyer2"], trade, STARTING_PRICE)
    auctions.quote(land["buyer1"], trade, STARTING_PRICE + INCREMENT)
    refused = auctions.quote(land["buyer3"], trade, STARTING_PRICE + INCREMENT)  # the same level: too low now
    assert refused.refusal == "too_low"
    auctions.quote(land["buyer3"], trade, STARTING_PRICE + 3 * INCREMENT)
    auctions.quote(land["buyer2"], trade, STARTING_PRICE + 4 * INCREMENT)
    db.session.commit()
    return trade, regs


def test_replay_reproduces_the_listing_winner_from_an_export(quoted, runner, land, tmp_path):
    trade, regs = quoted
    best = best_offer(trade)
    assert best.paddle == regs["buyer2"].paddle and best.amount == STARTING_PRICE + 4 * INCREMENT
    out = export(runner, tmp_path / "export")
    done = replay_cli(out)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"trade {trade.id}: 0 accepted live bids, 4 accepted listing quotes, 1 refused" in done.stdout
    assert f"replay: paddle {best.paddle} at {best.amount:,.2f} (listing quote #4" in done.stdout
    assert "recorded deal: none in this export" in done.stdout
    # the zip the supervisors' page hands out, and entries.jsonl alone, give the same answer
    with zipfile.ZipFile(tmp_path / "export.zip", "w") as zf:
        for f in out.iterdir():
            zf.write(f, f"audit-export/{f.name}")
    for source in (tmp_path / "export.zip", out / "entries.jsonl"):
        again = replay_cli(source, "--trade", trade.id)
        assert again.returncode == 0 and again.stdout == done.stdout, again.stderr


def test_a_quote_added_later_changes_the_replayed_winner(db, quoted, runner, land, tmp_path):
    trade, regs = quoted
    auctions.quote(land["buyer1"], trade, STARTING_PRICE + 6 * INCREMENT)
    db.session.commit()
    done = replay_cli(export(runner, tmp_path / "export"), "--trade", trade.id)
    assert done.returncode == 0, done.stderr
    amount = STARTING_PRICE + 6 * INCREMENT
    assert f"replay: paddle {regs['buyer1'].paddle} at {amount:,.2f} (listing quote #5" in done.stdout


def test_an_edited_bid_in_the_export_is_refused_not_replayed(quoted, runner, tmp_path):
    out = export(runner, tmp_path / "export")
    lines = (out / "entries.jsonl").read_bytes().split(b"\n")[:-1]
    at = next(i for i, line in enumerate(lines) if b'"action":"auction_listing_quotes.insert"' in line)
    entry = json.loads(lines[at])
    entry["after"]["amount"] = str(STARTING_PRICE * 10)
    lines[at] = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    (out / "entries.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    done = replay_cli(out)
    assert done.returncode == 2
    assert f"entry {at + 1}: its prev is not the hash of entry {at}" in done.stderr
    # a line removed: the index no longer follows
    del lines[at]
    (out / "entries.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    assert replay_cli(out).returncode == 2


def test_an_export_without_the_trade_is_refused(quoted, runner, tmp_path):
    trade, _regs = quoted
    out = export(runner, tmp_path / "export")
    done = replay_cli(out, "--trade", trade.id + 1000)
    assert done.returncode == 2 and f"of trade {trade.id + 1000} in this export" in done.stderr
    assert replay_cli(tmp_path / "nowhere").returncode == 2


def test_replay_needs_neither_flask_nor_the_database_nor_monitor():
    code = ("import sys, bidding.auctions.replay; "
            "bad = {'flask', 'sqlalchemy', 'trading', 'monitor', 'flask_sqlalchemy'} & "
            "set(m.split('.')[0] for m in sys.modules); assert not bad, bad")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# ---- a live round ----------------------------------------------------------------------------------------

@pytest.fixture
def closed_round(db, listing, land, clock):
    """Two buyers quoted, entered the live round and bid (one bid refused as too low), the countdown ran out
    and the tick closed the round: buyer1 won the third live level."""
    from bidding.auctions.live import services as live
    from bidding.auctions.live.bids import place_bid

    trade, regs = listing
    auctions.quote(land["buyer1"], trade, STARTING_PRICE)
    auctions.quote(land["buyer2"], trade, STARTING_PRICE + INCREMENT)
    db.session.commit()
    clock.freeze(LISTING_CLOSE)
    live.start_round(land["staff"], trade)
    for who in ("buyer1", "buyer2"):
        live.confirm(land[who], trade)
    db.session.commit()
    for who, steps in (("buyer1", 2), ("buyer2", 2), ("buyer2", 3), ("buyer1", 5)):
        clock.advance(timedelta(seconds=7))
        place_bid(land[who], trade, STARTING_PRICE + steps * INCREMENT, f"ref-{who}-{steps}")
        db.session.commit()
    rnd = live.round_of(trade)
    clock.freeze(rnd.ends_at + timedelta(seconds=5))
    live.run_due()
    db.session.commit()
    assert live.round_of(trade).state.value == "closed"
    return trade, regs


def test_replay_reproduces_the_live_round_winner(closed_round, runner, tmp_path):
    trade, regs = closed_round
    best = best_offer(trade)
    assert (best.basis, best.paddle, best.amount) == ("live_bid", regs["buyer1"].paddle, STARTING_PRICE + 5 * INCREMENT)
    done = replay_cli(export(runner, tmp_path / "export"), "--trade", trade.id)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"trade {trade.id}: 3 accepted live bids, 2 accepted listing quotes, 1 refused" in done.stdout
    assert f"replay: paddle {best.paddle} at {best.amount:,.2f} (live bid #3" in done.stdout


def test_replay_agrees_with_the_concluded_deal_and_catches_a_changed_one(db, closed_round, land, runner, tmp_path):
    from bidding.auctions.deal.conclusion import conclude

    trade, regs = closed_round
    deal = conclude(land["staff"], trade)
    db.session.commit()
    assert (deal.paddle, deal.price) == (regs["buyer1"].paddle, STARTING_PRICE + 5 * INCREMENT)
    done = replay_cli(export(runner, tmp_path / "export"), "--trade", trade.id)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"recorded deal: concluded, paddle {deal.paddle}, price {deal.price}, basis live_bid" in done.stdout
    assert "same winner and price" in done.stdout
    # the deal row changed afterwards (a logged update naming the runner-up): the replay says so and fails
    deal.paddle, deal.price = regs["buyer2"].paddle, STARTING_PRICE + 3 * INCREMENT
    db.session.commit()
    done = replay_cli(export(runner, tmp_path / "export2"), "--trade", trade.id)
    assert done.returncode == 1, done.stdout + done.stderr
    assert (f"MISMATCH: price: deal {STARTING_PRICE + 3 * INCREMENT}, replay {STARTING_PRICE + 5 * INCREMENT}; "
            f"winner: deal paddle {regs['buyer2'].paddle}, replay paddle {regs['buyer1'].paddle}") in done.stdout
    assert "1 sale(s) replayed, 1 mismatch(es)" in done.stdout
