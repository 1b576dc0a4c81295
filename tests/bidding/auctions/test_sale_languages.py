"""The sale's pages, its API answers and its amendment notice read in one language each: English without
Chinese, Chinese without English, outside what people typed (as tests/bidding/test_both_languages.py
checks every other page)."""
from __future__ import annotations

import io
from datetime import timedelta

from bidding.auctions import services as auctions
from tests.bidding.auctions.conftest import ISSUE, LISTING_FROM, STARTING_PRICE, qualify_buyer
from tests.bidding.test_both_languages import _typed, offences, visible
from tests.conftest import api_headers, login
from trading.trades import services as trades


def _read(app, who: str, lang: str, url: str) -> tuple[int, str]:
    client = app.test_client()
    if who != "anonymous":
        login(client, who)
    client.get(f"/lang/{'en' if lang == 'en' else 'zh_CN'}")
    headers = {"Accept-Language": "en" if lang == "en" else "zh-CN"}
    if url.startswith("/api/") and who != "anonymous":
        headers |= api_headers(client, who)
    response = client.get(url, headers=headers)
    kind = response.mimetype or ""
    return response.status_code, visible(response.get_data(as_text=True), kind)


def test_the_sale_reads_in_one_language(app, db, land_sale, land, clock):
    trade = land_sale
    clock.freeze(ISSUE + timedelta(days=2))
    auctions.amend(land["staff"], trade, {"increment": "150000.00"}, "变更公告", "加价幅度调整")
    reg = auctions.register(land["buyer1"], trade)
    auctions.add_document(land["buyer1"], reg, "licence.pdf", "application/pdf", io.BytesIO(b"%PDF-1.4 x"))
    auctions.register(land["buyer3"], trade)  # waits: the staff's page shows its forms
    qualify_buyer(land, trade, "buyer2")
    auctions.confirm_and_qualify(land["staff"], reg, "BOC-1", "6222 1")
    db.session.commit()
    clock.freeze(trade.listing_from)
    trades.advance_due()
    auctions.quote(land["buyer1"], trade, STARTING_PRICE)
    auctions.quote(land["buyer2"], trade, STARTING_PRICE)  # refused (too low), kept: the company reads why
    auctions.change_increment(land["staff"], trade, "120000.00", "竞价放缓")
    db.session.commit()
    assert trade.listing_from > LISTING_FROM  # the amendment restarted the announcement
    typed = _typed(db) + ["加价幅度调整", "竞价放缓", "licence.pdf", "BOC-1", "6222 1", "Plot C-07 land use rights",
                          "Land Buyer 1 Co.", "Land Buyer 2 Co.", "Land Buyer 3 Co."]
    page = f"/bidding/trades/{trade.id}/listing"
    reads = [("anonymous", page), ("buyer1", page), ("buyer2", page), ("buyer3", page), ("land_staff", page),
             ("land_staff", f"{page}/manage"), ("anonymous", f"/trades/{trade.ref}"),
             ("anonymous", f"/api/v1/trades/{trade.id}/sale"), ("buyer2", f"/api/v1/trades/{trade.id}/sale/quotes/mine"),
             ("land_staff", f"/api/v1/trades/{trade.id}/sale/registrations")]
    found = []
    for lang in ("en", "zh_CN"):
        for who, url in reads:
            if lang == "zh_CN" and url.startswith("/api/"):
                continue  # keys and codes are identifiers; the API's texts are checked in English
            status, text = _read(app, who, lang, url)
            assert status == 200, (who, url, status)
            bad = offences(text, lang, typed)
            if bad:
                found.append(f"{lang} {who} {url}: {bad}")
    assert not found, "\n".join(found)
