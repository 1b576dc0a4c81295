"""The one PDF renderer (trading.pdf): it fetches nothing but data: URLs and writes Chinese text."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from trading.pdf import DataOnlyURLFetcher, render_pdf


def _pdftotext(data: bytes, tmp_path) -> str:
    assert shutil.which("pdftotext"), "pdftotext missing: `make test` installs Debian's poppler-utils"
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout
    return "".join(text.split())


def test_pdf_fetcher_refuses_files_and_network(tmp_path):
    pixel = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
             "+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
    html = ('<html><head><link rel="stylesheet" href="http://example.invalid/x.css">'
            '<style>@import url("file:///etc/hostname");</style></head><body><p>开标记录</p>'
            '<img src="file:///etc/passwd"><img src="http://example.invalid/a.png">'
            f'<img src="{pixel}"><object data="file:///etc/passwd"></object></body></html>')
    fetcher = DataOnlyURLFetcher()
    pdf = render_pdf(html, fetcher)
    assert pdf.startswith(b"%PDF")
    assert any(u.startswith("file:///etc/passwd") for u in fetcher.refused)
    assert any(u.startswith("http://example.invalid") for u in fetcher.refused)
    assert not any(u.startswith("data:") for u in fetcher.refused)
    with pytest.raises(ValueError):
        fetcher.fetch("file:///etc/passwd")
    text = _pdftotext(pdf, tmp_path)
    assert "root:" not in text


def test_cjk_text_without_a_template_font(tmp_path):
    """No font-family in the page: the renderer's own CJK default embeds a Noto CJK face."""
    pdf = render_pdf("<html><body><p>开标记录 监督记录 社会监督员证书</p></body></html>")
    assert "开标记录监督记录社会监督员证书" in _pdftotext(pdf, tmp_path)
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout
    assert "CJK" in fonts, fonts
