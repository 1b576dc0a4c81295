"""Small traps of the first hour: all form errors at once, centre ids in the API, the holiday calendar's end."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from tests.conftest import START, api_headers, login, tender_timeline
from trading.rules import holidays
from trading.rules.days import CalendarDay, DayKind
from trading.trades import services as trades
from trading.trades.models import Trade


def _local(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def test_new_trade_form_shows_date_rule_errors_with_format_errors(client, db, users, centres):
    login(client, "staff")
    times = tender_timeline(START + timedelta(days=1), days=5)  # far too short a bidding period
    response = client.post("/workspace/trades/new?lang=en", data={
        "centre_id": str(centres["WORKS"].id), "method": "works_open_tender", "title": "",
        "estimated_price": "not money", **{k: _local(v) for k, v in times.items()}})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="title-error"' in html and 'id="estimated_price-error"' in html
    assert 'id="bid_deadline-error"' in html and "at least 20" in html  # the legal-time rule, in the same round
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Trade)) == 0


def test_api_names_format_and_rule_errors_at_once(client, db, users, centres):
    times = tender_timeline(START + timedelta(days=1), days=5)
    response = client.post("/api/v1/trades", headers=api_headers(client, "staff"), json={
        "centre_id": centres["WORKS"].id, "method": "works_open_tender", "title": "x",
        "estimated_price": "5000000.00", **{k: v.isoformat() for k, v in times.items()}})
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert "title" in errors and "bid_deadline" in errors


def test_centres_api_gives_the_ids_a_new_trade_needs(client, db, users, centres):
    body = client.get("/api/v1/centres").get_json()
    works = next(c for c in body if c["code"] == "WORKS")
    assert works["id"] == centres["WORKS"].id
    created = client.post("/api/v1/trades", headers=api_headers(client, "staff"), json={
        "centre_id": works["id"], "method": works["methods"][0], "title": "Road works lot 9",
        "tenderer_id": users["tenderer"].organisation_id, "estimated_price": "5000000.00",
        **{k: v.isoformat() for k, v in tender_timeline(START + timedelta(days=1)).items()}})
    assert created.status_code == 201, created.get_json()
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "id" in spec["components"]["schemas"]["Centre"]["properties"]


def test_shipped_calendar_covers_2027_and_says_where_it_ends(db):
    assert holidays.load_schedule() > 0
    assert holidays.calendar_end() == date(2027, 12, 31) == date.fromisoformat(holidays.shipped()["calendar_end"])
    days = {row.day: row.kind for row in db.session.scalars(sa.select(CalendarDay))}
    assert days[date(2027, 1, 1)] is DayKind.HOLIDAY and days[date(2027, 2, 6)] is DayKind.HOLIDAY  # 春节
    assert days[date(2027, 10, 1)] is DayKind.HOLIDAY and days[date(2026, 10, 10)] is DayKind.WORKDAY
    assert holidays.provisional_years() == {2027}
    assert holidays.load_schedule() == 0  # idempotent; an edited day is never overwritten
    db.session.commit()


def test_calendar_page_states_its_end_and_provisional_years(client, db, users):
    holidays.load_schedule()
    db.session.commit()
    login(client, "decider")
    html = client.get("/workspace/calendar?lang=en").get_data(as_text=True)
    end = html.split('id="calendar-end"', 1)[1].split("</p>", 1)[0]
    assert "2027-12-31" in end and "2027" in end.split("Provisional", 1)[1]


def test_decision_branch_is_warned_when_a_deadline_passes_the_calendar(client, db, users, make_trade):
    holidays.load_schedule()
    db.session.execute(sa.delete(CalendarDay).where(CalendarDay.day >= date(2027, 1, 1)))  # as before: 2026 only
    db.session.commit()
    late = make_trade(**tender_timeline(START.replace(year=2026, month=12, day=1), days=40))  # deadline in 2027
    inside = make_trade(**tender_timeline(START))
    for trade in (late, inside):
        trades.move(trade, "submit", users["staff"])
    db.session.commit()

    login(client, "decider")
    html = client.get("/workspace/?lang=en").get_data(as_text=True)
    section = html.split('id="awaiting-approval"', 1)[1].split("</section>", 1)[0]
    row_late = section.split(f'data-ref="{late.ref}"', 1)[1].split("</tr>", 1)[0]
    row_inside = section.split(f'data-ref="{inside.ref}"', 1)[1].split("</tr>", 1)[0]
    assert "calendar-warning" in row_late and "2026-12-31" in row_late and "calendar-warning" not in row_inside
    page = client.get(f"/workspace/trades/{late.id}?lang=en").get_data(as_text=True)
    assert 'id="calendar-warnings"' in page and "2026-12-31" in page
    headers = api_headers(client, "decider")
    body = client.get(f"/api/v1/trades/{late.id}", headers=headers).get_json()
    assert body["calendar_warnings"] and "2026-12-31" in body["calendar_warnings"][0]
    assert client.get(f"/api/v1/trades/{inside.id}", headers=headers).get_json()["calendar_warnings"] == []
    listed = client.get(f"/api/v1/trades/{late.id}/transitions", headers=headers).get_json()
    assert listed["calendar_warnings"] == body["calendar_warnings"]

    # with the shipped 2027 schedule the calendar covers the deadline, but 2027 is still provisional
    holidays.load_schedule()
    db.session.commit()
    body = client.get(f"/api/v1/trades/{late.id}", headers=headers).get_json()
    assert len(body["calendar_warnings"]) == 1 and "2027" in body["calendar_warnings"][0]
    assert "2026-12-31" not in body["calendar_warnings"][0]
