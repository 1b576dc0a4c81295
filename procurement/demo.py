"""The demo's procurement plan: the education bureau's 2026 plan at the procurement centre, with a budget line
for each of its procurement trades (drawn when each was a draft) and one line not yet drawn on.
Called by trading.demo.load_demo after the trades exist."""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from procurement.plans import services
from trading.clock import local_tz, now
from trading.errors import DomainError
from trading.extensions import db
from trading.trades.models import Trade

#: (category, fund source, description, amount, the title of the demo trade that draws on it, or None)
LINES = (
    ("A02010104", "general_budget", "办公及教学计算机、打印设备", "1200000.00", "市教育局办公设备询价采购"),
    ("A05010000", "general_budget", "公办幼儿园保育及户外活动设备", "4000000.00", "市属公办幼儿园保育设备采购项目"),
    ("A02010104", "special_transfer", "中小学智慧教室交互设备（专项转移支付）", "13000000.00", "中小学智慧教室设备采购项目"),
    ("C16000000", "general_budget", "教育信息化平台运维服务", "800000.00", None),  # procurement/results/demo.py
    ("C16000000", "general_budget", "考试与招生信息系统运维服务", "900000.00", None),  # procurement/direct/demo.py
    ("C16000000", "general_budget", "教育信息化平台年度运维服务（谈判）", "800000.00", None),  # negotiation/demo.py
    ("C21040000", "general_budget", "教育局机关办公楼物业管理服务（磋商）", "600000.00", None),  # negotiation/demo.py
    ("A05010000", "general_budget", "中小学学生课桌椅及宿舍家具", "1500000.00", None),  # procurement/methods/demo.py
    ("C23090000", "general_budget", "教师公开招聘考试组织服务", "450000.00", None),  # procurement/methods/demo.py
)


def load(centres, orgs, users) -> None:
    """Make the plan and replay each demo procurement trade's draw as of its creation."""
    purchaser = users["purchaser"]
    year = now().astimezone(local_tz()).year
    plan = services.create_plan(purchaser, {"centre_id": centres["PROC"].id, "year": year,
                                            "title": f"市教育局{year}年度政府采购计划"})
    lines = {}
    for code, fund, description, amount, title in LINES:
        line = services.add_line(purchaser, plan, {"fund_source": fund, "category_code": code,
                                                   "description": description, "amount": Decimal(amount)})
        if title:
            lines[title] = line
    trades = db.session.scalars(sa.select(Trade).where(Trade.tenderer_id == orgs["purchaser"].id,
                                                       Trade.centre_id == centres["PROC"].id,
                                                       Trade.method.like("gp_%")).order_by(Trade.id))
    for trade in trades:
        line = lines.get(trade.title)
        if line is None or services.draw_of(trade) is not None:
            continue
        try:
            services.take_budget(trade.created_by or users["staff.proc"], trade, line, trade.created_at)
        except DomainError:  # a demo trade larger than its line: left without a draw, as the page shows
            continue
    db.session.commit()
    from procurement.direct.demo import load as load_direct

    load_direct(centres, orgs, users)  # two single sources: one in its notice period, one awaiting signatures
    from procurement.results.demo import load as load_results

    load_results(centres, orgs, users)  # an open tender at the purchaser's award decision (procurement/results)
    from procurement.challenges.demo import load as load_challenges

    load_challenges(centres, orgs, users)  # a challenge to the inquiry's documents, awaiting its answer
    from procurement.negotiation.demo import load as load_negotiation

    load_negotiation(centres, orgs, users)  # a competitive negotiation in its first round (negotiation/demo.py)
    from procurement.methods.demo import load as load_methods

    load_methods(centres, orgs, users)  # invitees drawn for an invitation tender; a failed tender's change of method


def publish_documents(trade: Trade, staff) -> None:
    """A demo trade's procurement documents, uploaded before its notice (e-supervision's tender_documents norm:
    published with the notice, or a card)."""
    import io

    from trading.notices import services as notices

    notices.upload_document(staff, trade, "采购文件.txt", "text/plain",
                            io.BytesIO(f"{trade.title} 采购文件（示例）\n".encode()))


def supervisor_signing_key():
    """The demo supervisor's own signing key, which trading.demo wrote earlier in the same load."""
    from trading.demo import demo_key_dir
    from trading.signing import statements as st

    return st.load_private((demo_key_dir() / "supervisor.pem").read_bytes())
