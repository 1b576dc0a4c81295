"""The opening record as a PDF (开标记录), rendered by WeasyPrint with CJK fonts and a URL fetcher
that fetches nothing but inline data: URLs (no file:, no network)."""
from __future__ import annotations

from decimal import Decimal

from flask import render_template
from weasyprint import HTML
from weasyprint.urls import URLFetcher

STATUS_LABELS = {"opened": "有效（已解密）", "revoked": "撤销（投标人原因）", "withdrawn": "撤回（非投标人原因）"}
SIDE_LABELS = {"execute": "执行方", "supervise": "监督方"}
OUTCOME_LABELS = {"opened": "开标完成", "failed": "流标"}


class DataOnlyURLFetcher(URLFetcher):
    """Refuses every URL but data:, so a template (or a bidder's text in it) can never make the
    renderer read a local file or call out to the network. Refused URLs are kept in `refused`."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"data"}, allow_redirects=False, timeout=1)
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        if not url.lower().startswith("data:"):
            self.refused.append(url)
            raise ValueError(f"refused URL (only data: is allowed): {url[:80]}")
        return super().fetch(url, headers)


def yuan(value) -> str:
    """¥1,234.00 from a decimal string or Decimal; never through a float."""
    if value is None or value == "":
        return "—"
    return f"¥{Decimal(str(value)):,.2f}"


def render_pdf(html: str, fetcher: DataOnlyURLFetcher | None = None) -> bytes:
    """Any HTML to PDF with the safe fetcher; no base URL, so relative links resolve to nothing."""
    return HTML(string=html, base_url=None, url_fetcher=fetcher or DataOnlyURLFetcher()).write_pdf()


def beijing(value) -> str:
    """A stored instant (ISO string or datetime) in the platform's legal time zone, to the second."""
    from datetime import datetime

    from trading.clock import local_tz

    if not value:
        return "—"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(local_tz()).strftime("%Y-%m-%d %H:%M:%S")


def render_opening_record(record: dict, sha256: str, ceremony=None) -> bytes:
    """The stored record, its hash, and (outside the hash) the signatures made on it so far."""
    signatures = list(getattr(ceremony, "signatures", []) or [])
    objections = list(getattr(ceremony, "objections", []) or [])
    html = render_template("bidding/opening_record_pdf.html", record=record, sha256=sha256,
                           signatures=signatures, objections=objections, yuan=yuan, beijing=beijing,
                           status_labels=STATUS_LABELS, side_labels=SIDE_LABELS, outcome_labels=OUTCOME_LABELS)
    return render_pdf(html)
