"""Issue 10's journey in real headless Chromium, each person in a browser context of their own, from the opening
to the contract: a sealed works tender with three bids, five experts drawn from the pool by the real draw (each
confirms their seat on their assignments page), a social supervisor drawn at publication.

  1. the experts confirm their seats; the ceremony opens the three sealed bids (staff start, the three
     keyholders release their shares, staff open);
  2. the drawn supervisor makes a signing key in their browser and signs off the opening record;
  3. staff start the evaluation and record the scoring plan;
  4. each expert marks every bid on every criterion in the evaluation room; one closes the review;
  5. each expert scores on their own sheet and submits it; the report is made; each expert makes a key in
     their browser and signs the report with it;
  6. the supervisor signs off the report (publishing the candidates is refused before); staff publish them;
  7. the award is refused while the publicity runs; the clock passes its end; staff award rank 1;
  8. the winner reads their award notice (PDF) on the candidates page, a loser their result notice;
  9. staff report the award, the supervisor signs off the award, staff record the contract (amount,
     performance bond, the signed document): the trade is contracted.

The clock is the frozen, movable clock of tests/conftest.py: the test moves it, nobody sleeps.
"""
from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from bidding.crypto.envelope_check import content_digest
from bidding.experts import pool as experts_pool, services as experts
from bidding.keyholders import client as holder_side, services as keyholders
from bidding.submission import services as submission
from tests.conftest import PASSWORD, START, tender_timeline
from tests.e2e.conftest import shot
from tests.e2e.test_ceremony_page import PASSPHRASES, _seal, _watch_errors
from tests.e2e.test_tour import snap
from tests.monitor.supervisors.supervisor_helpers import pdftotext
from trading.accounts.models import OrgKind
from trading.accounts.roles import Role
from trading.accounts.services import create_organisation, create_user
from trading.accounts.uscc import make_uscc
from trading.centres.models import Centre
from trading.clock import local_tz
from trading.extensions import db
from trading.trades import services as trades
from trading.trades.flows import TradeState
from trading.trades.models import Trade

pytestmark = pytest.mark.e2e

TITLE = "江滨路排涝泵站改造工程施工招标"
#: bidder username -> (company, price)
BIDDERS = {"bidder": ("滨江建工有限公司", "4815000.00"), "bidder_b": ("钱塘路桥集团", "4700000.50"),
           "bidder_c": ("西湖市政工程有限公司", "4999999.99")}
EXPERTS = {"ex1": "钱学明", "ex2": "孙立平", "ex3": "周文斌", "ex4": "吴海燕", "ex5": "郑国强"}
#: the plan the tender documents announced: comprehensive scoring, price 40 points, two criteria
CRITERIA = (("技术方案", "40"), ("施工组织设计", "20"))
#: (technical, organisation) each expert gives each bidder: close together, so no score needs a reason
SHEETS = {
    "ex1": {"bidder": (30, 15), "bidder_b": (28, 14), "bidder_c": (35, 18)},
    "ex2": {"bidder": (32, 16), "bidder_b": (27, 15), "bidder_c": (34, 17)},
    "ex3": {"bidder": (31, 15), "bidder_b": (29, 13), "bidder_c": (36, 16)},
    "ex4": {"bidder": (30, 16), "bidder_b": (28, 14), "bidder_c": (35, 17)},
    "ex5": {"bidder": (31, 14), "bidder_b": (28, 15), "bidder_c": (34, 18)},
}
STEP = timedelta(minutes=2)  # a person's pace between two steps


def run_supervisor_draw(trade: Trade, clock) -> None:
    """The supervisors' round fixed at publication, drawn as the tick draws it once its commitment window
    closed (nobody committed a contribution)."""
    from monitor.supervisors import draws, rounds

    row = draws.pending(trade)
    assert row is not None, "publication fixed no supervisor round"
    clock.freeze(max(clock.now(), row.commit_until) + timedelta(seconds=1))
    rounds.run_due()
    db.session.commit()


def run_expert_draw(trade: Trade, clock) -> None:
    """The experts' rounds, drawn by the real tick once each commitment window closed."""
    from bidding.experts.models import PURPOSE
    from monitor.ticks import run_ticks
    from trading.draws import services as draws

    while (row := draws.pending(PURPOSE, trade)) is not None:
        clock.freeze(max(clock.now(), row.commit_until) + timedelta(seconds=1))
        run_ticks()
        db.session.commit()
        db.session.expire_all()


@pytest.fixture
def journey(live_app, clock):
    """A published sealed works tender: keyholders enrolled, a social supervisor drawn at publication, five
    experts drawn from the pool (notified, not yet confirmed), three sealed bids in; the clock past the opening."""
    from monitor.supervisors import registry as supervisors

    with live_app.app_context():
        works = db.session.scalar(sa.select(Centre).where(Centre.code == "WORKS"))
        tenderer = create_organisation("城市排水有限公司", OrgKind.TENDERER, make_uscc("91330100MA2J00001"))
        people = {
            "staff": create_user("staff", PASSWORD, "李执行", None, [(Role.CENTRE_STAFF, works.id)]),
            "staff2": create_user("staff2", PASSWORD, "赵执行", None, [(Role.CENTRE_STAFF, works.id)]),
            "supervisor": create_user("supervisor", PASSWORD, "周监督", None, [(Role.ADMIN_SUPERVISOR, works.id)]),
        }
        decider = create_user("decider", PASSWORD, "王决策", None, [(Role.DECISION_MAKER, works.id)])
        social = create_user("social", PASSWORD, "王立新", None, [(Role.SOCIAL_SUPERVISOR, works.id)])
        bidders = {}
        for n, (username, (company, _price)) in enumerate(BIDDERS.items(), start=2):
            org = create_organisation(company, OrgKind.BIDDER, make_uscc(f"91330100MA2J0000{n}"))
            bidders[username] = create_user(username, PASSWORD, f"{company}投标员", org, [(Role.BIDDER, None)])
        for username, name in EXPERTS.items():
            user = create_user(username, PASSWORD, name, None, [(Role.EXPERT, None)])
            db.session.flush()
            experts_pool.register_expert(people["staff"], {"user_id": user.id, "employer": f"{name}设计院",
                                                           "region": "杭州市", "specialties": ["A01"],
                                                           "title": "高级工程师"})
        db.session.flush()
        supervisors.register_supervisor(decider, {
            "user_id": social.id, "centre_id": works.id, "recommended_by": "市总工会", "agreement_ref": "PY-social",
            "agreement_date": START.date(), "agreement_text": "聘任协议正文",
            "rights_duties": "监督开标评标，发现问题及时报告；遇利害关系主动回避。"})
        for name, user in people.items():  # made on the keyholders' side, as their browsers do
            made = holder_side.enrol(PASSPHRASES[name], live_app.config["PERSONAL_KEY_ITERATIONS"])
            keyholders.enrol_personal_key(user, made.public_key, made.wrapped_key)
        trade = trades.create_trade(people["staff"], {
            "centre_id": works.id, "method": "works_open_tender", "tenderer_id": tenderer.id, "title": TITLE,
            "description": "泵站排涝能力由每秒12立方米提至每秒20立方米。", "estimated_price": Decimal("5000000.00"),
            **tender_timeline(START)})
        keyholders.publish_sealed_tender(trade, clerk=people["staff"], decider=decider,
                                         executing=[people["staff"], people["staff2"]],
                                         supervising=[people["supervisor"]])
        db.session.commit()
        run_supervisor_draw(trade, clock)
        experts.set_plan(people["staff"], trade, {"lines": [{"specialty": "A01", "count": 5}], "representatives": 0})
        experts.draw(people["staff"], trade)
        db.session.commit()
        run_expert_draw(trade, clock)
        for username, (_company, price) in BIDDERS.items():
            user = bidders[username]
            data = _seal(trade, user.organisation.credit_code, price)
            submission.submit_bid(user, trade, io.BytesIO(data), content_digest(data))
        db.session.commit()
        assert trade.state is TradeState.BIDDING
        clock.freeze(trade.opening_at + timedelta(minutes=1))
        return {"id": trade.id, "ref": trade.ref}


def sign_in(page, base: str, username: str, target: str) -> None:
    page.goto(f"{base}/login?next={target}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    with page.expect_navigation(timeout=30_000):
        page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}{target}")


def post(page, selector: str) -> None:
    """Click a form's button and wait for the page the form leads to (not the old one's flash)."""
    with page.expect_navigation(timeout=60_000):
        page.click(selector)
    page.wait_for_load_state()


def make_key(page, base: str) -> str:
    """The person makes their signing key in this browser (WebCrypto): only its public half is published."""
    page.goto(base + "/signing/keys")
    page.click("#make-key")
    page.wait_for_selector("#browser-fp")
    fingerprint = page.inner_text("#browser-fp")
    assert page.inner_text("#published-fp") == fingerprint
    return fingerprint


def state(app, trade_id: int) -> TradeState:
    with app.app_context():
        return db.session.get(Trade, trade_id).state


def test_from_the_opening_to_the_contract(live_app, journey, new_page, clock, tmp_path):
    from playwright.sync_api import expect

    base, trade_id, problems = live_app.base_url, journey["id"], []
    ceremony = f"/bidding/trades/{trade_id}/ceremony"
    room = f"/bidding/trades/{trade_id}/evaluation"
    scoring = f"/bidding/trades/{trade_id}/scoring"
    supervision = f"/monitor/trades/{trade_id}/supervision"
    workspace = f"/workspace/trades/{trade_id}"

    def person(username: str, target: str):
        page = new_page()
        _watch_errors(page, problems)
        sign_in(page, base, username, target)
        return page

    # 1. The five drawn experts confirm their seats, each in their own browser.
    ex = {}
    for username in EXPERTS:
        ex[username] = page = person(username, "/bidding/experts/assignments")
        expect(page.locator("#assignments")).to_contain_text(journey["ref"])
        post(page, "#assignments button[value=confirm]")
        page.wait_for_selector(".flash.success")
        assert page.locator("#assignments button[value=confirm]").count() == 0

    # 2. The opening ceremony: staff start, each keyholder releases their share in their own browser, staff open.
    clock.advance(STEP)
    staff = person("staff", ceremony)
    post(staff, "#start-button")
    staff.wait_for_selector(".flash.success")
    holders = {"staff": staff, "staff2": person("staff2", ceremony), "supervisor": person("supervisor", ceremony)}
    for who, page in holders.items():
        page.fill("#passphrase", PASSPHRASES[who])
        post(page, "#release-button")
        page.wait_for_selector(".flash.success")
    clock.advance(STEP)
    staff.click("#complete-button")
    staff.wait_for_selector("#c-entries:not([hidden])", timeout=30_000)
    assert staff.locator("#c-entries tbody tr[data-status=opened]").count() == len(BIDDERS)
    assert state(live_app, trade_id) is TradeState.OPENED

    # 3. The drawn social supervisor makes a key in their browser and signs off the opening record.
    clock.advance(STEP)
    social = person("social", "/signing/keys")
    make_key(social, base)
    social.goto(base + supervision)
    social.wait_for_selector("#signoff-opening_record")
    post(social, "#signoff-opening_record button[type=submit]")
    social.wait_for_selector(".flash.success")
    expect(social.locator("#stage-opening_record")).to_contain_text("王立新")

    # 4. Staff start the evaluation and record the scoring plan the tender documents announced.
    clock.advance(STEP)
    staff.goto(base + workspace)
    post(staff, "button[data-move=start_evaluation]")
    assert state(live_app, trade_id) is TradeState.EVALUATING
    staff.goto(base + scoring)
    staff.select_option("#method", value="comprehensive")
    staff.select_option("#subject", value="works")
    staff.fill("#price_weight", "40")
    staff.fill("#criteria", "\n".join(f"{name} | {points}" for name, points in CRITERIA))
    post(staff, "#plan-form button[type=submit]")
    expect(staff.locator("#plan")).to_contain_text(CRITERIA[0][0])

    # 5. Each expert marks every bid on every criterion in the evaluation room; ex5 alone fails 钱塘's first
    #    criterion, with its reason: the bid passes by majority, the fail kept as dissent. ex1 closes the review.
    dissent = "投标保证金回单未加盖银行印章"
    for username, page in ex.items():
        clock.advance(STEP)
        page.goto(base + room)
        assert page.locator("form.marks-form").count() == len(BIDDERS)
        for who, (company, _price) in BIDDERS.items():
            form = page.locator("section.card", has_text=company).locator("form.marks-form")
            radios = form.locator("input[type=radio][value='1']")
            criteria = radios.count()
            for radio in radios.all():
                radio.check()
            if username == "ex5" and who == "bidder_b":
                form.locator("fieldset").first.locator("input[type=radio][value='0']").check()
                form.locator("fieldset").first.locator("input[name^=reason-]").fill(dissent)
            with page.expect_navigation(timeout=30_000):
                form.locator("button[type=submit]").click()
            page.wait_for_selector(".flash.success")
    first = ex["ex1"]
    first.goto(base + room)
    expect(first.locator("#conclusions tbody tr")).to_have_count(len(BIDDERS))
    # every criterion of every bid concluded passed, and each bid's result cell too
    assert first.locator("#conclusions td.result-passed").count() == len(BIDDERS) * (criteria + 1)
    b_card = first.locator("section.card", has_text=BIDDERS["bidder_b"][0])
    expect(b_card.locator("fieldset").first).to_contain_text(dissent)  # the minority kept (Reg 53)
    shot(first, "journey-evaluation-room")
    post(first, "#close-form button[type=submit]")
    first.wait_for_selector("#review-closed")

    # 6. Each expert scores on their own sheet and submits it; before submitting they see no other member's sheet.
    for username, page in ex.items():
        clock.advance(STEP)
        page.goto(base + scoring)
        assert page.locator(".sheet-table").count() == 0, username
        for who, points in SHEETS[username].items():
            inputs = page.locator("fieldset.bid-card", has_text=BIDDERS[who][0]).locator("input[name$='.points']")
            assert inputs.count() == len(CRITERIA)
            for n, value in enumerate(points):
                inputs.nth(n).fill(str(value))
        post(page, "#submit-sheet")
        page.wait_for_selector("#sheet-locked")
    # By hand (O87 55: lowest valid price / price x 40, plus the members' mean): 钱塘 40 + 28.0 + 14.2 = 82.20;
    # 滨江 40 x 4700000.50 / 4815000.00 = 39.04 + 30.8 + 15.2 = 85.04; 西湖 40 x 4700000.50 / 4999999.99 = 37.60
    # + 34.8 + 17.2 = 89.60: 西湖, 滨江, 钱塘.
    first.goto(base + scoring)
    rows = first.locator("#results tbody tr")
    expect(rows).to_have_count(len(BIDDERS))
    for n, who in enumerate(("bidder_c", "bidder", "bidder_b")):
        assert BIDDERS[who][0] in rows.nth(n).inner_text(), (n, rows.nth(n).inner_text())
    expect(rows.nth(0)).to_contain_text("89.6")

    # 7. The report is made; each expert makes their key in their own browser and signs the report with it.
    post(first, "#report-form button[type=submit]")
    first.wait_for_selector("#report-pdf")
    pdf = first.get_attribute("#report-pdf", "href")  # followed with the member's session, as a click would
    response = first.request.get(base + pdf)
    assert response.status == 200, response.status
    text = pdftotext(response.body(), tmp_path, "report.pdf")
    assert CRITERIA[0][0] in text and BIDDERS["bidder_c"][0] in text, text[:400]
    keys = {}
    for username, page in ex.items():
        clock.advance(STEP)
        keys[username] = make_key(page, base)
        page.goto(base + scoring)
        page.wait_for_selector("#sign-form")
        if username == "ex5":
            page.fill("#dissent", "施工组织设计评分标准过粗，建议下次细化。")
        post(page, "#sign-button")
        page.wait_for_selector(".flash.success")
    first.goto(base + scoring)
    expect(first.locator("#report-signatures li")).to_have_count(len(EXPERTS))
    snap(first, "tour-evaluation-report")  # the README tour's screenshot (TOUR_SHOTS_DIR)
    with live_app.app_context():
        from bidding.scoring.models import EvaluationReport, ReportSignature
        from trading.signing import statements as st
        from trading.signing.models import SigningKey

        report = db.session.scalar(sa.select(EvaluationReport).where(EvaluationReport.trade_id == trade_id))
        rows = db.session.scalars(sa.select(ReportSignature).where(ReportSignature.report_id == report.id)).all()
        assert len(rows) == len(EXPERTS)
        for row in rows:  # each signature is its expert's own, made in their browser
            key = db.session.scalar(sa.select(SigningKey).where(SigningKey.fingerprint == row.key_fingerprint))
            assert key.user_id == row.user_id and row.key_fingerprint in keys.values()
            assert st.verify(bytes(key.public_key), row.statement.encode(), bytes(row.signature))

    # 8. Until the supervisor signs off the report, publishing the candidates is refused; then they sign off.
    clock.advance(STEP)
    staff.goto(base + workspace)
    post(staff, "button[data-move=publicize]")
    expect(staff.locator(".flash.error")).to_be_visible()
    assert state(live_app, trade_id) is TradeState.EVALUATING
    refused = [p for p in problems if "409" in p]  # the refused move answers 409 (the browser logs it)
    assert len(refused) == 1, problems
    problems.remove(refused[0])
    social.goto(base + supervision)
    social.wait_for_selector("#signoff-evaluation_report")
    post(social, "#signoff-evaluation_report button[type=submit]")
    social.wait_for_selector(".flash.success")
    expect(social.locator("#stage-evaluation_report")).to_contain_text("王立新")

    # 9. Staff publish the candidates.
    clock.advance(STEP)
    staff.goto(base + workspace)
    post(staff, "button[data-move=publicize]")
    assert state(live_app, trade_id) is TradeState.PUBLICITY

    # 10. The winner-to-be reads the published candidates on the public page; the award is refused while the
    #     publicity runs.
    with live_app.app_context():
        from bidding.award.services import current_list

        ends = current_list(db.session.get(Trade, trade_id)).publicity_ends
    public = f"/bidding/trades/{trade_id}/candidates"
    winner = person("bidder_c", public)
    rows = winner.locator("#award-candidates tbody tr")
    expect(rows.first).to_contain_text(BIDDERS["bidder_c"][0])
    award = f"/bidding/trades/{trade_id}/award"
    staff.goto(base + award)
    with staff.expect_navigation(timeout=30_000):
        staff.click("#award-form button[type=submit]")
    assert state(live_app, trade_id) is TradeState.PUBLICITY
    refused = [p for p in problems if "409" in p]  # the refused award answers 409 (the browser logs it)
    assert len(refused) == 1, problems
    problems.remove(refused[0])

    # 11. The publicity period passes (the clock is moved past its end); staff award rank 1.
    clock.freeze(ends + timedelta(minutes=1))
    staff.goto(base + award)
    post(staff, "#award-form button[type=submit]")
    staff.wait_for_selector(".flash.success")
    expect(staff.locator("#award-winner")).to_contain_text(BIDDERS["bidder_c"][0])
    assert state(live_app, trade_id) is TradeState.AWARDED

    # 12. The award notice is the winner's to read: a PDF from their page, with their session.
    winner.goto(base + public)
    letter = winner.locator("#my-letters a")
    expect(letter).to_have_count(1)
    response = winner.request.get(base + letter.get_attribute("href"))
    assert response.status == 200
    text = pdftotext(response.body(), tmp_path, "award-notice.pdf")
    assert "中标通知书" in text and BIDDERS["bidder_c"][0] in text, text[:400]
    snap(winner, "tour-award-notice")
    loser = person("bidder_b", public)
    expect(loser.locator("#my-letters a")).to_have_count(1)  # their result notice, not the award notice
    assert loser.locator("#my-letters a").get_attribute("href") != letter.get_attribute("href")

    # 13. The staff report the award to the supervising department; the supervisor signs off the award.
    clock.advance(STEP)
    staff.goto(base + award)
    staff.fill("#report-text", "确定西湖市政工程有限公司为中标人，中标价4999999.99元。")
    post(staff, "form:has(#report-text) button[type=submit]")
    staff.wait_for_selector("#award-report")
    social.goto(base + supervision)
    social.wait_for_selector("#signoff-award")
    post(social, "#signoff-award button[type=submit]")
    social.wait_for_selector(".flash.success")

    # 14. The contract is recorded with its amount, performance bond (<= 10%) and the signed document.
    clock.advance(STEP)
    staff.goto(base + award)
    staff.fill("#performance_bond", "499999.99")
    staff.fill("#signed_on", clock.now().astimezone(local_tz()).strftime("%Y-%m-%dT%H:%M"))
    staff.set_input_files("#document", files=[{"name": "contract.pdf", "mimeType": "application/pdf",
                                                "buffer": b"%PDF-1.4\n% signed contract\n%%EOF\n"}])
    post(staff, "#contract-form button[type=submit]")
    staff.wait_for_selector(".flash.success")
    expect(staff.locator("#award-contract")).to_contain_text(BIDDERS["bidder_c"][0])
    assert state(live_app, trade_id) is TradeState.CONTRACTED
    assert not problems, problems  # no script error, no CSP violation (inline styles included)
