"""The evaluation report as a PDF (评标报告) in the reader's language, rendered by trading.pdf (WeasyPrint, CJK
fonts, a URL fetcher that fetches nothing but inline data: URLs), in the style of the opening record."""
from __future__ import annotations

from flask import render_template
from flask_babel import get_locale

from bidding.scoring.models import EvaluationReport
from bidding.scoring.report import unsigned
from trading.pdf import beijing, render_pdf, yuan


def render_report(report: EvaluationReport) -> bytes:
    record = report.record
    trade = report.trade
    is_zh = str(get_locale() or "zh_CN").startswith("zh")
    centre = trade.centre
    method = trade.rule_set.scoring_method(record["plan"]["method"])
    cells: dict[tuple[int, int], dict] = {}
    for sheet in record["sheets"]:
        for s in sheet["scores"]:
            cells.setdefault((sheet["user_id"], s["entry_id"]), {})[s["criterion_id"]] = s

    def cells_of(sheet: dict, entry_id: int) -> dict:
        return cells.get((sheet["user_id"], entry_id), {})

    html = render_template(
        "bidding/evaluation_report_pdf.html", record=record, report=report, yuan=yuan, beijing=beijing,
        is_zh=is_zh, sandbox_trade=trade, centre_name=centre.name_zh if is_zh else centre.name_en,
        method_name=str(method.name) if method else record["plan"]["method"],
        method_source=str(method.source) if method else "",
        member_names={m["user_id"]: m["name"] for m in record["members"]},
        bidder_of={b["entry_id"]: b["bidder"] for b in record["bids"]}, cells_of=cells_of,
        waiting=unsigned(trade))
    return render_pdf(html)
