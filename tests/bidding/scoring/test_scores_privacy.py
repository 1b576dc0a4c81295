"""The scores and the members' names stay secret until the result is published (Law 37, 44; Reg 46): with every
sheet submitted, a far-off score explained and the report made and signed, every viewer kind walks every GET
route of the app (pages, /api/v1 JSON, PDFs; the route list read from `app.url_map`, as
tests/bidding/test_bidder_privacy.py walks it). No outsider reads a member's name or a reason; the branches
of the trade's centre do (so the walk does reach them); after the award anyone does."""
from __future__ import annotations

import pytest

from bidding.scoring import report as reports, services as scoring
from tests.bidding.scoring.conftest import EXPERTS, entries_by_bidder
from tests.bidding.scoring.test_sheets import PLAN, SHEETS, _scores
from tests.bidding.test_bidder_privacy import Viewer, _count, routes
from tests.signing_helpers import signed
from trading.trades.flows import TradeState

NAMES = {"e1": "甲评委QZ1", "e2": "乙评委QZ2", "e3": "丙评委QZ3"}
REASON = "偏离理由QZ9"
OUTSIDERS = ("anonymous", "public", "bidder", "bidder_b", "tenderer", "other_tenderer", "expert", "staff_proc")
INSIDERS = ("staff", "decider", "supervisor", "social")
#: routes that show a member's name without saying they sit on this committee, with why (the reasons and the
#: scores are looked for there too)
NAMES_ELSEWHERE = {
    "/api/v1/signing/keys": "the published signing keys name their holders (the offline verifier needs them); "
                            "they say nobody sits on which committee",
    "/signing/keys": "the same, as a page",
    "/bidding/experts": "the expert pool (executing staff of any centre keep it): every expert, drawn or not",
}


@pytest.fixture
def app(make_app):
    return make_app(LIVE_MAX_SECONDS=0)


@pytest.fixture
def scored(db, evaluating, committee):
    trade = evaluating
    for name in EXPERTS:
        committee[name].display_name = NAMES[name]
    plan = scoring.set_plan(committee["staff"], trade, PLAN)
    entries = entries_by_bidder(trade, committee)
    for name in ("e1", "e2"):
        scoring.submit_sheet(committee[name], trade, _scores(plan, entries, SHEETS[name]))
    far = {**SHEETS["e3"], "bidder_c": (10, 16)}
    scoring.submit_sheet(committee["e3"], trade, _scores(plan, entries, far, {"bidder_c": REASON}))
    reports.make_report(committee["e1"], trade)
    reports.sign_report(committee["e1"], trade, None, **signed(committee["e1"], "evaluation-report",
                                                               trade_id=trade.id))
    db.session.commit()
    return trade


def _walk(app, urls, names, markers) -> dict:
    seen = {}
    for name in names:
        viewer = Viewer(app, name)
        for _endpoint, url in urls:
            _status, text = viewer.read(url)
            seen[(name, url)] = _count(text, markers)
    return seen


def test_scores_and_names_are_secret_until_the_result(app, db, scored):
    trade = scored
    markers = [*NAMES.values(), REASON]
    urls, _unfilled = routes(app, {"trade_id": trade.id, "ref": trade.ref, "centre_id": trade.centre_id})
    assert any("/scoring" in url for _e, url in urls)
    seen = _walk(app, urls, (*OUTSIDERS, *INSIDERS), markers)
    reasons = _walk(app, [(e, u) for e, u in urls if u in NAMES_ELSEWHERE], OUTSIDERS, [REASON])
    leaks = sorted(f"{who} {url}" for (who, url), n in seen.items()
                   if who in OUTSIDERS and n and url not in NAMES_ELSEWHERE)
    leaks += sorted(f"{who} {url}" for (who, url), n in reasons.items() if n)
    assert leaks == [], "\n".join(leaks)
    shown = {url for (who, url), n in seen.items() if who in INSIDERS and n}
    assert any(url.endswith("/scoring/report.pdf") for url in shown)  # the walk does see them
    assert any(url.endswith("/scoring/sheets") for url in shown)

    trade.state = TradeState.AWARDED  # the result is published (the award's own flow is issue 10 item 6)
    db.session.commit()
    after = _walk(app, [(e, u) for e, u in urls if "/scoring" in u], ("public", "bidder_b"), markers)
    assert all(after[(who, f"/api/v1/trades/{trade.id}/scoring/sheets")] for who in ("public", "bidder_b"))
