"""Each role lands on its work: every demo account signs in over HTTP and reads its landing page."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.conftest import write_key
from trading import create_app
from trading.accounts.models import User
from trading.accounts.roles import Role
from trading.config import TestConfig
from bidding.keyholders.models import Keyholder
from bidding.panels import KEYHOLDER_STAGES
from trading.demo import DEMO_PASSWORD, DEMO_USERS, load_demo
from trading.extensions import db
from trading.trades.flows import TradeState
from trading.trades.models import Trade

#: where a holder of each role lands (the first of their roles in this order decides)
LANDING = [(Role.ADMIN_SUPERVISOR, "/monitor/"), (Role.SOCIAL_SUPERVISOR, "/monitor/supervisors/me"),
           (Role.EXPERT, "/bidding/experts/assignments"), (Role.PUBLIC, "/")]


@pytest.fixture
def demo_app(tmp_path, clock):
    config = type("DemoConfig", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'demo.sqlite'}",
        "BLOB_DIR": str(tmp_path / "blobs"), "WTF_CSRF_ENABLED": False,
        "RECEIPT_SIGNING_KEY_FILE": str(write_key(tmp_path / "receipt-key.pem")),
        "AUDIT_SIGNING_KEY_FILE": str(write_key(tmp_path / "audit-key.pem")),
    })
    app = create_app(config)
    with app.app_context():
        db.create_all()
        load_demo()
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _expected(roles: set[Role]) -> str:
    for role, path in LANDING:
        if role in roles:
            return path
    return "/workspace/"


def _sign_in(client, username: str):
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return response.headers["Location"]


@pytest.mark.parametrize("username", [u[0] for u in DEMO_USERS])
def test_every_demo_account_lands_on_a_page_it_can_use(demo_app, username):
    client = demo_app.test_client()
    with demo_app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        roles = {g.role for g in user.grants}
        submitted = [t.ref for t in db.session.scalars(sa.select(Trade).where(
            Trade.state == TradeState.SUBMITTED, Trade.centre_id.in_(user.centres_for(Role.DECISION_MAKER))))]
        own = [t.ref for t in db.session.scalars(sa.select(Trade).where(Trade.tenderer_id == user.organisation_id))] \
            if Role.TENDERER in roles else []
        holds = [t.ref for t in db.session.scalars(sa.select(Trade).join(Keyholder, Keyholder.trade_id == Trade.id)
                                                   .where(Keyholder.user_id == user.id,
                                                          Trade.state.in_(KEYHOLDER_STAGES)))]
    with demo_app.test_request_context("/"):
        labels = {role: str(role.label) for role in roles}  # in the platform's first language
    location = _sign_in(client, username)
    assert location == _expected(roles)
    page = client.get(location)
    assert page.status_code == 200, (username, location, page.status_code)
    html = page.get_data(as_text=True)
    # each role chip once ("决策人员 决策人员 ..." was a grant per centre)
    chips = re.findall(r'<span class="badge role" data-role="([a-z_]+)"', html)
    assert len(chips) == len(set(chips))
    if location == "/workspace/":
        for role, label in labels.items():
            assert html.count(f">{label}</span>") == 1, (role, label)
    if Role.ADMIN_SUPERVISOR in roles:
        assert 'id="dashboard"' in html
        # every count has its own right-aligned heading: one numeric heading per numeric cell of a row
        stages = html.split('id="panel-stages"', 1)[1].split("</table>", 1)[0]
        heads = stages.split("</thead>", 1)[0].count('class="n')
        first_row = stages.split("<tbody>", 1)[1].split("</tr>", 1)[0]
        assert heads and heads == first_row.count('class="n')
    if Role.DECISION_MAKER in roles:
        section = html.split('id="awaiting-approval"', 1)[1].split("</section>", 1)[0]
        assert submitted, "the demo has a trade awaiting approval"
        for ref in submitted:
            assert f'data-ref="{ref}"' in section
    if Role.BIDDER in roles:
        assert 'id="my-bids"' in html and "暂无交易" not in html and "No trades yet" not in html
    if holds:  # a keyholder of an opening still to come sees it on their landing page
        duties = html.split('id="keyholder-duties"', 1)[1].split("</section>", 1)[0]
        for ref in holds:
            assert f'data-trade="{ref}"' in duties
    else:
        assert 'id="keyholder-duties"' not in html
    for ref in own:
        assert ref in html
    if Role.PUBLIC in roles:
        assert "/workspace/" not in html.split("<main", 1)[1]  # nothing on the page leads to a refusal


def test_a_page_asked_for_still_wins(demo_app):
    client = demo_app.test_client()
    response = client.post("/login?next=/centres", data={"username": "supervisor", "password": DEMO_PASSWORD})
    assert response.headers["Location"] == "/centres"
