"""The demo's challenge: filed by a supplier that obtained the documents, awaiting the purchaser's answer."""
from __future__ import annotations

import sqlalchemy as sa

from procurement.challenges.models import Filing, FilingKind
from tests.conftest import login


def test_the_demo_has_a_challenge_awaiting_its_answer(db, client, app):
    from trading.demo import DEMO_PASSWORD, load_demo

    load_demo()
    challenge = db.session.scalar(sa.select(Filing).where(Filing.kind == FilingKind.CHALLENGE))
    assert challenge is not None and not challenge.answered and challenge.organisation.name == "博联信息科技有限公司"
    login(client, "purchaser", DEMO_PASSWORD)
    page = client.get(f"/procurement/trades/{challenge.trade_id}/challenges").get_data(as_text=True)
    assert challenge.ref in page and f'data-form="answer-{challenge.id}"' in page
    assert "博联信息科技有限公司" in page  # the purchaser may know who challenged
    anyone = client.application.test_client()
    portal = anyone.get(f"/trades/{challenge.trade.ref}").get_data(as_text=True)
    assert f"/procurement/trades/{challenge.trade_id}/challenges" in portal  # the trade's public page links it
    public = anyone.get(f"/procurement/trades/{challenge.trade_id}/challenges")
    assert "博联信息科技有限公司" not in public.get_data(as_text=True) and challenge.ref not in public.get_data(as_text=True)
