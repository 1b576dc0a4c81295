"""The translation layer: every message has a Chinese translation; pages and the API speak Chinese first."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.pofile import read_po
from flask_babel import refresh

from tests.conftest import api_headers

TRANSLATIONS = Path(__file__).resolve().parents[2] / "trading" / "translations"
#: %(name)s, %(n)d, %% and the like (python-format) and {min} (python-brace-format).
PERCENT = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")
BRACE = re.compile(r"\{[^{}]*\}")
HAN = re.compile(r"[\u4e00-\u9fff]")


def fetch(client, url: str, method: str = "GET", **kwargs):
    """One request as a server sees it: with its own language choice.

    The fixtures keep one app context open for the whole test, and flask-babel caches the chosen
    locale on `g`, so without a refresh every request would keep the first request's language.
    """
    refresh()
    return client.open(url, method=method, **kwargs)


def _listed(messages) -> list[str]:
    """Field errors as a list (marshmallow leaves a lone lazy "required" message unwrapped)."""
    return messages if isinstance(messages, list) else [messages]


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


def _strings(message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


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
        elif not all(_strings(found)):
            untranslated.append(msg.id)
        elif any(ch.isalpha() for ch in PERCENT.sub("", str(msg.id))) and not all(HAN.search(s) for s in _strings(found)):
            # punctuation- or placeholder-only msgids (", " -> "、", "%(n)d %(unit)s") carry no Han characters
            not_chinese.append(msg.id)
    assert not missing, f"msgids missing from zh_CN messages.po (run pybabel update, then translate): {missing}"
    assert not fuzzy, f"fuzzy zh_CN translations: {fuzzy}"
    assert not untranslated, f"empty zh_CN translations: {untranslated}"
    assert not not_chinese, f"zh_CN translations without any Chinese: {not_chinese}"


def test_translations_keep_every_placeholder_and_format_flag(template, zh):
    wrong = []
    for msg in template:
        found = zh.get(msg.id, context=msg.context) if msg.id else None
        if found is None:
            continue
        flags = set(msg.flags) - {"fuzzy"}
        if not flags <= set(found.flags):
            wrong.append((msg.id, f"flags {sorted(flags - set(found.flags))} lost"))
        ids = msg.id if isinstance(msg.id, tuple) else (msg.id,)
        expected = _placeholders(ids[-1], flags)
        wrong += [(msg.id, s) for s in _strings(found) if s and _placeholders(s, flags) != expected]
    assert not wrong, wrong
    assert not [(m.id, errors) for m, errors in zh.check()]


def test_flask_babel_finds_the_chinese_catalog_under_babels_name_for_zh_cn():
    """Babel expands zh_CN to zh_Hans_CN and looks for that folder; the zh_Hans_CN link points to zh_CN."""
    name = str(Locale.parse("zh_CN"))
    assert (TRANSLATIONS / name / "LC_MESSAGES" / "messages.po").resolve() == \
        (TRANSLATIONS / "zh_CN" / "LC_MESSAGES" / "messages.po").resolve()


def test_english_catalog_exists_with_the_same_messages(template):
    en = _read(TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po")
    assert str(en.locale) == "en"
    ids = {m.id for m in template if m.id}
    assert ids <= {m.id for m in en if m.id}


def test_portal_is_chinese_by_default_and_english_on_request(client, published_trade):
    zh_html = fetch(client, "/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in zh_html
    for text in ("公共资源交易平台", "交易公告", "公告", "投标截止时间", "开放投标", "工程建设：公开招标"):
        assert text in zh_html, text
    assert "Trading notices" not in zh_html

    en_html = fetch(client, "/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in en_html
    for text in ("Public Resource Trading Platform", "Trading notices", "Bid deadline", "Open for bids",
                 "Works: open tender"):
        assert text in en_html, text
    assert "交易公告" not in en_html


def test_trade_page_rules_read_naturally_in_chinese(client, published_trade):
    html = fetch(client, f"/trades/{published_trade.ref}").get_data(as_text=True)
    assert "投标截止时间须在招标文件开始发出之后至少20日（招标投标法 第24条）" in html
    en = fetch(client, f"/trades/{published_trade.ref}?lang=en").get_data(as_text=True)
    assert "Bid deadline must be at least 20 days after documents are issued (Tendering Law Art. 24)" in en


def test_language_switch_sticks_for_the_session(client, users):
    assert fetch(client, "/lang/en").status_code in (301, 302, 303)
    assert "Trading notices" in fetch(client, "/").get_data(as_text=True)
    fetch(client, "/lang/zh_CN")
    assert "交易公告" in fetch(client, "/").get_data(as_text=True)


def test_api_422_is_chinese_by_default_and_english_on_request(client, users):
    headers = api_headers(client, "staff")

    response = fetch(client, "/api/v1/trades", "POST", json={"title": ""}, headers=headers)
    assert response.status_code == 422
    body = response.get_json()
    assert body["message"] == "部分字段填写有误。"
    assert _listed(body["errors"]["centre_id"]) == ["此项为必填项"]
    assert body["errors"]["title"] == ["长度须在2至200个字符之间"]

    response = fetch(client, "/api/v1/trades", "POST", json={"title": ""},
                     headers={**headers, "Accept-Language": "en"})
    assert response.status_code == 422
    body = response.get_json()
    assert body["message"] == "Some fields are not valid."
    assert _listed(body["errors"]["centre_id"]) == ["is required"]
    assert body["errors"]["title"] == ["must be between 2 and 200 characters"]


def test_api_rule_violation_cites_its_source_in_the_callers_language(client, users, centres):
    headers = api_headers(client, "staff")
    too_short = {"centre_id": centres["WORKS"].id, "method": "works_open_tender",
                 "tenderer_id": users["tenderer"].organisation_id, "title": "Road works lot 9",
                 "estimated_price": "5000000.00", "bid_security": "100000.00",
                 "issue_at": "2026-03-03T09:00:00+08:00", "docs_until": "2026-03-09T09:00:00+08:00",
                 "bid_deadline": "2026-03-10T09:00:00+08:00", "opening_at": "2026-03-10T09:00:00+08:00"}

    zh = fetch(client, "/api/v1/trades", "POST", json=too_short, headers=headers)
    assert zh.status_code == 422, zh.get_json()
    assert zh.get_json()["errors"]["bid_deadline"] == ["投标截止时间须在招标文件开始发出之后至少20日（招标投标法 第24条）"]

    en = fetch(client, "/api/v1/trades", "POST", json=too_short,
               headers={**headers, "Accept-Language": "en-GB,en;q=0.9"})
    assert en.status_code == 422, en.get_json()
    assert en.get_json()["errors"]["bid_deadline"] == [
        "bid deadline must be at least 20 days after documents are issued (Tendering Law Art. 24)"]
