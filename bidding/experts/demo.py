"""The demo's expert pool: a few experts, and the works tender under bidding given a committee plan and a draw
fixed (the tick draws it once its commitment window closes). Called by trading.demo.load_demo."""
from __future__ import annotations

from bidding.experts import pool, services
from trading.accounts.models import User
from trading.accounts.roles import Role
from trading.accounts.services import create_user
from trading.extensions import db
from trading.trades.models import Trade

#: (username, name, employer, specialties); "expert" is the demo's own expert account
DEMO_EXPERTS = (
    ("expert", "罗专家", "市建筑设计研究院", ["A01", "A06"]),
    ("expert2", "马专家", "省交通规划设计院", ["A02", "A03"]),
    ("expert3", "梁专家", "市政工程设计院", ["A02"]),
    ("expert4", "宋专家", "理工大学土木学院", ["A01", "A02"]),
    ("expert5", "唐专家", "工程造价咨询事务所", ["A06"]),
    ("expert6", "许专家", "会计师事务所", ["C04"]),
    ("expert7", "韩专家", "市政设计研究总院", ["A02"]),
)


def load(users: dict[str, User], password: str) -> None:
    staff = users["staff.works"]
    for username, name, employer, codes in DEMO_EXPERTS:
        user = users.get(username) or create_user(username, password, name, None, [(Role.EXPERT, None)],
                                                  email=f"{username}@demo.invalid")
        users[username] = user
        db.session.flush()
        pool.register_expert(staff, {"user_id": user.id, "employer": employer, "region": "本市",
                                     "specialties": codes, "title": "高级工程师"})
    trade = db.session.scalar(db.select(Trade).where(Trade.title == "城东片区道路改造工程施工招标"))
    if trade is not None and trade.state in services.LIVE:
        services.set_plan(staff, trade, {"lines": [{"specialty": "A02", "count": 3}, {"specialty": "A06", "count": 1}],
                                         "representatives": 1})
        services.draw(staff, trade)
    db.session.commit()
