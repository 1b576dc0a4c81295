"""The platform's one PDF renderer: WeasyPrint with CJK fonts and a URL fetcher that fetches nothing
but inline data: URLs (no file:, no network), plus the money and time formats official PDFs use.

Every PDF (the opening record, the supervision record, the supervisor's certificate, and those to
come) goes through render_pdf, so no template, and no bidder's or user's text inside one, can make
the renderer read a local file or call out to the network.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

from trading.clock import local_tz

#: the default face of every PDF: Debian's Noto CJK (fonts-noto-cjk), found through fontconfig;
#: a template's own font-family overrides it
CJK_FONTS = '"Noto Sans CJK SC", "Noto Sans CJK", "Noto Serif CJK SC", sans-serif'
_BASE_CSS = f"html {{ font-family: {CJK_FONTS}; }}"


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


def render_pdf(html: str, fetcher: DataOnlyURLFetcher | None = None) -> bytes:
    """Any HTML to PDF with the safe fetcher; no base URL, so relative links resolve to nothing."""
    fetcher = fetcher or DataOnlyURLFetcher()
    return HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf(
        stylesheets=[CSS(string=_BASE_CSS, url_fetcher=fetcher)])


def yuan(value) -> str:
    """¥1,234.00 from a decimal string or Decimal; never through a float."""
    if value is None or value == "":
        return "—"
    return f"¥{Decimal(str(value)):,.2f}"


def beijing(value) -> str:
    """A stored instant (ISO string or datetime) in the platform's legal time zone, to the second."""
    if not value:
        return "—"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(local_tz()).strftime("%Y-%m-%d %H:%M:%S")
