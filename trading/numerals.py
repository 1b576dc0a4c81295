"""Amounts of money in Chinese capital numerals (大写金额), as written on bid forms, cheques and the price board;
and in figures (`fmt_money`: ¥1,234,567.89), as pages and error messages show them.

The rules are those for writing amounts on financial documents (中国人民银行《正确填写票据和结算凭证的
基本规定》): capital digits 零壹贰叁肆伍陆柒捌玖 with 拾佰仟万亿; one 零 stands for any run of zeros
between non-zero digits (1005 元: 壹仟零伍元), also across a 万 or 亿 group (100000005: 壹亿零伍元);
an amount in whole yuan or ending at 角 ends with 整, one with 分 does not; 拾 keeps its digit (壹拾).
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL = ("", "拾", "佰", "仟")
#: 万 groups of four digits: 10^4, 10^8, 10^12 (万亿)
GROUPS = ("", "万", "亿", "万亿")


def _group(n: int) -> str:
    """One group of up to four digits (1..9999); inner zeros become one 零, trailing ones nothing."""
    out, zero = "", False
    for pos in (3, 2, 1, 0):
        d = n // 10 ** pos % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out += DIGITS[0]
            zero = False
        out += DIGITS[d] + SMALL[pos]
    return out


def _integer(n: int) -> str:
    groups = []
    while n:
        groups.append(n % 10_000)
        n //= 10_000
    if len(groups) > len(GROUPS):
        raise ValueError("amount too large for capital numerals")
    out, gap = "", False
    for i in reversed(range(len(groups))):
        g = groups[i]
        if g == 0:
            gap = bool(out)
            continue
        if out and (gap or g < 1000):  # zeros before this group, in it or in whole groups skipped
            out += DIGITS[0]
        out += _group(g) + GROUPS[i]
        gap = False
    return out


def rmb_upper(amount: Decimal | int | str) -> str:
    """The amount in yuan as capital numerals: 12300000 -> 壹仟贰佰叁拾万元整, 1.05 -> 壹元零伍分."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if value < 0:
        raise ValueError("a negative amount has no capital form here")
    cents = int(value * 100)
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    if cents == 0:
        return "零元整"
    out = _integer(yuan) + "元" if yuan else ""
    if jiao:
        out += DIGITS[jiao] + "角"
    elif fen and yuan:
        out += DIGITS[0]
    if fen:
        out += DIGITS[fen] + "分"
    else:
        out += "整"
    return out


def fmt_money(value) -> str:
    """An amount in figures, in yuan with two decimals and thousands separators; "—" for none."""
    if value is None:
        return "—"
    return f"¥{value:,.2f}"
