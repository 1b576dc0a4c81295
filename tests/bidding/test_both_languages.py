"""Both languages, everywhere: every page, PDF, notification and card reads in the reader's language.

Trades at every stage (draft, submitted, open for bids with a clarification that moved the deadline,
opened with its record signed, failed (流标) for too few bids, postponed, timed out), a card of every
kind and problem, and the notifications of every kind are built once; then every GET route of the
app (read from `app.url_map`, as tests/bidding/test_bidder_privacy.py walks it) is read by every
viewer kind in Chinese and in English, and so is every notification and card, in both languages.

An English answer fails on any Chinese character, a Chinese answer on any English word, outside:
- what people typed (trade titles, company and person names, reasons, notes): it stays as typed,
  so the scene's own typed text is taken out before looking;
- the short allow-lists below, each entry with its reason.
The JSON API is read in English only (its keys and codes are identifiers by design; its texts are
in the asked language), and so are the live streams.
"""
from __future__ import annotations

import html
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from tests.bidding.test_bidder_privacy import (  # noqa: F401  (app and scene are fixtures)
    OUTSIDERS, INSIDERS, SKIPPED as PRIVACY_SKIPPED, _take_part, _text, app, routes, scene)
from tests.conftest import api_headers, tender_timeline
from trading.clock import clock as platform_clock

#: CJK ideographs and CJK punctuation (full-width colon, comma, brackets: a sure sign of Chinese text)
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff0f\uff1a-\uff20]+")
WORD = re.compile(r"(?<![A-Za-z0-9_./:@-])[A-Za-z][A-Za-z'’]*(?:-[A-Za-z]+)*(?![A-Za-z0-9_@])")

#: Chinese that may stand on an English page: proper names the platform itself ships.
ZH_ALLOWED = (
    # the brand's Chinese name shown beside the English one in the language switch
    "中文",
)
#: English words that may stand on a Chinese page: codes, units, standards and names that Chinese
#: readers use as they are (the language switch reads "English" in English, as every switch does).
EN_ALLOWED = {
    "English",  # the language switch
    "OpenAPI",  # the name of the API description standard
    "KiB",  # a file size's unit
    "PDF", "JSON", "ZIP", "CSV", "API", "URL", "SSE", "HTTP", "HTTPS", "ID",  # formats and protocols
    "SHA", "HPKE", "Ed", "RFC", "AES", "GCM", "HKDF", "ECDH", "P", "Shamir", "Merkle", "WebCrypto",  # crypto names
    "UTC", "GMT", "MB", "KB", "GB",  # units and time zones
    "Base", "hex",  # encodings named in key formats
    "Fisher-Yates",  # the shuffle the draws use, by its inventors' names
    "Python", "cryptography",  # what the offline verifier needs installed, by their names
    "JavaScript",  # what the browser runs to make keys
}

#: routes not read in this test (beyond those the privacy walk skips), each with why
SKIPPED = {
    **PRIVACY_SKIPPED,
    "audit_api.export_zip": "the audit export: canonical entries as recorded and hashed, not text for reading",
    "monitor_audit.export_zip": "the same export through the page",
    "api.openapi": "the API description for programmers (English by convention, like the field names)",
    "bidding_api.get_sealed_share": "key material",
    "bidding.ceremony_share": "key material",
    "bidding.bid_receipt": "the signed receipt as signed: data, not text",
    "api.download_document": "an uploaded file as uploaded",
    "bidding_api.get_opening_record": "the signed opening record as signed (the record's language); its PDF and "
                                      "the ceremony page render it in the reader's",
    "audit_api.list_entries": "the audit log's entries: rows as written and hashed, data not text",
    "live.platform": "the live streams carry audit entries (rows as written); the pages render them",
    "live.centre": "as live.platform",
    "live.trade": "as live.platform",
    "portal.download": "an uploaded file as uploaded",
}


class _Visible(HTMLParser):
    """The text a reader sees: text nodes and the attributes shown as text (title, placeholder, alt,
    aria-label, a button's value); not scripts, styles or code identifiers."""

    SHOWN = ("title", "placeholder", "alt", "aria-label")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template", "code", "kbd", "samp"):
            self.hidden += 1
        shown = dict(attrs)
        for name in self.SHOWN:
            if shown.get(name):
                self.parts.append(shown[name])
        if tag == "input" and shown.get("type") in ("submit", "button") and shown.get("value"):
            self.parts.append(shown["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template", "code", "kbd", "samp") and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible(text: str, kind: str) -> str:
    if kind == "text/html":
        # an element marked as Chinese (`<span lang="zh-CN">`) holds Chinese by design: the price in capital
        # numerals (大写), written in Chinese whatever the page's language
        text = re.sub(r'<(\w+)[^>]*\blang="zh-CN"[^>]*>[^<]*</\1>', " ", text)
        parser = _Visible()
        parser.feed(text)
        return "\n".join(parser.parts)
    return text


def _typed(db) -> list[str]:
    """Every text a person typed into the scene (it stays as typed), longest first."""
    from bidding.ceremony.models import CeremonyExit, Objection
    from bidding.deposits.models import BidDeposit
    from monitor.supervisors.models import SocialSupervisor
    from trading.accounts.models import Organisation, User
    from trading.notices.models import Clarification, Document
    from trading.trades.models import Trade

    found: set[str] = set()
    for model, fields in ((Trade, ("title", "description")), (Organisation, ("name",)),
                          (User, ("username", "display_name", "email")), (Clarification, ("title", "body")),
                          (Document, ("filename",)), (Objection, ("text", "answer")), (BidDeposit, ("note",)),
                          (CeremonyExit, ("reason",)),
                          (SocialSupervisor, ("recommended_by", "agreement_ref", "agreement_text", "rights_duties"))):
        for row in db.session.scalars(sa.select(model)):
            for name in fields:
                value = getattr(row, name, None)
                if isinstance(value, str) and value.strip():
                    found.add(value.strip())
    found |= set(TYPED)
    return sorted(found, key=len, reverse=True)


#: reasons and notes the scene's people type (they stay as typed)
TYPED = ("开标现场网络中断", "评标专家未到场，择期开标", "依法流标", "已按时退还", "已核实，保证金将于今日退还")


def _strip(text: str, typed: list[str]) -> str:
    for t in typed:
        text = text.replace(t, " ")
        text = text.replace(html.escape(t, quote=False), " ")
    # a command to type stands as it is typed (`python -m monitor.verify export-dir`)
    text = re.sub(r"(?:python -m|flask --app) [\w.]+(?:[ \t]+-{0,2}[a-zA-Z][\w.-]*)*", " ", text)
    # identifiers: URLs, e-mail addresses, paths, hashes, references, anything with a digit
    text = re.sub(r"https?://\S+|\S+@\S+|(?<!\w)/[\w./<>?=&%-]*|[A-Za-z_][\w.-]*/[\w./-]*", " ", text)
    text = re.sub(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]+\.(?:json|zip|pem|pdf|txt)(?![A-Za-z0-9_])", " ", text)  # files
    text = re.sub(r"\b[0-9a-fA-F]{8,}\b|[A-Za-z0-9_.:+-]*\d[A-Za-z0-9_.:+-]*", " ", text)
    # a JSON field named for its language (`title_zh`, a citation's `zh`) holds that language by design
    text = re.sub(r'"(?:\w+_)?zh": "(?:[^"\\]|\\.)*"', " ", text)
    return text


def chinese_in_english(text: str) -> list[str]:
    found = []
    for run in CJK.findall(text):
        if run not in ZH_ALLOWED:
            found.append(run)
    return found


def english_in_chinese(text: str) -> list[str]:
    return [w for w in WORD.findall(text) if w not in EN_ALLOWED and not (w.isupper() and len(w) <= 5)]


def _context(text: str, bad: list[str]) -> str:
    first = bad[0]
    i = text.find(first)
    unique = list(dict.fromkeys(bad))
    return f"{unique[:12]} near {text[max(0, i - 40):i + len(first) + 40]!r}"


#: "1 notices": an English count that skipped ngettext (verbs after a number are not plurals)
ONE_PLURAL = re.compile(r"(?<![\d.,])\b1 (?!is\b|was\b|has\b|does\b|means\b)[a-z]+s\b")


def offences(text: str, lang: str, typed: list[str]) -> str | None:
    clean = _strip(text, typed)
    bad = chinese_in_english(clean) if lang == "en" else english_in_chinese(clean)
    if lang == "en":
        bad += ONE_PLURAL.findall(text)
        if bad and not clean.count(bad[0]):
            clean = text
    return _context(clean, bad) if bad else None


# ---- the scene: trades at every stage ---------------------------------------------------------------

def _sealed_trade(make_trade, users, **overrides):
    from bidding.keyholders.services import publish_sealed_tender

    trade = make_trade(paper_bids=False, **overrides)
    publish_sealed_tender(trade, clerk=users["staff"], decider=users["decider"],
                          executing=[users["staff"], users["staff2"]], supervising=[users["supervisor"]])
    return trade


@pytest.fixture
def stages(db, client, scene, make_trade, clock):
    """Beside the privacy scene's trade (open for bids, then opened): one trade at every other stage,
    a clarification that moved a deadline, cards of every kind and card steps that notify."""
    from bidding.ceremony import exits
    from monitor.cards import services as cards
    from tests.bidding.ceremony.test_ceremony import _complete, _release, _start
    from tests.bidding.conftest import PASSPHRASES
    from tests.bidding.test_bidder_privacy import _bid
    from trading.notices import services as notices
    from trading.rules.norms import Finding, Level
    from trading.trades import services as trades

    users, main = scene["users"], scene["trade"]
    _take_part(db, client, scene)
    # the social supervisor's draw, fixed at publication, runs once its commit and reveal windows pass
    from monitor.supervisors import rounds

    for _window in range(2):
        platform_clock.freeze(platform_clock.now() + timedelta(hours=1))
        rounds.run_due()
        db.session.commit()
    # a clarification late enough to move the deadline, told to the company that downloaded
    platform_clock.freeze(main.issue_at + timedelta(days=12))
    notices.publish_clarification(users["staff"], main, "澄清：工期要求", "工期由360日改为300日。")
    db.session.commit()

    draft = make_trade(title="人行道改造工程")
    submitted = make_trade(title="排水管网工程")
    trades.move(submitted, "submit", users["staff"])
    db.session.commit()
    # too few bids: the opening fails (流标) with the platform's reason
    failed = _sealed_trade(make_trade, users, title="绿化养护工程", **tender_timeline(platform_clock.now()))
    postponed = _sealed_trade(make_trade, users, title="路灯改造工程", **tender_timeline(platform_clock.now()))
    timed_out = _sealed_trade(make_trade, users, title="桥梁检测服务", **tender_timeline(platform_clock.now()))
    abandoned = _sealed_trade(make_trade, users, title="河道清淤工程", **tender_timeline(platform_clock.now()))
    db.session.commit()
    for trade in (failed, postponed, timed_out, abandoned):
        _bid(client, trade, users["bidder"], "1000000.00")

    # the main trade opens and its record is signed by none yet; the others meet their ends
    platform_clock.freeze(main.opening_at)
    assert _start(client, main).status_code == 201
    for who in PASSPHRASES:
        assert _release(client, main, who).status_code == 201
    assert _complete(client, main).status_code == 200
    for trade in (failed, postponed, timed_out, abandoned):
        platform_clock.freeze(trade.opening_at)
        assert _start(client, trade).status_code == 201
    for who in PASSPHRASES:
        assert _release(client, failed, who).status_code == 201
    assert _complete(client, failed).status_code == 200
    exits.postpone_opening(users["decider"], postponed, TYPED[1], platform_clock.now() + timedelta(days=3))
    exits.fail_opening(users["decider"], abandoned, TYPED[2])
    db.session.commit()
    platform_clock.freeze(timed_out.opening_at + timedelta(hours=6))
    exits.time_out_due()
    db.session.commit()

    # a card of every kind on the main trade, and the steps of the deposit card that notify people
    norms = main.rule_set.norms
    at = platform_clock.now()
    iso = at.isoformat()
    kinds = [("due", {}), ("overdue", {}), ("late", {"end": iso}), ("missing", {}), ("too_fast", {"took_minutes": 3})]
    from monitor.cards.texts import PROBLEMS

    kinds += [("out_of_order", {"problem": p, "move": "close", "found": "bidding", "expected": "closed",
                                "state": "bidding", "previous": iso, "milestone": "bid_deadline",
                                "milestone_at": iso}) for p in PROBLEMS]
    card_ids = []
    for n, (condition, extra) in enumerate(kinds):
        norm = norms[n % len(norms)]
        finding = Finding(norm=norm.code, subject=f"lang:{n}", status="violated", level=Level.YELLOW,
                          condition=condition, params={"start": iso, "due": iso, "earliest": iso, "at": iso, **extra},
                          due_at=at)
        card_ids.append(cards.issue_card(main, finding, "test", at=at).id)
    db.session.commit()
    from monitor.cards.models import Card

    deposit_card = db.session.get(Card, scene["card"])
    cards.transition(deposit_card, "assign", users["supervisor"], assignee=users["staff"], text=TYPED[3])
    cards.transition(deposit_card, "answer", users["staff"], text=TYPED[4])
    cards.transition(deposit_card, "return", users["supervisor"], text=TYPED[3])
    cards.transition(deposit_card, "answer", users["staff"], text=TYPED[4])
    cards.transition(deposit_card, "close", users["supervisor"], text=TYPED[3])
    # the platform's own steps: a yellow card turns red, another clears by itself
    first, second = (db.session.get(Card, i) for i in card_ids[:2])
    cards.transition(first, "escalate", None, finding=Finding(
        norm=first.norm, subject=first.subject, status="violated", level=Level.RED, condition="overdue",
        params=dict(first.params), due_at=at))
    cards.transition(second, "resolve", None)
    db.session.commit()
    return {"trades": [main, draft, submitted, failed, postponed, timed_out, abandoned], "cards": card_ids}


# ---- reading ----------------------------------------------------------------------------------------

class Reader:
    """One viewer in one language, on pages (session language) and the API (Accept-Language)."""

    def __init__(self, app, name: str, lang: str) -> None:
        from tests.bidding.test_bidder_privacy import _login

        self.name, self.lang = name, lang
        self.client = app.test_client()
        self.headers = {"Accept-Language": "en" if lang == "en" else "zh-CN"}
        if name != "anonymous":
            _login(self.client, name)
            self.headers |= api_headers(self.client, name)
        self.client.get(f"/lang/{'en' if lang == 'en' else 'zh_CN'}")

    def read(self, url: str) -> tuple[int, str, str]:
        headers = self.headers if url.startswith("/api/") else {}
        response = self.client.get(url, headers=headers)
        status, kind = response.status_code, response.mimetype or ""
        text = _text(response)
        response.close()
        assert status < 500, (self.name, url, status, text[:500])
        if kind == "application/pdf" or text.startswith("%PDF"):
            kind = "application/pdf"
            # a name wrapped over two lines of a table cell is still the name as typed
            text = re.sub(r"(?<=[\u4e00-\u9fff])[ \t]*\n\s*(?=[\u4e00-\u9fff])", "", text)
        return status, kind, visible(text, kind)


def _all_routes(app, stages, scene) -> list[tuple[str, str]]:
    seen, out = set(), []
    base = {"doc_id": scene["document"], "version": 1, "supervisor_id": scene["social"]}
    for trade in stages["trades"]:
        for card in [scene["card"], *stages["cards"]] if trade is stages["trades"][0] else [scene["card"]]:
            values = {**base, "trade_id": trade.id, "ref": trade.ref, "centre_id": trade.centre_id, "card_id": card}
            urls, _unfilled = routes(app, values)
            for endpoint, url in urls:
                if endpoint not in SKIPPED and url not in seen:
                    seen.add(url)
                    out.append((endpoint, url))
    return out


def test_every_page_and_pdf_reads_in_one_language(app, db, scene, stages):
    typed = _typed(db)
    urls = _all_routes(app, stages, scene)
    found = []
    for lang in ("en", "zh_CN"):
        for name in ("anonymous", *OUTSIDERS[1:], *sorted(INSIDERS)):
            reader = Reader(app, name, lang)
            for endpoint, url in urls:
                if lang == "zh_CN" and url.startswith("/api/"):
                    continue
                status, kind, text = reader.read(url)
                if lang == "zh_CN" and kind == "application/json":
                    continue  # keys and codes are identifiers; its texts are checked in English
                if 300 <= status < 400:
                    continue  # a redirect's body is Werkzeug's, never shown
                bad = offences(text, lang, typed)
                if bad:
                    found.append(f"{lang} {name} {endpoint} {url}: {bad}")
    # one line per (language, endpoint) is enough to find the template or message
    first = {}
    for line in found:
        lang, _name, endpoint = line.split(" ", 3)[:3]
        first.setdefault((lang, endpoint), line)
    assert not first, f"{len(found)} answers mix languages; first per endpoint:\n" + "\n".join(first.values())


def test_every_notification_reads_in_the_readers_language(app, db, scene, stages):
    """Notifications render when read: a person who changes language reads them all in the new one."""
    from trading.notices.models import Notification

    typed = _typed(db)
    kinds = set(db.session.scalars(sa.select(Notification.kind).distinct()))
    assert {"clarification", "supervisor_drawn", "card.issue", "card.escalate", "card.assign", "card.answer",
            "card.return", "card.close", "card.resolve"} <= kinds
    found = []
    people = set(db.session.scalars(sa.select(Notification.user_id).where(Notification.user_id.is_not(None))))
    from trading.accounts.models import User

    for uid in people:
        user = db.session.get(User, uid)
        for lang in ("en", "zh_CN"):
            reader = Reader(app, user.username, lang)
            status, kind, text = reader.read("/workspace/notifications")
            assert status == 200
            bad = offences(text, lang, typed)
            if bad:
                found.append(f"{lang} {user.username}: {bad}")
    assert not found, "\n".join(found)
