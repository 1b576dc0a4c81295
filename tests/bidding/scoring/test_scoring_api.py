"""The scoring API over real HTTP: the plan, each member scoring alone (every viewer kind, before and after each
submission), the results, the report signed by each member with their own key, the e-supervision fact and the
supervisors' sign-off subject, and the scores public only after the award."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from bidding.scoring.models import EvaluationReport
from tests.bidding.scoring.conftest import entries_by_bidder
from tests.bidding.scoring.test_sheets import PLAN, SHEETS, _scores
from tests.conftest import api_headers
from tests.signing_helpers import api_signed
from trading.extensions import db as _db
from trading.trades.flows import TradeState

#: viewer kinds besides the three members: who may call the read routes at all (200), who may not (403/401)
OUTSIDERS = ("anonymous", "public", "bidder", "bidder_b", "tenderer", "other_tenderer", "expert", "staff_proc")
BRANCHES = ("staff", "decider", "supervisor", "social")


class Callers:
    def __init__(self, client):
        self.client, self.cache = client, {}

    def headers(self, who: str) -> dict:
        if who == "anonymous":
            return {}
        if who not in self.cache:
            self.cache[who] = api_headers(self.client, who)
        return self.cache[who]

    def get(self, who: str, url: str):
        return self.client.get(url, headers=self.headers(who))

    def send(self, who: str, method: str, url: str, body=None):
        return self.client.open(url, method=method, json=body, headers=self.headers(who))


def _base(trade) -> str:
    return f"/api/v1/trades/{trade.id}/scoring"


def _seen(callers, who, trade) -> list[tuple[str, bool, int]]:
    """(member label, mine, number of scores) of each sheet the caller sees."""
    response = callers.get(who, f"{_base(trade)}/sheets")
    assert response.status_code == 200, (who, response.get_json())
    return [(s["member"], s["mine"], len(s["scores"])) for s in response.get_json()]


def _pdftotext(data: bytes, tmp_path) -> str:
    assert shutil.which("pdftotext"), "pdftotext missing: `make test` installs Debian's poppler-utils"
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout
    return "".join(text.split())


def test_scoring_from_plan_to_signed_report_over_http(db, client, evaluating, committee, tmp_path):
    trade, cast = evaluating, committee
    callers = Callers(client)
    base = _base(trade)

    # ---- the plan: executing staff only, errors name the field ----
    for who, status in (("anonymous", 401), ("e1", 403), ("supervisor", 403), ("tenderer", 403), ("bidder", 403)):
        assert callers.send(who, "PUT", f"{base}/plan", PLAN).status_code == status, who
    bad = callers.send("staff", "PUT", f"{base}/plan", {**PLAN, "price_weight": "50"})
    assert bad.status_code == 422 and bad.get_json()["field"] == "criteria"
    made = callers.send("staff", "PUT", f"{base}/plan", PLAN)
    assert made.status_code == 200, made.get_json()
    plan_json = made.get_json()
    assert plan_json["method"] == "comprehensive" and [c["max_points"] for c in plan_json["criteria"]] == ["40.00",
                                                                                                           "20.00"]

    # ---- who may read at all ----
    for who in OUTSIDERS:
        for tail in ("/plan", "/progress", "/sheets", "/results", "/report", "/report.pdf", "/adjustments"):
            status = callers.get(who, base + tail).status_code
            assert status == (401 if who == "anonymous" else 403), (who, tail, status)
        assert callers.get(who, f"{base}/sheet").status_code in (401, 403)
    for who in BRANCHES:
        assert callers.get(who, f"{base}/sheet").status_code == 403  # not a member: no sheet of their own

    # ---- each scores alone ----
    db.session.expire_all()
    from bidding.scoring.services import plan_of

    plan = plan_of(trade)
    entries = entries_by_bidder(trade, cast)
    draft = callers.send("e1", "PUT", f"{base}/sheet", {"scores": _scores(plan, entries, SHEETS["e1"])})
    assert draft.status_code == 200 and len(draft.get_json()["scores"]) == 6
    assert _seen(callers, "e1", trade) == [("E1", True, 6)]
    for who in ("e2", "e3", *BRANCHES):
        assert _seen(callers, who, trade) == [], who  # a draft is its author's alone
    incomplete = callers.send("e2", "POST", f"{base}/sheet/submit", {"scores": _scores(plan, entries, SHEETS["e2"])[:3]})
    assert incomplete.status_code == 422 and incomplete.get_json()["field"].startswith("score.")
    assert callers.send("e1", "POST", f"{base}/sheet/submit", {}).status_code == 200
    assert callers.send("e1", "PUT", f"{base}/sheet", {"scores": []}).status_code == 409  # locked
    assert _seen(callers, "e1", trade) == [("E1", True, 6)]  # nobody else has submitted
    assert callers.get("e1", f"{base}/results").status_code == 409
    # e2 submits: e1 (submitted) now sees e2's sheet under a member number; e3 (not submitted) sees none of theirs
    assert callers.send("e2", "POST", f"{base}/sheet/submit",
                        {"scores": _scores(plan, entries, SHEETS["e2"])}).status_code == 200
    seen_by_e1 = _seen(callers, "e1", trade)
    assert ("E1", True, 6) in seen_by_e1 and len(seen_by_e1) == 2
    other = next(label for label, mine, _n in seen_by_e1 if not mine)
    assert other != "E2"  # a fellow member's name stays secret until the result
    assert len(_seen(callers, "e2", trade)) == 2
    assert _seen(callers, "e3", trade) == []
    for who in BRANCHES:
        assert _seen(callers, who, trade) == [], who  # the branches wait for the last sheet
    progress = callers.get("staff", f"{base}/progress").get_json()
    assert (progress["members"], progress["submitted"], progress["complete"]) == (3, 2, False)
    assert {n["name"] for n in progress["names"]} == {"E1", "E2", "E3"}
    assert callers.get("e3", f"{base}/progress").get_json()["names"] == []  # a member sees counts, not names
    assert callers.send("staff", "POST", f"{base}/report").get_json()["code"] == "scoring_incomplete"

    assert callers.send("e3", "POST", f"{base}/sheet/submit",
                        {"scores": _scores(plan, entries, SHEETS["e3"])}).status_code == 200
    for who in BRANCHES:
        assert len(_seen(callers, who, trade)) == 3, who
    results = callers.get("supervisor", f"{base}/results").get_json()
    assert [(r["bidder"], r["total"]) for r in results["rows"]] == [
        ("bidder_c 建设有限公司", "89.60"), ("Bidder Construction Co.", "85.37"), ("bidder_b 建设有限公司", "82.00")]
    assert len(results["candidates"]) == 3

    # ---- the report, signed by each member with their own key ----
    assert callers.send("e1", "POST", f"{base}/report").status_code == 201
    report = callers.get("staff", f"{base}/report").get_json()
    assert report["waiting"] == 3 and report["completed_at"] is None
    assert [c["bidder"] for c in report["record"]["candidates"]][0] == "bidder_c 建设有限公司"
    statement_url = f"{base}/report/sign"
    for name, dissent in (("e1", None), ("e2", "对第二名排序有保留意见：施工组织设计评分偏高"), ("e3", None)):
        headers = callers.headers(name)
        signed = api_signed(client, headers, "evaluation-report", trade_id=trade.id, dissent=dissent)
        assert signed, name
        if name == "e2":  # a statement signed without the dissent it claims is refused
            forged = client.post(statement_url, json={**signed, "dissent": "其他意见"}, headers=headers)
            assert forged.status_code == 422 and forged.get_json()["field"] == "statement"
        response = client.post(statement_url, json={**signed, "dissent": dissent}, headers=headers)
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["report_sha256"] == report["sha256"]
    again = api_signed(client, callers.headers("e1"), "evaluation-report", trade_id=trade.id)
    assert client.post(statement_url, json=again, headers=callers.headers("e1")).status_code == 409
    db.session.expire_all()
    row = _db.session.scalar(_db.select(EvaluationReport).where(EvaluationReport.trade_id == trade.id))
    assert row.completed_at is not None and row.sha256 == report["sha256"]

    from monitor.cards.esupervision import FACTS
    from monitor.supervisors import signoffs
    from monitor.supervisors.models import SignOffStage

    assert FACTS["evaluation_report"](trade) == [row.completed_at]
    assert signoffs.subject_for(trade, SignOffStage.EVALUATION_REPORT).as_json() == {
        "kind": "evaluation_report", "sha256": row.sha256, "index": None}

    pdf = callers.get("decider", f"{base}/report.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = _pdftotext(pdf.data, tmp_path)
    for words in ("评标报告", "技术方案", "施工组织设计评分偏高", "89.60", "bidder_c建设有限公司", "E2", row.sha256[:32]):
        assert words in text, words

    # ---- after the award: anyone reads the scores, with the members' names ----
    trade.state = TradeState.AWARDED  # the award's own flow is issue 10 item 6
    db.session.commit()
    for who in ("anonymous", "public", "bidder_b"):
        sheets = callers.get(who, f"{base}/sheets")
        assert sheets.status_code == 200 and {s["member"] for s in sheets.get_json()} == {"E1", "E2", "E3"}, who
        assert callers.get(who, f"{base}/report").status_code == 200


def test_only_sitting_members_score_and_sign(db, client, evaluating, committee):
    callers = Callers(client)
    base = _base(evaluating)
    assert callers.send("staff", "PUT", f"{base}/plan", PLAN).status_code == 200
    for who in ("staff", "supervisor", "expert", "bidder", "tenderer"):
        assert callers.send(who, "PUT", f"{base}/sheet", {"scores": []}).status_code == 403, who
        assert callers.send(who, "POST", f"{base}/report/sign",
                            {"statement": "x", "signature": "y"}).status_code == 403, who
    assert callers.send("anonymous", "POST", f"{base}/sheet/submit", {}).status_code == 401
    # no report yet: a member's statement is refused with a clear code
    refused = client.post("/api/v1/signing/statements", json={"kind": "evaluation-report", "trade_id": evaluating.id},
                          headers=callers.headers("e1"))
    assert refused.status_code in (409, 422)
