"""The demo's challenge: a supplier that obtained the documents of the education bureau's office equipment
inquiry challenges its technical requirements; the answer is awaited (the purchaser answers it on the trade's challenges page).
Called by procurement.demo.load after the trades and the plan exist."""
from __future__ import annotations

import sqlalchemy as sa

from procurement.challenges import services
from trading.extensions import db
from trading.notices.models import Document
from trading.notices.services import record_download
from trading.trades.models import Trade

TITLE = "市教育局办公设备询价采购"
TEXT = ("询价文件第三章技术参数第5项要求台式计算机“须预装某品牌专有管理软件”，属于以特定品牌限制潜在供应商，"
        "违反《政府采购法实施条例》第二十条。请求修改该条款并顺延报价截止时间。")


def load(centres, orgs, users) -> None:
    """博联信息科技 downloads the inquiry's documents and files a written challenge to them; another supplier asks."""
    trade = db.session.scalar(sa.select(Trade).where(Trade.title == TITLE, Trade.centre_id == centres["PROC"].id))
    if trade is None or not trade.is_public:
        return
    supplier = users["bidder5"]
    document = db.session.scalar(sa.select(Document).where(Document.trade_id == trade.id).order_by(Document.id))
    if document is not None:
        record_download(trade, document, supplier)
    services.file(supplier, trade, {"kind": "challenge", "about": "documents", "text": TEXT})
    services.file(users["bidder4"], trade, {"kind": "question", "text": "打印机是否须提供原厂三年上门保修？"})
    db.session.commit()
