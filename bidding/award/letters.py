"""The award notice (中标通知书) and the result notices (中标结果通知书) as PDFs in the reader's language,
rendered by trading.pdf (WeasyPrint, CJK fonts, a fetcher that fetches nothing but inline data: URLs)."""
from __future__ import annotations

from flask import render_template
from flask_babel import get_locale

from bidding.award.contracts import contract_of
from bidding.award.decision import decision_of
from bidding.award.models import AwardLetter, LetterKind
from bidding.award import rules
from trading.clock import now
from trading.extensions import db
from trading.pdf import beijing, render_pdf, yuan


def render_letter(letter: AwardLetter) -> bytes:
    """One company's letter; its first read is recorded (the platform knows the letter reached it)."""
    trade = letter.trade
    decision = decision_of(trade)
    is_zh = str(get_locale() or "zh_CN").startswith("zh")
    centre = trade.centre
    contract_due = rules.period_end(trade, "contract_within", decision.decided_at) \
        if rules.span(trade, "contract_within") else None
    html = render_template("bidding/award/letter_pdf.html", letter=letter, trade=trade, decision=decision,
                           award=letter.kind is LetterKind.AWARD, is_zh=is_zh, yuan=yuan, beijing=beijing,
                           centre_name=centre.name_zh if is_zh else centre.name_en, sandbox_trade=trade,
                           contract_due=contract_due, contract=contract_of(trade),
                           bond_share=rules.bond_share(trade), source_45="招标投标法 第45条" if is_zh
                           else "Tendering Law Art. 45")
    if letter.first_read_at is None:
        letter.first_read_at = now()
        db.session.flush()
    return render_pdf(html)
