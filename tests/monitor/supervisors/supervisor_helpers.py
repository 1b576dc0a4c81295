"""Shared pieces of the social supervisor tests: a registry at the WORKS centre (and one at PROC),
walking a trade to a stage, reading audit entries, pdftotext."""
from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from monitor.supervisors import registry as supervisors
from monitor.audit.models import AuditEntry
from trading.accounts.roles import Role
from trading.trades import services as trades
from trading.trades.flows import TradeState as S
from tests.signing_helpers import sign_off

WORKS_SOCIAL = ("social", "social2", "social3", "social4")
#: display names that are not substrings of each other (messages name people)
NAMES = {"social": "王立新", "social2": "李红梅", "social3": "张建国", "social4": "赵晓燕", "social_proc": "刘志强"}


def register(db, decider, user, centre, **overrides):
    data = {"user_id": user.id, "centre_id": centre.id, "recommended_by": "市总工会",
            "agreement_ref": f"PY-{user.username}", "agreement_date": date(2026, 3, 1),
            "agreement_text": "聘任协议正文", "rights_duties": "监督开标评标，发现问题及时报告；遇利害关系主动回避。",
            **overrides}
    sup = supervisors.register_supervisor(decider, data)
    db.session.commit()
    return sup


@pytest.fixture
def registry(db, users, make_user, centres):
    """Four social supervisors registered at WORKS (the cast's `social` and three more) and one at PROC."""
    for name in WORKS_SOCIAL[1:]:
        users[name] = make_user(name, (Role.SOCIAL_SUPERVISOR, "WORKS"))
    users["social_proc"] = make_user("social_proc", (Role.SOCIAL_SUPERVISOR, "PROC"))
    for name, display in NAMES.items():
        users[name].display_name = display
    db.session.commit()
    out = {name: register(db, users["decider"], users[name], centres["WORKS"]) for name in WORKS_SOCIAL}
    out["social_proc"] = register(db, users["decider"], users["social_proc"], centres["PROC"])
    return out


def publish(db, make_trade, users, price: str = "3000000.00", **overrides):
    """A works tender through submit, approve and publish (the draw happens at publication)."""
    from tests.conftest import START, tender_timeline

    trade = make_trade(estimated_price=Decimal(price), bid_security=Decimal("10000.00"),
                       **{**tender_timeline(START), **overrides})
    trades.move(trade, "submit", users["staff"])
    trades.move(trade, "approve", users["decider"])
    trades.move(trade, "publish", users["staff"])
    db.session.commit()
    run_draw(db, trade)
    return trade


def run_draw(db, trade) -> None:
    """Let the trade's pending round run as the tick would: the clock moves to the end of its commitment
    window (nobody commits) and the tick seals and draws it."""
    from monitor.supervisors import draws, rounds
    from trading.clock import clock, now

    row = draws.pending(trade)
    if row is None:
        return
    if now() < row.commit_until:
        clock.freeze(row.commit_until)
    rounds.run_due()
    db.session.commit()


def walk(db, trade, users, clock, to: S, *, sign: bool = True) -> None:
    """Move a published tender (no electronic ceremony) to `to` through the staff's moves; at each gated
    stage passed on the way, the serving supervisors sign first (unless `sign` is false)."""
    from monitor.supervisors import signoffs
    from monitor.supervisors.models import SignOffStage

    gate = {S.OPENED: SignOffStage.OPENING_RECORD, S.EVALUATING: SignOffStage.EVALUATION_REPORT,
            S.AWARDED: SignOffStage.AWARD}
    path = {S.BIDDING: "close", S.CLOSED: "start_opening", S.OPENING: "finish_opening",
            S.OPENED: "start_evaluation", S.EVALUATING: "publicize", S.PUBLICITY: "award", S.AWARDED: "contract"}
    if trade.bid_deadline and clock.now() < trade.bid_deadline:
        clock.freeze(trade.bid_deadline)
    while trade.state is not to:
        assert trade.state in path, (trade.state, to)
        if sign and trade.state in gate:
            stage = gate[trade.state]
            for d in signoffs.missing(trade, stage):
                sign_off(d.user, trade, stage, "signed")
        trades.move(trade, path[trade.state], users["staff"])
        db.session.commit()


def entries(db, action: str, trade=None) -> list[dict]:
    stmt = sa.select(AuditEntry).where(AuditEntry.action == action)
    if trade is not None:
        stmt = stmt.where(AuditEntry.trade_id == trade.id)
    return [dict(json.loads(r.body), _seq=r.seq) for r in db.session.scalars(stmt.order_by(AuditEntry.seq))]


def pdftotext(data: bytes, tmp_path, name: str = "doc.pdf") -> str:
    assert data.startswith(b"%PDF"), data[:100]
    assert shutil.which("pdftotext"), "pdftotext missing: `make test` installs Debian's poppler-utils"
    path = tmp_path / name
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True,
                          text=True).stdout
    return "".join(text.split())  # CJK text may be laid out with spaces between glyph runs
