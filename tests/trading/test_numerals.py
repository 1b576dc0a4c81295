"""Amounts in Chinese capital numerals (大写) as the rules for financial documents write them."""
from __future__ import annotations

from decimal import Decimal

import pytest

from trading.numerals import rmb_upper


@pytest.mark.parametrize(("amount", "upper"), [
    ("12300000.00", "壹仟贰佰叁拾万元整"),
    ("10100000", "壹仟零壹拾万元整"),
    ("1005", "壹仟零伍元整"),  # one 零 for a run of zeros
    ("1050", "壹仟零伍拾元整"),
    ("100100", "壹拾万零壹佰元整"),  # 拾 keeps its digit
    ("100000005", "壹亿零伍元整"),  # the zero runs across a whole 万 group
    ("20000001", "贰仟万零壹元整"),
    ("10010000", "壹仟零壹万元整"),
    ("1234567890123.45", "壹万亿贰仟叁佰肆拾伍亿陆仟柒佰捌拾玖万零壹佰贰拾叁元肆角伍分"),
    ("10", "壹拾元整"),
    ("1.05", "壹元零伍分"),  # 分 ends without 整
    ("1.50", "壹元伍角整"),  # 角 may end with 整
    ("0.05", "伍分"),
    ("0.5", "伍角整"),
    ("0", "零元整"),
])
def test_capital_numerals(amount, upper):
    assert rmb_upper(Decimal(amount)) == upper


def test_refuses_what_it_cannot_write():
    with pytest.raises(ValueError):
        rmb_upper(Decimal("-1"))
    with pytest.raises(ValueError):
        rmb_upper(Decimal("10") ** 16)
