"""Every sandbox document says so: the opening-record and supervision-record PDFs carry the sandbox mark, like
the pages; a real trade's do not (issue 9)."""
from __future__ import annotations

import pytest

from tests.monitor.supervisors.supervisor_helpers import pdftotext
from trading.clock import now


@pytest.fixture
def pair(app, db, make_trade, clock):
    """A real trade and a sandbox one, rendered inside a request as the routes render them."""
    real = make_trade(title="Road works lot 1")
    sandbox = make_trade(title="Training tender lot 2", sandbox=True, accelerator=1440)
    db.session.commit()
    with app.test_request_context("/"):
        yield real, sandbox


def _opening_record_pdf(db, trade) -> bytes:
    from bidding.ceremony.models import OpeningCeremony
    from bidding.ceremony.record_pdf import render_opening_record

    ceremony = OpeningCeremony(trade_id=trade.id, started_at=now(), finished_at=now(), record="{}",
                               record_sha256="ab" * 32)
    db.session.add(ceremony)
    db.session.flush()
    record = {"trade": {"ref": trade.ref, "title": trade.title, "centre": trade.centre.name_zh,
                        "tenderer": trade.tenderer.name},
              "opening_at": now().isoformat(), "finished_at": now().isoformat(), "outcome": "opened",
              "valid_bids": 3, "min_bids": 3, "opening_key_fingerprint": "cd" * 32, "entries": []}
    return render_opening_record(record, "ab" * 32, ceremony)


def test_opening_record_pdf_of_a_sandbox_trade_is_marked(db, pair, tmp_path):
    real, sandbox = pair
    marked = pdftotext(_opening_record_pdf(db, sandbox), tmp_path, "sandbox.pdf")
    plain = pdftotext(_opening_record_pdf(db, real), tmp_path, "real.pdf")
    assert "沙箱交易，" in marked and "1440" in marked  # the banner
    assert "沙箱交易：非真实交易" in marked  # every page's mark
    assert "SANDBOX" not in marked  # a Chinese document carries no English mark
    assert "沙箱" not in plain and "SANDBOX" not in plain


def test_supervision_record_pdf_of_a_sandbox_trade_is_marked(db, pair, tmp_path):
    from monitor.supervisors.pdf import render_supervision_record

    real, sandbox = pair
    marked = pdftotext(render_supervision_record(sandbox), tmp_path, "sandbox.pdf")
    plain = pdftotext(render_supervision_record(real), tmp_path, "real.pdf")
    assert "沙箱交易，" in marked and "沙箱交易：非真实交易" in marked  # the banner and every page's mark
    assert "SANDBOX" not in marked
    assert "沙箱" not in plain and "SANDBOX" not in plain
