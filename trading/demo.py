"""Demo data: the five centres, a user for every role, organisations, trades in several stages."""
from __future__ import annotations

import base64

import io
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from trading.accounts.models import Organisation, OrgKind, User
from trading.accounts.roles import Role
from trading.accounts.services import create_organisation, create_user
from trading.accounts.uscc import make_uscc
from trading.centres.data import ensure_centres
from trading.clock import clock, now
from trading.demo_stages import DEMO_PASSPHRASE, SANDBOX_OPENING_AFTER, keyholder_names
from trading.extensions import db
from trading.notices import services as notices
from trading.notices import subscriptions
from trading.trades import services as trades
from trading.trades.models import Trade

DEMO_PASSWORD = "demo-pass-2026"
DEMO_KEYHOLDERS = tuple(keyholder_names())
#: how far back the demo's history begins (the opened tender was published then)
HISTORY = timedelta(days=40)

# (username, display name, role, centre code or None, organisation key or None)
DEMO_USERS = (
    ("decider", "王决策 (管理办)", Role.DECISION_MAKER, "*", "office"),
    ("staff.works", "李执行 (建设工程)", Role.CENTRE_STAFF, "WORKS", "centre"),
    ("staff.works2", "刘执行 (建设工程)", Role.CENTRE_STAFF, "WORKS", "centre"),
    ("staff.proc", "赵执行 (政府采购)", Role.CENTRE_STAFF, "PROC", "centre"),
    ("staff.proc2", "钟执行 (政府采购)", Role.CENTRE_STAFF, "PROC", "centre"),
    ("staff.prop", "钱执行 (产权)", Role.CENTRE_STAFF, "PROP", "centre"),
    ("staff.land", "孙执行 (土地)", Role.CENTRE_STAFF, "LAND", "centre"),
    ("staff.land2", "邱执行 (土地)", Role.CENTRE_STAFF, "LAND", "centre"),
    ("staff.hr", "周执行 (人力资源)", Role.CENTRE_STAFF, "HR", "centre"),
    ("staff.hr2", "许执行 (人力资源)", Role.CENTRE_STAFF, "HR", "centre"),
    ("supervisor", "吴监督 (行政监督)", Role.ADMIN_SUPERVISOR, "*", "supervisor"),
    ("social", "郑社会 (社会监督员)", Role.SOCIAL_SUPERVISOR, "*", None),
    ("social2", "冯社会 (社会监督员)", Role.SOCIAL_SUPERVISOR, "*", None),
    ("tenderer", "陈招标 (城投集团)", Role.TENDERER, None, "tenderer"),
    ("purchaser", "林采购 (市教育局)", Role.TENDERER, None, "purchaser"),
    ("bidder", "黄投标 (华建公司)", Role.BIDDER, None, "bidder1"),
    ("bidder2", "何投标 (宏达公司)", Role.BIDDER, None, "bidder2"),
    ("bidder3", "高投标 (远东路桥)", Role.BIDDER, None, "bidder3"),
    ("bidder4", "马投标 (正源市政)", Role.BIDDER, None, "bidder4"),
    ("bidder5", "唐投标 (博联科技)", Role.BIDDER, None, "bidder5"),
    ("expert", "罗专家", Role.EXPERT, None, None),
    ("citizen", "公众用户", Role.PUBLIC, None, None),
)

ORGS = {
    "office": ("市公共资源交易管理办公室", OrgKind.MANAGEMENT_OFFICE, None),
    "centre": ("市公共资源交易中心", OrgKind.CENTRE, None),
    "supervisor": ("市发展和改革委员会（行政监督）", OrgKind.SUPERVISORY_BODY, None),
    "tenderer": ("市城市建设投资集团有限公司", OrgKind.TENDERER, make_uscc("91330100MA2B00001")),
    "purchaser": ("市教育局", OrgKind.TENDERER, make_uscc("11330100MB0000002")),
    "transferor": ("市国有资本运营有限公司", OrgKind.TENDERER, make_uscc("91330100MA2B00003")),
    "bidder1": ("华建工程集团有限公司", OrgKind.BIDDER, make_uscc("91330100MA2C00004")),
    "bidder2": ("宏达建设有限公司", OrgKind.BIDDER, make_uscc("91330100MA2C00005")),
    "bidder3": ("远东路桥工程有限公司", OrgKind.BIDDER, make_uscc("91330100MA2C00006")),
    "bidder4": ("正源市政建设集团有限公司", OrgKind.BIDDER, make_uscc("91330100MA2C00007")),
    "bidder5": ("博联信息科技有限公司", OrgKind.BIDDER, make_uscc("91330100MA2C00008")),
}

def load_holidays() -> None:
    """The shipped State Council schedules (trading/rules/data/holidays-cn.json); the decision branch edits them."""
    from trading.rules.holidays import load_schedule

    load_schedule()


def load_demo(force: bool = False) -> dict[str, User] | None:
    """Idempotent unless forced: does nothing when trades already exist."""
    if not force and db.session.scalar(sa.select(sa.func.count()).select_from(Trade)):
        return None
    loaded_at = now()
    was_frozen = clock.frozen
    # The demo's history happened: its people were set up, and its older trades run, 40 days ago.
    clock.freeze(loaded_at - HISTORY)
    try:
        users, centres, orgs, keys = _demo_people()
        _demo_trades(centres, orgs, users, keys, loaded_at)
    finally:
        clock.freeze(loaded_at) if was_frozen else clock.unfreeze()
    trades.advance_due()
    _demo_current_trades(centres, orgs, users)
    db.session.commit()
    _demo_award(centres, orgs, users, keys, loaded_at)
    _demo_auctions(centres, orgs, users, loaded_at)
    _demo_experts(users)
    _demo_evaluation(users)
    from bidding.collusion.demo import load as load_collusion_ring

    load_collusion_ring(users)  # a planted ring in the opened works tender: collusion flags to look at
    _demo_scoring(users)
    _demo_supervision(users, keys)
    from procurement.demo import load as load_procurement_plan

    load_procurement_plan(centres, orgs, users)  # the education bureau's plan, its lines and the trades' draws
    return users


def _demo_people():
    """Centres, calendar, organisations, a user for every role, social supervisors, signing keys and the
    keyholders' personal keys (clock at the start of the demo's history)."""
    from trading.demo_stages import enrol_keyholders

    centres = {c.code: c for c in ensure_centres()}
    load_holidays()
    orgs = {}
    for key, (name, kind, code) in ORGS.items():
        orgs[key] = db.session.scalar(sa.select(Organisation).where(Organisation.name == name)) \
            or create_organisation(name, kind, code)
    users = {}
    for username, name, role, centre, org in DEMO_USERS:
        user = db.session.scalar(sa.select(User).where(User.username == username))
        if user is None:
            where = [(role, c.id) for c in centres.values()] if centre == "*" else \
                [(role, centres[centre].id if centre else None)]
            user = create_user(username, DEMO_PASSWORD, name, orgs.get(org) if org else None, where,
                               email=f"{username}@demo.invalid")
        users[username] = user
    db.session.flush()
    _demo_social_supervisors(centres, users)
    db.session.commit()
    keys = _demo_signing_keys(users)
    enrol_keyholders(users)
    return users, centres, orgs, keys


def _demo_award(centres, orgs, users, keys, loaded_at) -> None:
    """A works tender in publicity, suspended by an open objection (bidding/award/demo.py)."""
    from bidding.award.demo import load

    load(centres, orgs, users, keys, loaded_at)


def _demo_auctions(centres, orgs, users, loaded_at) -> None:
    """A sandbox land listing whose live round starts a few minutes after the load, and a property transfer in
    disclosure (bidding/auctions/demo.py)."""
    from bidding.auctions.demo import load

    load(centres, orgs, users, loaded_at)


def _demo_experts(users) -> None:
    """A few experts in the pool, and a committee draw fixed on the works tender (bidding/experts/demo.py)."""
    from bidding.experts.demo import load

    load(users, DEMO_PASSWORD)


def _demo_evaluation(users) -> None:
    """The opened works tender under evaluation, its committee mid-review (bidding/evaluation/demo.py)."""
    from bidding.evaluation.demo import load

    load(users)


def _demo_scoring(users) -> None:
    """The tender under evaluation gets its scoring plan; two members have submitted (bidding/scoring/demo.py)."""
    from bidding.scoring.demo import load

    load(users)


#: the registry entries of the demo's social supervisors (recommended by real kinds of organisations)
DEMO_SOCIAL = (("social", "市人大代表联络办公室", "人大代表"), ("social2", "市律师协会", "执业律师"))


def _demo_social_supervisors(centres, users) -> None:
    """Both social supervisors are registered at every centre, so publishing a trade draws them.

    Composition-level code like the app factory: it may use the monitor package."""
    from monitor.supervisors import registry as supervisors

    since = supervisors.today() - timedelta(days=30)  # appointed before the demo's trades began
    for username, recommended_by, who in DEMO_SOCIAL:
        for centre in centres.values():
            supervisors.register_supervisor(users["decider"], {
                "centre_id": centre.id, "user_id": users[username].id, "recommended_by": recommended_by,
                "agreement_ref": f"监督协议-{centre.code}-{username}", "agreement_date": since, "term_start": since,
                "rights_duties": f"（{who}）有权查阅交易过程记录、现场见证开标评标、签署监督意见；"
                                 "应当保守秘密、遇利害关系主动回避、对签署意见负责。"})


#: supervisors given a signing key by the demo; its private half is written where the demo's users can
#: load it into their browser ("My signing key" > Load a backup file) or sign with python -m trading.signing
DEMO_SIGNERS = ("supervisor", "social", "social2")


def demo_key_dir() -> Path:
    return Path(current_app.instance_path) / "demo-signing-keys"


def _demo_signing_keys(users) -> dict:
    """Each demo supervisor's key, made as `python -m trading.signing keygen` makes it (on their machine, in
    real life: the platform only ever receives the public half) and published."""
    from trading.signing import services as signing, statements as st

    keys = {}
    out = demo_key_dir()
    out.mkdir(parents=True, exist_ok=True)
    for name in DEMO_SIGNERS:
        key = st.generate()
        signing.register_key(users[name], base64.b64encode(st.public_of(key)).decode(), label="demo")
        path = out / f"{name}.pem"
        path.write_bytes(st.private_pem(key))
        path.chmod(0o600)
        keys[name] = key
    db.session.commit()
    return keys


def _demo_supervision(users, keys) -> None:
    """A signed checkpoint countersigned by the administrative supervisor with their own key, and one round of
    e-supervision."""
    from monitor.audit import log as audit
    from monitor.audit import services
    from monitor.ticks import run_ticks
    from trading.signing import services as signing, statements as st

    with audit.acting_as(users["supervisor"]):
        checkpoint = audit.sign_checkpoint("demo")
        db.session.commit()
        statement = signing.issue(users["supervisor"], "checkpoint", {"checkpoint_id": checkpoint.id})
        services.countersign(users["supervisor"], checkpoint, statement.decode("utf-8"),
                             st.sign(keys["supervisor"], statement))
        db.session.commit()
    run_ticks()
    db.session.commit()


def _tender_times(start, days: int):
    deadline = (start + timedelta(days=days)).replace(hour=1, minute=30, second=0, microsecond=0)  # 09:30 CST
    return {"issue_at": start, "docs_until": start + timedelta(days=days - 5), "bid_deadline": deadline,
            "opening_at": deadline}


def _demo_trades(centres, orgs, users, keys, loaded_at) -> None:
    """The trades with a past, in the order they happened (the clock moves forward through them): an opened
    tender, a tender open for bids with bids in, a published inquiry, and the sandbox tender whose opening
    falls SANDBOX_OPENING_AFTER after the demo is loaded."""
    from trading.demo_stages import live_bids, opened_trade, publish_sealed, sandbox_opening_soon

    opened_trade(centres, orgs, users, keys)

    clock.freeze(loaded_at - timedelta(days=6))
    t = now()
    bidding = trades.create_trade(users["staff.works"], {
        "centre_id": centres["WORKS"].id, "method": "works_open_tender", "tenderer_id": orgs["tenderer"].id,
        "title": "城东片区道路改造工程施工招标", "estimated_price": Decimal("48500000.00"),
        "bid_security": Decimal("800000.00"),
        "description": "城东片区12条市政道路改造，含排水管网与照明。工期360日历天。",
        **_tender_times(t + timedelta(hours=2), 35)})
    notices.upload_document(users["staff.works"], bidding, "招标文件.txt", "text/plain",
                            io.BytesIO("城东片区道路改造工程 招标文件（示例）\n".encode()))
    publish_sealed(bidding, users, "WORKS")
    clock.freeze(t + timedelta(days=1))
    trades.advance_due()
    notices.record_download(bidding, bidding_doc(bidding), users["bidder"])
    anonymous = notices.record_download(bidding, bidding_doc(bidding), None)
    pending = subscriptions.request_subscription(bidding, "someone@example.invalid", anonymous)
    subscriptions.confirm(subscriptions.token_for(pending))  # as if its owner had opened the link
    notices.publish_clarification(users["staff.works"], bidding, "关于工程量清单的澄清",
                                  "第3标段排水管径由DN600调整为DN800，其余不变。")
    live_bids(bidding, users)

    t = now()
    inquiry = trades.create_trade(users["staff.proc"], {
        "centre_id": centres["PROC"].id, "method": "gp_inquiry", "tenderer_id": orgs["purchaser"].id,
        "title": "市教育局办公设备询价采购", "estimated_price": Decimal("680000.00"),
        "description": "台式计算机120台、打印机30台。", **_tender_times(t + timedelta(hours=1), 16)})
    notices.upload_document(users["staff.proc"], inquiry, "询价文件.txt", "text/plain",
                            io.BytesIO("市教育局办公设备询价采购 询价文件（示例）\n".encode()))
    publish_sealed(inquiry, users, "PROC")

    sandbox_opening_soon(centres, orgs, users, loaded_at)


def _demo_current_trades(centres, orgs, users) -> None:
    """Trades of today: published with documents (bids from tomorrow), submitted, approved, drafts."""
    from trading.demo_stages import publish_sealed

    t = now()
    announced = trades.create_trade(users["staff.proc"], {
        "centre_id": centres["PROC"].id, "method": "gp_open_tender", "tenderer_id": orgs["purchaser"].id,
        "title": "市属公办幼儿园保育设备采购项目", "estimated_price": Decimal("3860000.00"),
        "bid_security": Decimal("50000.00"), "description": "全市18所公办幼儿园保育、卫生及户外活动设备。",
        **_tender_times(t + timedelta(days=1), 30)})
    notices.upload_document(users["staff.proc"], announced, "招标文件.txt", "text/plain",
                            io.BytesIO("市属公办幼儿园保育设备采购项目 招标文件（示例）\n".encode()))
    publish_sealed(announced, users, "PROC")

    submitted = trades.create_trade(users["staff.proc"], {
        "centre_id": centres["PROC"].id, "method": "gp_open_tender", "tenderer_id": orgs["purchaser"].id,
        "title": "中小学智慧教室设备采购项目", "estimated_price": Decimal("12600000.00"),
        "bid_security": Decimal("200000.00"), "description": "全市46所中小学智慧教室交互设备及安装。",
        **_tender_times(t + timedelta(days=2), 35)})
    trades.move(submitted, "submit", users["staff.proc"])  # the decider appoints keyholders, then approves

    land = trades.create_trade(users["staff.land"], {
        "centre_id": centres["LAND"].id, "method": "land_listing", "tenderer_id": orgs["transferor"].id,
        "title": "城北新区 C-07 地块国有建设用地使用权挂牌出让", "estimated_price": Decimal("356000000.00"),
        "description": "商住用地，面积42,360平方米，容积率≤2.5。",
        "issue_at": t + timedelta(days=1), "listing_from": t + timedelta(days=32),
        "bid_deadline": t + timedelta(days=50)})
    for move, who in (("submit", "staff.land"), ("approve", "decider")):
        trades.move(land, move, users[who])

    trades.create_trade(users["tenderer"], {
        "centre_id": centres["WORKS"].id, "method": "works_invited_tender",
        "title": "滨江公园景观提升工程（草稿）", "estimated_price": Decimal("5200000.00"),
        "description": "景观绿化、园路及配套设施。"})

    trades.create_trade(users["staff.prop"], {
        "centre_id": centres["PROP"].id, "method": "property_listing", "tenderer_id": orgs["transferor"].id,
        "title": "市属某国有企业100%股权转让", "estimated_price": Decimal("23800000.00"),
        "description": "转让标的：某商贸有限公司100%股权。"})


def bidding_doc(trade):
    from trading.notices.models import Document

    return db.session.scalars(sa.select(Document).where(Document.trade_id == trade.id)).first()


def sandbox_opening():
    """The demo's sandbox tender waiting for its opening (None once it opened)."""
    from trading.trades.flows import TradeState

    return db.session.scalar(sa.select(Trade).where(Trade.sandbox.is_(True), Trade.state.in_(
        (TradeState.BIDDING, TradeState.CLOSED, TradeState.OPENING))).order_by(Trade.opening_at))


def print_summary(echo, url: str | None = None) -> None:
    """What a newcomer needs to start the README's tour, the address last."""
    from trading.clock import local_tz

    rule = "-" * 78
    echo(rule)
    echo(f"Demo logins, all with the password {DEMO_PASSWORD}:")
    groups: dict[str, list[str]] = {}
    for username, _name, role, centre, _org in DEMO_USERS:
        where = "" if centre in ("*", None) else f" ({centre})"
        groups.setdefault(role.value, []).append(username + where)
    from bidding.experts.demo import DEMO_EXPERTS

    groups[Role.EXPERT.value] = [e[0] for e in DEMO_EXPERTS]  # the expert pool the demo registers
    for role, names in groups.items():
        echo(f"  {role:<18} {', '.join(names)}")
    echo(f"Keyholders' personal-key passphrase: {DEMO_PASSPHRASE}  (keyholders: {', '.join(DEMO_KEYHOLDERS)})")
    echo(f"Supervisors' signing keys: {demo_key_dir()}/<username>.pem  (or make one on \"My signing key\")")
    trade = sandbox_opening()
    if trade is not None:
        at = trade.opening_at.astimezone(local_tz())
        left = int((trade.opening_at - now()).total_seconds() // 60)
        when = f"in {left} min" if left > 0 else "now: start it"
        echo(f"Sandbox opening: {trade.ref} opens at {at:%H:%M} Beijing time ({when}); "
             "follow the README's tour to watch it.")
    from bidding.auctions.demo import summary_line

    land = summary_line()
    if land:
        echo(land)
    if url:
        echo(rule)
        echo(f"The platform: {url}   (stop with Ctrl-C)")
    echo(rule)
