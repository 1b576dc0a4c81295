"""The negotiation pages read in one language, zh-CN or English (tests/bidding/test_both_languages.py's check),
with a round, a change, a message and a call on them; typed texts (titles, names, messages) stay as typed."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bidding.scoring import services as scoring  # noqa: F401  (the scoring package's models are registered)
from procurement.negotiation import services
from tests.bidding.test_both_languages import _typed, offences, visible
from tests.conftest import login
from tests.procurement.negotiation.conftest import org
from trading.clock import now

MESSAGE, CHANGE = "请确认质保期", "质保期延长至五年"


@pytest.fixture
def busy(db, cast, negotiating):
    services.start(cast["staff_proc"], negotiating)
    services.send_message(cast["e1"], negotiating, MESSAGE, org(cast, "sup_a"))
    services.change_requirements(cast["e1"], negotiating, "service", CHANGE)
    services.set_aside(cast["e1"], negotiating, org(cast, "sup_c"), "不满足")
    db.session.commit()
    return negotiating


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
@pytest.mark.parametrize("who,page", [("e1", ""), ("staff_proc", ""), ("supervisor_proc", ""), ("sup_a", "/mine"),
                                      ("sup_c", "/mine")])
def test_negotiation_pages_read_in_one_language(app, db, cast, busy, lang, who, page):
    typed = _typed(db) + [MESSAGE, CHANGE, "不满足"]
    client = app.test_client()
    login(client, who)
    client.get(f"/lang/{lang}")
    response = client.get(f"/procurement/trades/{busy.id}/negotiation{page}")
    assert response.status_code == 200
    bad = offences(visible(response.get_data(as_text=True), "text/html"), lang, typed)
    assert bad is None, bad


def test_the_call_reads_in_english(app, db, cast, negotiating):
    busy = negotiating
    services.start(cast["staff_proc"], busy)
    services.call_final_quotes(cast["e1"], busy, now() + timedelta(hours=2))
    db.session.commit()
    client = app.test_client()
    login(client, "sup_b")
    client.get("/lang/en")
    text = client.get(f"/procurement/trades/{busy.id}/negotiation/mine").get_data(as_text=True)
    assert "Seal and submit the final quote" in text and "Due by" in text
