"""The opening record as a PDF (开标记录), rendered by trading.pdf (WeasyPrint, CJK fonts, a URL
fetcher that fetches nothing but inline data: URLs)."""
from __future__ import annotations

from flask import render_template

from trading.pdf import beijing, render_pdf, yuan

STATUS_LABELS = {"opened": "有效（已解密）", "revoked": "撤销（投标人原因）", "withdrawn": "撤回（非投标人原因）"}
SIDE_LABELS = {"execute": "执行方", "supervise": "监督方"}
OUTCOME_LABELS = {"opened": "开标完成", "failed": "流标"}


def render_opening_record(record: dict, sha256: str, ceremony=None) -> bytes:
    """The stored record, its hash, and (outside the hash) the signatures made on it so far."""
    from bidding.ceremony.state import eligible_signer

    # only signatures that count: a drawn, non-recused supervisor's or an appointed keyholder's
    signatures = [s for s in (ceremony.signatures if ceremony is not None else [])
                  if eligible_signer(ceremony.trade, s.user_id)]
    objections = list(ceremony.objections) if ceremony is not None else []
    html = render_template("bidding/opening_record_pdf.html", record=record, sha256=sha256,
                           signatures=signatures, objections=objections, yuan=yuan, beijing=beijing,
                           sandbox_trade=ceremony.trade if ceremony is not None else None,
                           status_labels=STATUS_LABELS, side_labels=SIDE_LABELS, outcome_labels=OUTCOME_LABELS)
    return render_pdf(html)
