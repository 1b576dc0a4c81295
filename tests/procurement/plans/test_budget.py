"""Budget lines: a procurement trade draws its estimated price and cannot exceed what is left."""
from __future__ import annotations

import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa

from procurement.plans import services
from procurement.plans.models import BudgetDraw, BudgetLine
from tests.conftest import api_headers
from trading.errors import IllegalMove, InvalidInput


def test_drawing_exactly_what_is_left_empties_the_line(db, plan, gp_trade, users):
    line = plan.lines[0]
    services.draw(users["tenderer"], gp_trade(price="400000.00"), line.id)
    services.draw(users["tenderer"], gp_trade(price="600000.00"), line.id)
    db.session.commit()
    assert line.drawn == Decimal("1000000.00") and line.left == Decimal("0.00")


def test_one_fen_more_than_is_left_is_refused_naming_what_is_left(db, plan, gp_trade, users):
    line = plan.lines[0]
    services.draw(users["tenderer"], gp_trade(price="400000.00"), line.id)
    db.session.commit()
    late = gp_trade(price="600000.01")
    with pytest.raises(InvalidInput) as exc:
        services.draw(users["tenderer"], late, line.id)
    assert exc.value.field == "line_id"
    assert "¥600,000.00" in exc.value.errors["line_id"][0]  # what is left, named
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(BudgetLine, line.id).drawn == Decimal("400000.00")  # no partial state
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BudgetDraw).where(
        BudgetDraw.trade_id == late.id)) == 0


def test_overdraw_through_the_api_is_a_422_in_chinese(client, db, plan, gp_trade, users):
    line_id = plan.lines[0].id
    trade = gp_trade(price="1000000.01")
    headers = {**api_headers(client, "tenderer"), "Accept-Language": "zh-CN"}
    response = client.post(f"/api/v1/trades/{trade.id}/budget-draw", json={"line_id": line_id}, headers=headers)
    assert response.status_code == 422
    body = response.get_json()
    assert body["field"] == "line_id"
    assert "¥1,000,000.00" in body["errors"]["line_id"][0] and "剩余" in body["errors"]["line_id"][0]
    ok = client.post(f"/api/v1/trades/{gp_trade(price='1000000.00').id}/budget-draw", json={"line_id": line_id},
                     headers=headers)
    assert ok.status_code == 201 and ok.get_json()["left"] == "0.00"


def test_a_trade_draws_once_and_only_on_its_purchasers_lines(db, plan, gp_trade, users, make_trade):
    trade = gp_trade()
    services.draw(users["tenderer"], trade, plan.lines[0].id)
    with pytest.raises(IllegalMove):
        services.draw(users["tenderer"], trade, plan.lines[1].id)
    other = gp_trade(tenderer_id=users["other_tenderer"].organisation_id)
    with pytest.raises(InvalidInput) as exc:
        services.draw(users["staff_proc"], other, plan.lines[0].id)
    assert exc.value.field == "line_id"
    works = make_trade()  # not a procurement trade: no budget to draw
    with pytest.raises(Exception) as exc2:
        services.draw(users["tenderer"], works, plan.lines[0].id)
    assert isinstance(exc2.value, InvalidInput) and exc2.value.field == "trade"


def test_two_concurrent_draws_cannot_overdraw_a_line(app, db, plan, gp_trade, users, monkeypatch):
    """Both threads see 1,000,000.00 left and each asks for 600,000.00: exactly one draw stands."""
    line_id = plan.lines[0].id
    trade_ids = [gp_trade(price="600000.00").id, gp_trade(price="600000.00").id]
    user_id = users["tenderer"].id
    both_checked = threading.Barrier(2, timeout=20)
    real = services.needs_approval

    def checked_then_wait(trade, line):
        found = real(trade, line)
        both_checked.wait()  # neither writes before both have read the line
        return found

    monkeypatch.setattr(services, "needs_approval", checked_then_wait)
    results, errors = {}, []

    def race(trade_id: int) -> None:
        from trading.accounts.models import User
        from trading.extensions import db as _db
        from trading.trades.models import Trade

        try:
            with app.app_context():
                try:
                    services.draw(_db.session.get(User, user_id), _db.session.get(Trade, trade_id), line_id)
                    _db.session.commit()
                    results[trade_id] = "drawn"
                except InvalidInput as exc:
                    _db.session.rollback()
                    results[trade_id] = exc.field
                _db.session.remove()
        except Exception as exc:  # noqa: BLE001 (the test reports any failure of a racer)
            errors.append(repr(exc))

    threads = [threading.Thread(target=race, args=(t,)) for t in trade_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert sorted(results.values()) == ["drawn", "line_id"]
    db.session.expire_all()
    assert db.session.get(BudgetLine, line_id).drawn == Decimal("600000.00")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BudgetDraw)) == 1


def test_a_drawn_drafts_price_edit_draws_the_difference_or_is_refused(db, plan, gp_trade, users):
    from trading.trades import services as trades

    line = plan.lines[0]
    trade = gp_trade(price="400000.00")
    services.draw(users["tenderer"], trade, line.id)
    db.session.commit()
    trades.update_trade(users["tenderer"], trade, {"estimated_price": Decimal("1000000.00")})
    db.session.commit()
    assert line.drawn == Decimal("1000000.00") and services.draw_of(trade).amount == Decimal("1000000.00")
    with pytest.raises(InvalidInput) as exc:
        trades.update_trade(users["tenderer"], trade, {"estimated_price": Decimal("1000000.01")})
    assert exc.value.field == "estimated_price" and "¥1,000,000.00" in exc.value.errors["estimated_price"][0]
    db.session.rollback()
    db.session.expire_all()
    assert trade.estimated_price == Decimal("1000000.00") and line.drawn == Decimal("1000000.00")
    trades.update_trade(users["tenderer"], trade, {"estimated_price": Decimal("250000.00")})
    db.session.commit()
    assert line.left == Decimal("750000.00")


def test_a_price_edit_past_what_is_left_is_a_422_through_the_api(client, db, plan, gp_trade, users):
    trade = gp_trade(price="900000.00")
    services.draw(users["tenderer"], trade, plan.lines[0].id)
    db.session.commit()
    headers = {**api_headers(client, "tenderer"), "Accept-Language": "en"}
    response = client.patch(f"/api/v1/trades/{trade.id}", json={"estimated_price": "1000000.01"}, headers=headers)
    assert response.status_code == 422 and response.get_json()["field"] == "estimated_price"
    assert "¥1,000,000.00 left" in response.get_json()["errors"]["estimated_price"][0]
    db.session.expire_all()
    assert plan.lines[0].drawn == Decimal("900000.00")
