"""The opening record as a PDF (开标记录) in the reader's language, rendered by trading.pdf (WeasyPrint, CJK fonts, a URL
fetcher that fetches nothing but inline data: URLs)."""
from __future__ import annotations

from flask import render_template
from flask_babel import get_locale, lazy_gettext as _l

from trading.pdf import beijing, render_pdf, yuan

STATUS_LABELS = {"opened": _l("Valid (decrypted)"), "revoked": _l("Revoked (the bidder's fault)"),
                 "withdrawn": _l("Withdrawn (not the bidder's fault)")}
SIDE_LABELS = {"execute": _l("Executing side"), "supervise": _l("Supervising side")}
OUTCOME_LABELS = {"opened": _l("Opening complete"), "failed": _l("Tender failed")}
FIGURE_LABELS = {"duration_days": _l("Duration (days)"), "note": _l("Note")}


def render_opening_record(record: dict, sha256: str, ceremony=None) -> bytes:
    """The stored record, its hash, and (outside the hash) the signatures made on it so far."""
    from bidding.ceremony.state import eligible_signer

    # only signatures that count: a drawn, non-recused supervisor's or an appointed keyholder's
    signatures = [s for s in (ceremony.signatures if ceremony is not None else [])
                  if eligible_signer(ceremony.trade, s.user_id)]
    objections = list(ceremony.objections) if ceremony is not None else []
    from bidding.ceremony.opening import entry_reason, too_few_bids
    from trading import texts

    is_zh = str(get_locale() or "zh_CN").startswith("zh")
    trade = ceremony.trade if ceremony is not None else None
    centre = trade.centre if trade is not None else None
    centre_name = (centre.name_zh if is_zh else centre.name_en) if centre is not None else record["trade"]["centre"]
    reason = record.get("reason")
    if record.get("outcome") == "failed" and trade is not None:  # the platform's reason, in the reader's language
        reason = texts.render(too_few_bids(trade, record["valid_bids"], record["min_bids"]))
    html = render_template("bidding/opening_record_pdf.html", record=record, sha256=sha256,
                           signatures=signatures, objections=objections, yuan=yuan, beijing=beijing,
                           sandbox_trade=trade,
                           status_labels=STATUS_LABELS, side_labels=SIDE_LABELS, outcome_labels=OUTCOME_LABELS,
                           figure_labels=FIGURE_LABELS, entry_reason=entry_reason, reason=reason, is_zh=is_zh,
                           centre_name=centre_name)
    return render_pdf(html)
