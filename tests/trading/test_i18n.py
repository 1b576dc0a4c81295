"""The translation layer: every message has a Chinese translation; pages and the API speak Chinese first."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.conftest import api_headers

TRANSLATIONS = Path(__file__).resolve().parents[2] / "trading" / "translations"
#: %(name)s, %(n)d, %% and the like (python-format) and {min} (python-brace-format).
PERCENT = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")
BRACE = re.compile(r"\{[^{}]*\}")
HAN = re.compile(r"[\u4e00-\u9fff]")


def _read(path: Path):
    with path.open("rb") as f:
        return read_po(f)


def _placeholders(text: str, flags: set[str]) -> list[str]:
    found = PERCENT.findall(text) if "python-format" in flags else []
    if "python-brace-format" in flags:
        found += BRACE.findall(text)
    return sorted(found)


@pytest.fixture(scope="module")
def template():
    return _read(TRANSLATIONS / "messages.pot")


@pytest.fixture(scope="module")
def zh():
    return _read(TRANSLATIONS / "zh_CN" / "LC_MESSAGES" / "messages.po")


def test_every_message_has_a_chinese_translation(template, zh):
    missing, fuzzy, untranslated, not_chinese = [], [], [], []
    for msg in template:
        if not msg.id:
            continue
        found = zh.get(msg.id, context=msg.context)
        if found is None:
            missing.append(msg.id)
        elif found.fuzzy:
            fuzzy.append(msg.id)
        elif not (found.string if isinstance(found.string, str) else all(found.string)):
            untranslated.append(msg.id)
        elif not HAN.search(found.string if isinstance(found.string, str) else found.string[0]) \
                and msg.id not in ("SANDBOX ×%(n)d",):
            not_chinese.append(msg.id)
    assert not missing, f"msgids not in zh_CN messages.po (run pybabel update): {missing}"
    assert not fuzzy, f"fuzzy zh_CN translations: {fuzzy}"
    assert not untranslated, f"empty zh_CN translations: {untranslated}"
    assert not not_chinese, f"zh_CN translations with no Chinese in them: {not_chinese}"


def test_translations_keep_every_placeholder(zh):
    wrong = []
    for msg in zh:
        if not msg.id or not msg.string:
            continue
        ids = msg.id if isinstance(msg.id, tuple) else (msg.id,)
        strings = msg.string if isinstance(msg.string, tuple) else (msg.string,)
        flags = set(msg.flags)
        if "python-format" not in flags and PERCENT.search(ids[0]) and "%(" in ids[0]:
            wrong.append((msg.id, "python-format flag lost"))
        expected = _placeholders(ids[-1], flags)
        for s in strings:
            if _placeholders(s, flags) != expected:
                wrong.append((msg.id, s))
    assert not wrong, wrong
    assert not list(zh.check()) or all(not errors for _m, errors in zh.check()), list(zh.check())


def test_english_catalog_exists_with_the_same_messages(template):
    en = _read(TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po")
    assert str(en.locale) == "en"
    ids = {m.id for m in template if m.id}
    assert ids <= {m.id for m in en if m.id}


def test_portal_is_chinese_by_default_and_english_on_request(client, published_trade):
    zh_html = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in zh_html
    for text in ("公共资源交易平台", "交易公告", "公告", "投标截止时间", "开放投标", "工程建设：公开招标"):
        assert text in zh_html, text
    assert "Trading notices" not in zh_html

    en_html = client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in en_html
    for text in ("Public Resource Trading Platform", "Trading notices", "Bid deadline", "Open for bids",
                 "Works: open tender"):
        assert text in en_html, text
    assert "交易公告" not in en_html


def test_trade_page_rules_read_naturally_in_chinese(client, published_trade):
    html = client.get(f"/trades/{published_trade.ref}").get_data(as_text=True)
    assert "投标截止时间须在招标文件开始发出之后至少20日（招标投标法 第24条）" in html
    en = client.get(f"/trades/{published_trade.ref}?lang=en").get_data(as_text=True)
    assert "bid deadline must be at least 20 days after documents are issued (Tendering Law Art. 24)" in en


def test_language_switch_sticks_for_the_session(client, users):
    assert client.get("/lang/en").status_code in (301, 302, 303)
    assert "Trading notices" in client.get("/").get_data(as_text=True)
    client.get("/lang/zh_CN")
    assert "交易公告" in client.get("/").get_data(as_text=True)


def test_api_422_is_chinese_by_default_and_english_on_request(client, users):
    headers = api_headers(client, "staff")

    response = client.post("/api/v1/trades", json={"title": ""}, headers=headers)
    assert response.status_code == 422
    body = response.get_json()
    assert body["message"] == "部分字段填写有误。"
    assert "此项为必填项" in body["errors"]["centre_id"]
    assert body["errors"]["title"] == ["长度须在2至200个字符之间"]

    response = client.post("/api/v1/trades", json={"title": ""}, headers={**headers, "Accept-Language": "en"})
    assert response.status_code == 422
    body = response.get_json()
    assert body["message"] == "Some fields are not valid."
    assert "is required" in body["errors"]["centre_id"]
    assert body["errors"]["title"] == ["must be between 2 and 200 characters"]


def test_api_rule_violation_is_translated(client, users, centres):
    headers = api_headers(client, "staff")
    data = {"centre_id": centres["WORKS"].id, "method": "works_open_tender",
            "tenderer_id": users["tenderer"].organisation_id, "title": "Road works lot 9",
            "estimated_price": "5000000.00", "bid_security": "100000.00",
            "issue_at": "2026-03-03T09:00:00+08:00", "docs_until": "2026-03-13T09:00:00+08:00",
            "bid_deadline": "2026-03-10T09:00:00+08:00", "opening_at": "2026-03-10T09:00:00+08:00"}
    created = client.post("/api/v1/trades", json=data, headers=headers)
    assert created.status_code == 201, created.get_json()
    trade_id = created.get_json()["id"]

    zh = client.post(f"/api/v1/trades/{trade_id}/transitions", json={"move": "submit"}, headers=headers)
    assert zh.status_code == 422, zh.get_json()
    assert "投标截止时间须在招标文件开始发出之后至少20日（招标投标法 第24条）" in zh.get_json()["errors"]["bid_deadline"]

    en = client.post(f"/api/v1/trades/{trade_id}/transitions", json={"move": "submit"},
                     headers={**headers, "Accept-Language": "en-GB,en;q=0.9"})
    assert en.status_code == 422
    assert ("bid deadline must be at least 20 days after documents are issued (Tendering Law Art. 24)"
            in en.get_json()["errors"]["bid_deadline"])
