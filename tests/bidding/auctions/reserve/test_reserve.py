"""The sealed reserve (O39 Art 10): sealed by the decision branch before the listing closes, no amount stored
before the opening, opened only after the last bid with both halves of the key, a tampered envelope refused."""
from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from bidding.auctions.reserve import opening, services as reserve
from bidding.auctions.reserve.models import ReserveRelease, SealedReserve
from bidding.crypto import receipt
from bidding.crypto.envelope_check import content_digest
from bidding.keyholders.services import opening_key
from bidding.submission.services import receipt_public_key
from tests.bidding.auctions.conftest import (LISTING_CLOSE, RESERVE, open_reserve, release_reserve_shares,
                                             reserve_envelope, seal_reserve)
from tests.bidding.auctions.keyholding import opened_share
from trading.errors import IllegalMove, InvalidInput, NotAllowed
from trading.trades import services as trades

#: the listing fixture has no quote: nobody can enter a live round, the last bid is in at the close
AFTER_LAST_BID = LISTING_CLOSE


def _db_bytes(app) -> bytes:
    """Every byte the database keeps on disk (the file and its write-ahead log)."""
    path = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def test_land_sale_gets_an_opening_key_and_needs_a_reserve(land_sale):
    assert opening_key(land_sale) is not None
    assert reserve.reserve_required(land_sale) and reserve.opened_reserve(land_sale) is None


def test_approval_of_a_land_listing_needs_keyholders(db, make_trade, centres, land):
    trade = make_trade(land["staff"], centre_id=centres["LAND"].id, method="land_auction", title="Plot D",
                       estimated_price=Decimal("5000000.00"), docs_until=None, opening_at=None)
    trades.move(trade, "submit", land["staff"])
    with force_locale("en"), pytest.raises(IllegalMove) as refused:
        trades.move(trade, "approve", land["decider"])
    assert refused.value.code == "keyholders_missing" and "reserve" in refused.value.message


def test_the_database_holds_no_amount_before_the_opening(app, db, listing, land):
    trade, _regs = listing
    amount = Decimal("12345678.91")
    row = seal_reserve(land, trade, amount)
    db.session.commit()
    db.session.execute(sa.text("PRAGMA wal_checkpoint(FULL)"))
    stored = _db_bytes(app)
    assert row.sha256.encode() in stored  # the file really is the database the row went to
    for needle in (b"12345678.91", b"1234567891", "12345678.91".encode("utf-16-le")):
        assert needle not in stored
    # the staff's view says a reserve is sealed, never how much
    view = json.dumps(reserve.reserve_view(land["staff"], trade), default=str)
    assert row.sha256 in view and "12345678" not in view


def test_the_receipt_is_signed_and_each_replacement_counts_last(db, listing, land, clock):
    trade, _regs = listing
    first = seal_reserve(land, trade, Decimal("11000000.00"))
    clock.advance(timedelta(hours=1))
    second = seal_reserve(land, trade, Decimal("10800000.00"))
    db.session.commit()
    assert (first.seq, second.seq) == (1, 2)
    assert first.replaced_at is not None and second.replaced_at is None
    assert reserve.current_reserve(trade).id == second.id
    signed = json.loads(second.receipt)
    assert signed["bidder"] == "RESERVE" and signed["version"] == 2 and signed["sha256"] == second.sha256
    assert receipt.verify_receipt(second.receipt, receipt_public_key())
    clock.freeze(AFTER_LAST_BID)
    assert open_reserve(land, trade).amount == Decimal("10800000.00")


@pytest.mark.parametrize("offset, accepted", [(-1, True), (0, False), (1, False)])
def test_sealing_until_the_last_second_before_the_close(db, listing, land, clock, offset, accepted):
    trade, _regs = listing
    clock.freeze(LISTING_CLOSE + timedelta(seconds=offset))
    if accepted:
        assert seal_reserve(land, trade).seq == 1
        return
    with pytest.raises(IllegalMove) as refused:
        seal_reserve(land, trade)
    assert refused.value.code == "sealing_closed" and refused.value.status == 409


@pytest.mark.parametrize("kw, message", [
    ({"bidder": "91350100MA2XYZ0123"}, "RESERVE"),
    ({"seq": 2}, "expected 1"),
    ({"trade_ref": "TD-2099-0001"}, "another trade"),
])
def test_an_envelope_not_sealed_as_this_reserve_is_refused(db, listing, land, kw, message):
    import io

    from bidding.crypto import envelope
    from bidding.crypto.records import encode_bid

    trade, _regs = listing
    out = io.BytesIO()
    envelope.seal(encode_bid({"price": "10500000.00", "trade": trade.ref}),
                  public_key=envelope.load_public_key(opening_key(trade).public_key.hex()),
                  trade_ref=kw.get("trade_ref", trade.ref), bidder_id=kw.get("bidder", "RESERVE"),
                  version=kw.get("seq", 1), out=out)
    data = out.getvalue()
    with force_locale("en"), pytest.raises(InvalidInput) as refused:
        reserve.seal_reserve(land["decider"], trade, data, content_digest(data))
    assert message in str(refused.value.errors["envelope"][0])
    assert reserve.current_reserve(trade) is None


def test_only_the_decision_branch_seals(db, listing, land):
    trade, _regs = listing
    data = reserve_envelope(trade)
    for who in ("staff", "supervisor", "buyer1"):
        with pytest.raises(NotAllowed):
            reserve.seal_reserve(land[who], trade, data, content_digest(data))


@pytest.mark.parametrize("at", [LISTING_CLOSE - timedelta(seconds=1), LISTING_CLOSE - timedelta(days=5)])
def test_nothing_is_released_or_opened_while_the_listing_runs(db, listing, land, clock, at):
    trade, _regs = listing
    seal_reserve(land, trade)
    clock.freeze(at)
    for call in (lambda: opening.reserve_share_for(land["staff"], trade),
                 lambda: opening.open_reserve(land["supervisor"], trade)):
        with pytest.raises(IllegalMove) as refused:
            call()
        assert refused.value.code == "reserve_listing_open" and refused.value.status == 409


def test_nothing_is_opened_before_the_live_round_is_over(db, listing, land, clock):
    from bidding.auctions import services as auctions
    from bidding.auctions.live import services as live

    trade, _regs = listing
    seal_reserve(land, trade)
    auctions.quote(land["buyer1"], trade, "10000000.00")
    auctions.quote(land["buyer2"], trade, "10100000.00")
    clock.freeze(LISTING_CLOSE)
    codes = []

    def refused_code():
        with pytest.raises(IllegalMove) as refused:
            opening.open_reserve(land["supervisor"], trade)
        assert refused.value.status == 409
        with pytest.raises(IllegalMove):
            opening.reserve_share_for(land["staff"], trade)
        return refused.value.code

    live.start_round(land["staff"], trade)
    codes.append(refused_code())  # confirming
    live.confirm(land["buyer1"], trade)
    live.confirm(land["buyer2"], trade)
    assert live.round_of(trade).state.value == "open"
    codes.append(refused_code())  # bidding
    assert codes == ["reserve_round_running", "reserve_round_running"]
    rnd = live.round_of(trade)
    clock.freeze(rnd.ends_at + timedelta(seconds=5))
    live.run_due()
    assert live.round_of(trade).state.value == "closed"
    assert reserve.last_bid_pending(trade) is None
    assert open_reserve(land, trade).amount == RESERVE


def test_opened_after_the_last_bid_with_both_halves(db, listing, land, clock):
    trade, _regs = listing
    row = seal_reserve(land, trade)
    clock.freeze(AFTER_LAST_BID)
    opened = open_reserve(land, trade)
    db.session.commit()
    assert opened.amount == RESERVE and reserve.opened_reserve(trade) == RESERVE
    assert isinstance(reserve.opened_reserve(trade), Decimal)
    record = json.loads(opened.record)
    assert record["reserve"] == "10500000.00" and record["envelope_sha256"] == row.sha256 == opened.envelope_sha256
    assert record["trade"] == trade.ref and {r["side"] for r in record["released"]} == {"execute", "supervise"}
    assert hashlib.sha256(opened.record.encode()).hexdigest() == opened.record_sha256
    # the shares held for the opening are erased by it
    assert db.session.scalars(sa.select(ReserveRelease.held_share).where(ReserveRelease.trade_id == trade.id)
                              ).all() == [None, None, None]
    with pytest.raises(IllegalMove) as again:
        opening.open_reserve(land["supervisor"], trade)
    assert again.value.code == "reserve_opened"
    reserve.check_reserve_opened(trade)  # the deal may go on


def test_one_side_alone_or_a_staff_member_never_gets_it(db, listing, land, clock):
    trade, _regs = listing
    seal_reserve(land, trade)
    clock.freeze(AFTER_LAST_BID)
    with pytest.raises(NotAllowed):  # executing staff do not open it
        opening.open_reserve(land["staff"], trade)
    release_reserve_shares(land, trade, ("supervisor",))
    with pytest.raises(IllegalMove) as refused:  # one keyholder's share: nothing
        opening.open_reserve(land["supervisor"], trade)
    assert refused.value.code == "shares_missing"
    release_reserve_shares(land, trade, ("staff",))
    with pytest.raises(IllegalMove) as refused:  # still below the executing threshold (2 of 2)
        opening.open_reserve(land["supervisor"], trade)
    assert refused.value.code == "shares_missing"
    assert reserve.opened_reserve(trade) is None
    with pytest.raises(IllegalMove) as twice:
        release_reserve_shares(land, trade, ("staff",))
    assert twice.value.code == "already_released"


def test_a_share_of_another_holder_is_refused(db, listing, land, clock):
    trade, _regs = listing
    seal_reserve(land, trade)
    clock.freeze(AFTER_LAST_BID)
    other = opened_share(land["staff2"], opening.reserve_share_for(land["staff2"], trade))
    with pytest.raises(InvalidInput) as refused:
        opening.release_reserve_share(land["staff"], trade, other)
    assert "share" in refused.value.errors


@pytest.mark.parametrize("rehash, code", [(False, "reserve_altered"), (True, "reserve_unopenable")])
def test_a_tampered_envelope_fails_the_opening(db, listing, land, clock, rehash, code):
    trade, _regs = listing
    row = seal_reserve(land, trade)
    db.session.commit()
    data = bytearray(row.sealed)
    data[-5] ^= 0x01  # one bit of the body's last chunk
    values = {"sealed": bytes(data)}
    if rehash:  # who altered it also fixed the hash the platform keeps: the decryption still tells
        values["sha256"] = hashlib.sha256(bytes(data)).hexdigest()
    db.session.execute(sa.update(SealedReserve).where(SealedReserve.id == row.id).values(**values))
    db.session.commit()
    db.session.expire_all()
    clock.freeze(AFTER_LAST_BID)
    with pytest.raises(IllegalMove) as refused:
        open_reserve(land, trade)
    assert refused.value.code == code and refused.value.status == 409
    assert reserve.opened_reserve(trade) is None


def test_a_body_for_another_trade_is_not_this_reserve(db, listing, land, clock):
    trade, _regs = listing
    seal_reserve(land, trade, form={"price": "10500000.00", "trade": "TD-2026-9999"})
    clock.freeze(AFTER_LAST_BID)
    with pytest.raises(IllegalMove) as refused:
        open_reserve(land, trade)
    assert refused.value.code == "reserve_not_bound" and "TD-2026-9999" in refused.value.message


def test_no_reserve_sealed_by_the_close_and_the_deal_refuses(db, listing, land, clock):
    trade, _regs = listing
    clock.freeze(AFTER_LAST_BID)
    with force_locale("en"), pytest.raises(IllegalMove) as refused:
        reserve.check_reserve_opened(trade)
    assert refused.value.code == "no_reserve" and "O39 Art 10" in refused.value.message
    with pytest.raises(IllegalMove) as nothing:
        opening.open_reserve(land["supervisor"], trade)
    assert nothing.value.code == "no_reserve"
    with pytest.raises(IllegalMove) as late:
        seal_reserve(land, trade)
    assert late.value.code == "sealing_closed"


def test_the_offline_sealer_makes_a_reserve_the_platform_opens(db, listing, land, clock, tmp_path):
    from bidding.seal import build_parser, run

    trade, _regs = listing
    key = tmp_path / "key.hex"
    key.write_text(opening_key(trade).public_key.hex())
    out = tmp_path / "reserve.prsb"
    run(build_parser().parse_args(["--key", str(key), "--trade", trade.ref, "--bidder", "RESERVE", "--version", "1",
                                   "--price", "10900000.00", "--field", f"trade={trade.ref}", "-o", str(out),
                                   "--expect-fingerprint", opening_key(trade).fingerprint]))
    data = out.read_bytes()
    reserve.seal_reserve(land["decider"], trade, data, content_digest(data))
    clock.freeze(AFTER_LAST_BID)
    assert open_reserve(land, trade).amount == Decimal("10900000.00")


def test_opened_after_a_close_without_round_no_round_can_start(db, listing, land, clock):
    from bidding.auctions import services as auctions
    from bidding.auctions.live import services as live

    trade, _regs = listing
    seal_reserve(land, trade)
    auctions.quote(land["buyer1"], trade, "10000000.00")
    auctions.quote(land["buyer2"], trade, "10100000.00")
    clock.freeze(LISTING_CLOSE + timedelta(minutes=30))  # the staff did not start a round: the listing decides
    assert open_reserve(land, trade).amount == RESERVE
    with pytest.raises(IllegalMove) as refused:
        live.start_round(land["staff"], trade)
    assert refused.value.code == "reserve_opened" and live.round_of(trade) is None
