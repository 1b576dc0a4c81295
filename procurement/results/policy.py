"""The small and micro enterprise policy functions as data (财库〔2020〕46号, 财库〔2022〕19号): the price deduction
each category allows, the reserved share of a purchaser's budget, and the declaration's fields and text."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from trading.rules.model import Source

SME_46 = Source("财库〔2020〕46号 第9条；财库〔2022〕19号", "MOF Circular 46 (2020) Art. 9; MOF Circular 19 (2022)", "~",
                "goods and services 6-10% (2020), raised to 10-20% (2022); works 3-5%, raised to 4-6%: configurable")
SME_RESERVE = Source("财库〔2020〕46号 第8条；财库〔2022〕19号", "MOF Circular 46 (2020) Art. 8; MOF Circular 19 (2022)",
                     "~", "at least 30% of a suitable project's budget reserved to SMEs (2020), raised to 40% (2022): "
                     "configurable; read here as the share of the plan's drawn budget in projects reserved to SMEs")
SME_DECLARATION = Source("财库〔2020〕46号 第11条及附1", "MOF Circular 46 (2020) Art. 11 and Annex 1")


@dataclass(frozen=True)
class Deduction:
    """The range of the price deduction a category's procurement documents may set, in percent."""

    category: str
    low: Decimal
    high: Decimal
    source: Source


#: the price deduction for small and micro enterprises' bids, by category (the documents fix one value in range)
DEDUCTIONS = {
    "goods": Deduction("goods", Decimal(10), Decimal(20), SME_46),
    "services": Deduction("services", Decimal(10), Decimal(20), SME_46),
    "works": Deduction("works", Decimal(4), Decimal(6), SME_46),
}

CATEGORY_LABELS = {"goods": _l("goods"), "services": _l("services"), "works": _l("works")}

#: the share of a purchaser's (drawn) budget to reserve to SMEs, percent
RESERVED_SHARE = Decimal(40)

SIZES = {"small": _l("small enterprise"), "micro": _l("micro enterprise")}

#: industries of the declaration (工信部联企业〔2011〕300号 sets the size thresholds per industry)
INDUSTRIES = {
    "industry": _l("industry (manufacturing)"),
    "construction": _l("construction"),
    "wholesale": _l("wholesale"),
    "retail": _l("retail"),
    "software_it": _l("software and IT services"),
    "leasing_business": _l("leasing and business services"),
    "other": _l("other"),
}

#: the declaration's text (46号 Annex 1), filled from its fields; kept in Chinese as signed
DECLARATION_TEMPLATE = (
    "本公司郑重声明，根据《政府采购促进中小企业发展管理办法》（财库〔2020〕46号）的规定，本公司参加（{purchaser}）的"
    "（{title}，{ref}）采购活动，提供的货物、工程或服务全部由符合政策要求的中小企业承担。相关企业的具体情况如下："
    "{company}，属于{industry}行业；从业人员{employees}人，营业收入为{revenue}元，属于{size}。"
    "本企业对上述声明内容的真实性负责。如有虚假，将依法承担相应责任。"
)
SIZE_ZH = {"small": "小型企业", "micro": "微型企业"}
INDUSTRY_ZH = {"industry": "工业", "construction": "建筑业", "wholesale": "批发业", "retail": "零售业",
               "software_it": "软件和信息技术服务业", "leasing_business": "租赁和商务服务业", "other": "其他未列明"}
