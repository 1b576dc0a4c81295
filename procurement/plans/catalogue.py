"""The data the plans read: procurement categories, the centralised-purchase catalogue, the thresholds
above which open tendering is mandatory, and the fund sources. Each with its source and effective date;
national numbers unless the platform's configuration replaces them (local standards differ)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import current_app
from flask_babel import lazy_gettext as _l

from trading.rules.model import Source

#: 政府采购品目分类目录 (财库〔2022〕31号): the first letter says goods (A), works (B) or services (C)
CATEGORY_SOURCE = Source("财库〔2022〕31号 政府采购品目分类目录", "MOF Circular 31 (2022): the procurement "
                         "category catalogue", "~", "a subset of the catalogue; more codes are added as data")
CENTRALISED_SOURCE = Source("国办发〔2019〕55号 中央预算单位政府集中采购目录及标准（2020年版）",
                            "State Council Office Circular 55 (2019): central budget units' centralised "
                            "procurement catalogue and standards (2020 edition)", "~",
                            "central units' list; provinces publish their own: configurable")
GOODS_SERVICES_THRESHOLD = Source(
    "国办发〔2019〕55号 第三条（政府采购货物或服务项目单项采购金额达到200万元以上的，必须采用公开招标方式）",
    "State Council Office Circular 55 (2019) Part 3: goods or services of 2 million yuan or more must be "
    "openly tendered", "?", "the central standard; local standards (often 4 million) are configurable")
WORKS_THRESHOLD = Source("政府采购法实施条例 第25条；必须招标的工程项目规定（国家发展改革委令第16号）第5条",
                         "Government Procurement Regulation Art. 25; NDRC Order 16 (2018) Art. 5", "?",
                         "construction contracts of 4 million yuan or more are tendered: configurable")

KINDS = {"A": _l("goods"), "B": _l("works"), "C": _l("services")}


@dataclass(frozen=True)
class Category:
    code: str
    zh: str
    en: str
    centralised: bool = False  # on the centralised-purchase catalogue (集中采购目录)

    @property
    def kind(self) -> str:
        return {"A": "goods", "B": "works", "C": "services"}[self.code[0]]

    def name(self, locale: str) -> str:
        return self.zh if locale.startswith("zh") else self.en


CATEGORIES: dict[str, Category] = {c.code: c for c in (
    Category("A02010104", "台式计算机", "Desktop computers", centralised=True),
    Category("A02010105", "便携式计算机", "Laptop computers", centralised=True),
    Category("A02010601", "打印设备", "Printers", centralised=True),
    Category("A0206180203", "空调机", "Air conditioners", centralised=True),
    Category("A05010000", "家具", "Furniture"),
    Category("A02320000", "医疗设备", "Medical equipment"),
    Category("B01000000", "房屋施工", "Building construction"),
    Category("B07000000", "修缮工程", "Repair works"),
    Category("C16000000", "信息技术服务", "Information technology services"),
    Category("C21040000", "物业管理服务", "Property management services", centralised=True),
    Category("C23090000", "人力资源服务", "Human resources services"),
    Category("C02000000", "会议和展览服务", "Meeting and exhibition services"),
)}

#: where a budget's money comes from (资金来源)
FUND_SOURCES = {
    "general_budget": _l("general public budget"),
    "fund_budget": _l("government fund budget"),
    "special_transfer": _l("special transfer payment"),
    "own_funds": _l("the unit's own funds"),
    "other": _l("other funds"),
}


@dataclass(frozen=True)
class Threshold:
    """From `amount` (inclusive: 以上 includes the number) a project of this kind must be openly tendered."""

    kind: str
    amount: Decimal
    source: Source
    effective_from: date


THRESHOLDS: tuple[Threshold, ...] = (
    Threshold("goods", Decimal("2000000.00"), GOODS_SERVICES_THRESHOLD, date(2020, 1, 1)),
    Threshold("services", Decimal("2000000.00"), GOODS_SERVICES_THRESHOLD, date(2020, 1, 1)),
    Threshold("works", Decimal("4000000.00"), WORKS_THRESHOLD, date(2018, 6, 1)),
)


def threshold_for(kind: str, on: date) -> Threshold | None:
    """The threshold in force on `on`: PROCUREMENT_OPEN_TENDER_THRESHOLDS ({kind: "amount"}) replaces the
    national number where a province sets its own."""
    configured = (current_app.config.get("PROCUREMENT_OPEN_TENDER_THRESHOLDS") or {}).get(kind)
    if configured is not None:
        return Threshold(kind, Decimal(str(configured)), Source(
            "本平台配置的公开招标数额标准", "the open-tender threshold configured on this platform", "?"), on)
    current = [t for t in THRESHOLDS if t.kind == kind and t.effective_from <= on]
    return max(current, key=lambda t: t.effective_from) if current else None
