"""The transaction confirmation (成交确认书) as a PDF in the reader's language, rendered by trading.pdf (WeasyPrint,
CJK fonts, a URL fetcher that fetches nothing but inline data: URLs), in the printed records' style."""
from __future__ import annotations

from flask import render_template
from flask_babel import get_locale

from bidding.auctions.deal.confirmation import unsigned_parties
from bidding.auctions.deal.models import Confirmation, Party
from trading.pdf import beijing, render_pdf, yuan


def render_confirmation(row: Confirmation) -> bytes:
    trade = row.deal.trade
    is_zh = str(get_locale() or "zh_CN").startswith("zh")
    centre = trade.centre
    signatures = {s.party: s for s in row.signatures}
    html = render_template("bidding/auctions/deal_confirmation_pdf.html", row=row, record=row.record, trade=trade,
                           yuan=yuan, beijing=beijing, is_zh=is_zh, sandbox_trade=trade,
                           centre_name=centre.name_zh if is_zh else centre.name_en, Party=Party,
                           signatures=signatures, waiting=unsigned_parties(row),
                           platform_signature=bytes(row.platform_signature).hex())
    return render_pdf(html)
