"""Who bid stays with the tenderer and the centre's executing staff until the opening (O20 Art 20-21,
Law 22): a marker company downloads the documents, pays a deposit and submits a real sealed bid, a
second one pays, bids and withdraws (its deposit then comes due: a card, notifications, mail), and
every viewer kind walks every GET route of the app (pages, /api/v1 JSON, PDFs, zips, live streams)
plus their notifications and mail. The marker may appear only where the rule allows it.

The route list is read from `app.url_map`: a new route is walked as soon as it exists, unless it is
named in SKIPPED with the reason. Before the marker companies touch the trade, every view is read
once (the baseline): the companies' own registration is in the audit log that supervisors and
deciders read (a registry, not who bid), so what counts is what appears after they took part.
"""
from __future__ import annotations

import io
import json
import re
import subprocess
import zipfile
from datetime import timedelta

import pytest
import sqlalchemy as sa

from bidding.crypto import envelope
from bidding.crypto.envelope_check import content_digest
from bidding.crypto.records import encode_bid
from bidding.keyholders.services import publish_sealed_tender
from tests.bidding.auctions.conftest import (land, land_sale, make_property_sale, prop,  # noqa: F401
                                            property_sale)  # (fixtures of the sale scenes)
from tests.conftest import PASSWORD, START, api_headers, tender_timeline
from trading.accounts.models import OrgKind
from trading.accounts.roles import Role
from trading.accounts.services import create_organisation, create_user
from trading.accounts.uscc import make_uscc
from trading.clock import clock as platform_clock
from trading.notices import services as notices
from trading.trades.flows import TradeState

MARKER = "MARKER-Q7"
#: who may know who bid before the opening: the tenderer and the centre's executing staff
INSIDERS = {"tenderer", "staff", "staff2"}
#: everyone else who looks: none of them may see the marker
OUTSIDERS = ("anonymous", "bidder", "other_tenderer", "staff_proc", "decider", "supervisor", "social", "expert",
             "public")

#: GET routes not walked, each with why (a new route is walked unless it is named here)
SKIPPED = {
    "static": "files shipped with the code",
    "auth.set_language": "sets the language cookie and redirects",
    "portal.confirm_subscription": "needs a mailed token; shows the subscription, not bidders",
    "bidding_api.read_bid_document": "kept bid documents exist only once the bids are opened; their readers "
                                     "are tested in tests/bidding/custody",
    "bidding.bid_document_download": "the same, as a page",
    "bidding_api.award_letter_pdf": "award and result letters exist only after the award; their readers are "
                                    "tested in tests/bidding/award",
    "bidding.award_letter_page": "the same, as a page",
}


def _org(name: str, code: str):
    return create_organisation(name, OrgKind.BIDDER, make_uscc(code))


@pytest.fixture
def app(make_app):
    # a stream answers its backlog and ends: nothing waits on the wall clock
    return make_app(LIVE_MAX_SECONDS=0)


@pytest.fixture
def scene(db, client, keyholding, make_trade, make_user, centres, clock):
    """A sealed works tender open for bids, with documents, and the two marker companies."""
    from datetime import date

    from monitor.supervisors import registry

    users = keyholding
    # the cast's social supervisor is in the centre's registry, so the publication may draw them
    social = registry.register_supervisor(users["decider"], {
        "user_id": users["social"].id, "centre_id": centres["WORKS"].id, "recommended_by": "市总工会",
        "agreement_ref": "PY-social", "agreement_date": date(2026, 3, 1), "agreement_text": "聘任协议正文",
        "rights_duties": "监督开标评标，发现问题及时报告。"})
    db.session.commit()
    trade = make_trade(paper_bids=False, **tender_timeline(START))
    document = notices.upload_document(users["staff"], trade, "tender.pdf", "application/pdf",
                                       io.BytesIO(b"%PDF-1.4 tender documents"))
    publish_sealed_tender(trade, clerk=users["staff"], decider=users["decider"],
                          executing=[users["staff"], users["staff2"]], supervising=[users["supervisor"]])
    db.session.commit()
    assert trade.state is TradeState.BIDDING
    orgs = {"marker": _org(f"{MARKER} 标记建设有限公司", "91330100MQ7000001"),
            "marker_w": _org(f"{MARKER} 撤回工程有限公司", "91330100MQ7000002")}
    for who, org in orgs.items():
        users[who] = create_user(who, PASSWORD, f"{MARKER} {who} 联系人", org, [(Role.BIDDER, None)],
                                 email=f"{who}@test.invalid")
    # a third company bids too: with fewer than three bids nothing is opened (Law 28, Reg 44)
    users["bidder_z"] = create_user("bidder_z", PASSWORD, "第三家联系人", _org("第三建设工程有限公司", "91330100MQ7000003"),
                                    [(Role.BIDDER, None)], email="bidder_z@test.invalid")
    db.session.commit()
    markers = [MARKER] + [org.credit_code for org in orgs.values()]
    return {"trade": trade, "users": users, "orgs": orgs, "markers": markers,
            "document": document.id, "social": social.id}


def _envelope(client, trade, code: str, price: str) -> bytes:
    key = envelope.load_public_key(client.get(f"/api/v1/trades/{trade.id}/opening-key").get_json()["public_key"])
    out = io.BytesIO()
    plaintext = list(encode_bid({"price": price, "duration_days": "360", "note": ""},
                                [("technical.txt", b"technical proposal")]))
    envelope.seal(plaintext, public_key=key, trade_ref=trade.ref, bidder_id=code, version=1, chunk_size=1024,
                  out=out)
    return out.getvalue()


def _bid(client, trade, user, price: str) -> None:
    data = _envelope(client, trade, user.organisation.credit_code, price)
    response = client.post(f"/api/v1/trades/{trade.id}/bids", data=data, content_type="application/octet-stream",
                           headers={**api_headers(client, user.username), "Content-Digest": content_digest(data)})
    assert response.status_code == 201, response.get_json()


def _take_part(db, client, scene) -> None:
    """The marker companies download, pay and bid; the second withdraws, and its deposit comes due."""
    trade, users, orgs = scene["trade"], scene["users"], scene["orgs"]
    login_client = client.application.test_client()
    _login(login_client, "marker")
    assert login_client.get(f"/trades/{trade.ref}/documents/{scene['document']}").status_code == 200
    staff = api_headers(client, "staff")
    for who in ("marker", "marker_w", "bidder"):
        org = orgs[who] if who in orgs else users["bidder"].organisation
        # the staff note who paid, as a bank transfer reads: the note is as confidential as the name
        made = client.post(f"/api/v1/trades/{trade.id}/deposits", headers=staff,
                           json={"organisation_id": org.id, "amount": "100000.00", "note": f"{org.name} 转账"})
        assert made.status_code == 201, made.get_json()
    _bid(client, trade, users["marker"], "4815000.00")
    _bid(client, trade, users["marker_w"], "4700000.00")
    _bid(client, trade, users["bidder"], "4900000.00")
    _bid(client, trade, users["bidder_z"], "4950000.00")
    withdrawn = client.delete(f"/api/v1/trades/{trade.id}/bids", headers=api_headers(client, "marker_w"))
    assert withdrawn.status_code == 200, withdrawn.get_json()
    # a week later the withdrawn company's deposit is due for refund by the end of the day (Reg 35, 57)
    platform_clock.freeze(START + timedelta(days=7))
    from monitor.cards import esupervision

    esupervision.tick()  # the supervision pass, as the scheduler or `flask monitor tick` runs it
    from monitor.cards.models import Card

    card = db.session.scalar(sa.select(Card).where(Card.trade_id == trade.id, Card.subject.like("deposit:%")))
    assert card is not None, "the withdrawn company's deposit should be on a card"
    scene["card"] = card.id
    assert trade.state is TradeState.BIDDING


# ---- walking -----------------------------------------------------------------------------------

def _login(client, username: str) -> None:
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def _values(app, scene) -> dict:
    trade = scene["trade"]
    return {"trade_id": trade.id, "ref": trade.ref, "doc_id": scene["document"], "version": 1,
            "card_id": scene.get("card"), "centre_id": trade.centre_id,
            "supervisor_id": scene["social"],
            # a sale's registration and its documents (bidding/auctions): none on a tender, walked in the sale's
            # own scene below (test_who_registered_for_a_sale_stays_with_the_centres_staff)
            "registration_id": scene.get("registration", 1), "document_id": scene.get("registration_document", 1),
            # a procurement plan names its purchaser and budget lines, never a bidder (procurement/plans)
            "plan_id": scene.get("plan", 1),
            # a negotiation's thread of one supplier (procurement/negotiation): a tender has none (403); its
            # privacy between suppliers is tested in tests/procurement/negotiation/test_rounds.py
            "organisation_id": scene.get("organisation", 1)}


#: query strings that make a route show everything it can (the whole log, a stream's backlog)
QUERIES = {
    "audit_api.list_entries": ["limit=1000", "limit=1000&trade={trade_id}"],
    "live.platform": ["after=0"],
    "live.centre": ["after=0"],
    "live.trade": ["after=0"],
}


def routes(app, values: dict) -> list[tuple[str, str]]:
    """(endpoint, url) of every GET route whose arguments the scene fills; fails on a route it cannot."""
    out, unfilled = [], []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint in SKIPPED:
            continue
        args = {a: values.get(a) for a in rule.arguments}
        if any(v is None for v in args.values()):
            unfilled.append(rule.endpoint)
            continue
        url = rule.build(args, append_unknown=False)[1]
        for query in QUERIES.get(rule.endpoint, [""]):
            out.append((rule.endpoint, url + ("?" + query.format(**values) if query else "")))
    return out, unfilled


def _text(response) -> str:
    """What a reader of this answer reads: text, JSON, PDF text, every member of a zip."""
    data = response.get_data()
    kind = response.mimetype or ""
    if kind == "application/pdf" or data.startswith(b"%PDF"):
        done = subprocess.run(["pdftotext", "-q", "-", "-"], input=data, capture_output=True)
        # a PDF of the platform's own is read as text; an uploaded file that is no real PDF, as bytes
        return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else data.decode("utf-8", "replace")
    if kind == "application/zip" or data.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "\n".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    text = data.decode("utf-8", "replace")
    if kind == "application/json":  # \u escapes would hide a Chinese name
        try:
            return json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            return text
    return text


def _count(text: str, markers: list[str]) -> int:
    return sum(text.count(m) for m in markers)


class Viewer:
    def __init__(self, app, name: str) -> None:
        self.name = name
        self.client = app.test_client()
        self.headers = {}
        if name != "anonymous":
            _login(self.client, name)
            self.headers = api_headers(self.client, name)

    def read(self, url: str) -> tuple[int, str]:
        headers = self.headers if url.startswith("/api/") else {}
        response = self.client.get(url, headers=headers)
        status = response.status_code
        text = _text(response) if status < 400 or status >= 500 else response.get_data(as_text=True)
        response.close()
        assert status < 500, (self.name, url, status, text[:500])
        return status, text


def walk(app, scene, names) -> dict:
    """{(viewer, url): count of markers} for every route, plus each viewer's notifications and mail."""
    seen = {}
    urls, _unfilled = routes(app, _values(app, scene))
    for name in names:
        viewer = Viewer(app, name)
        for _endpoint, url in urls:
            _status, text = viewer.read(url)
            seen[(name, url)] = _count(text, scene["markers"])
    return seen


def _mail_and_notices(db, scene) -> dict[str, list[str]]:
    """Everything the platform told each person (in-app notifications and queued e-mail)."""
    from trading.accounts.models import User
    from trading.mail.models import OutboxMail
    from trading.notices.models import Notification

    db.session.expire_all()
    told: dict[str, list[str]] = {}
    for n in db.session.scalars(sa.select(Notification)):
        user = db.session.get(User, n.user_id)
        told.setdefault(user.username, []).append(f"{n.subject}\n{n.body}")
    for m in db.session.scalars(sa.select(OutboxMail)):
        user = db.session.get(User, m.user_id) if m.user_id else None
        told.setdefault(user.username if user else m.to_addr, []).append(f"{m.subject}\n{m.body}")
    return told


def test_routes_the_walk_cannot_fill_are_named(app, db, scene):
    """Every GET route is walked or skipped for a stated reason: a new one is not silently left out."""
    _take_part(db, app.test_client(), scene)
    _urls, unfilled = routes(app, _values(app, scene))
    assert not unfilled, f"fill these routes' arguments in _values, or name them in SKIPPED: {unfilled}"


def _leaks(before: dict, after: dict) -> list[str]:
    return sorted(f"{who} {url} (+{after[(who, url)] - before.get((who, url), 0)})"
                  for who, url in after if who not in INSIDERS and after[(who, url)] > before.get((who, url), 0))


PSEUDONYM = re.compile(r"^(投标人|Bidder) [A-Z]+$")


def _deposits(client, trade, who: str) -> dict[str, dict]:
    response = client.get(f"/api/v1/trades/{trade.id}/deposits", headers=api_headers(client, who))
    assert response.status_code == 200, response.get_json()
    return {d["organisation"]: d for d in response.get_json()}


def test_who_bid_stays_with_the_tenderer_and_executing_staff_until_the_opening_record(app, db, client, scene):
    from tests.bidding.ceremony.test_ceremony import _complete, _release, _start
    from tests.bidding.conftest import PASSPHRASES

    trade, orgs = scene["trade"], scene["orgs"]
    names = ("anonymous", *OUTSIDERS[1:], *sorted(INSIDERS))
    before = walk(app, scene, names)
    _take_part(db, client, scene)
    bidding = walk(app, scene, names)
    leaks = _leaks(before, bidding)
    assert not leaks, "while bids are taken, who bid is shown to:\n" + "\n".join(leaks)

    told = _mail_and_notices(db, scene)
    assert {"supervisor", "staff"} <= set(told), "the deposit card should have been announced"
    leaked_mail = sorted(who for who, texts in told.items()
                         if who not in INSIDERS | {"marker", "marker_w"}
                         and any(_count(t, scene["markers"]) for t in texts))
    assert not leaked_mail, f"notifications or mail name a bidder to {leaked_mail}"
    assert any(_count(t, scene["markers"]) for t in told["staff"]), "the executing staff are told whose deposit"

    # the rule is not vacuous: those who may know read the names, the others pseudonyms and counts
    assert {orgs["marker"].name, orgs["marker_w"].name} <= set(_deposits(client, trade, "staff"))
    watched = _deposits(client, trade, "supervisor")
    assert len(watched) == 3 and all(PSEUDONYM.match(label) for label in watched), watched
    assert all(d["organisation_id"] is None for d in watched.values())
    assert len(set(watched) | set(_deposits(client, trade, "decider"))) == 3  # one pseudonym per company
    card = client.get(f"/api/v1/cards/{scene['card']}", headers=api_headers(client, "supervisor")).get_json()
    alias = next(label for label, d in watched.items() if f"deposit:{d['id']}" == card["subject"])
    assert alias in card["detail"], (alias, card["detail"])  # the card names the deposit as the deposits page does

    # the opening has begun and a marker company objects: still no record, still nobody else knows
    platform_clock.freeze(trade.opening_at)
    assert _start(client, trade).status_code == 201
    objection = client.post(f"/api/v1/trades/{trade.id}/ceremony/objections", json={"text": "我方对开标程序有异议"},
                            headers=api_headers(client, "marker"))
    assert objection.status_code == 201, objection.get_json()
    opening = walk(app, scene, names)
    leaks = _leaks(before, opening)
    assert not leaks, "during the opening, before its record, who bid is shown to:\n" + "\n".join(leaks)

    # the opening reads the bidders aloud (Law Art 36): named in its record, they are public; the company that withdrew is not in it
    for who in PASSPHRASES:
        assert _release(client, trade, who).status_code == 201
    assert _complete(client, trade).status_code == 200
    record = client.get(f"/api/v1/trades/{trade.id}/opening-record").get_json()
    assert orgs["marker"].name in json.dumps(record, ensure_ascii=False)
    assert orgs["marker_w"].name not in json.dumps(record, ensure_ascii=False)
    watched = _deposits(client, trade, "supervisor")
    assert orgs["marker"].name in watched and orgs["marker_w"].name not in watched
    assert sum(1 for label in watched if PSEUDONYM.match(label)) == 1
    card = client.get(f"/api/v1/cards/{scene['card']}", headers=api_headers(client, "supervisor")).get_json()
    assert orgs["marker_w"].name not in card["detail"] and "MARKER" not in card["detail"]


# ---- land and property sales (bidding/auctions) ---------------------------------------------------

#: who may know who registered for a sale before the deal: the centre's executing staff and the company itself
SALE_INSIDERS = {"land_staff", "smarker"}
SALE_OUTSIDERS = ("anonymous", "buyer1", "tenderer", "land_decider", "land_supervisor", "land_social", "staff",
                  "supervisor", "expert", "public")


def test_who_registered_for_a_sale_stays_with_the_centres_staff(app, db, land_sale, land, users, clock):
    """A marker company registers for a land listing (its document's name, its payment reference and its
    paying account name it too), is qualified and quotes; a second one is refused with a reason that names
    it. Every viewer but the land centre's staff and the company itself reads paddle numbers and counts."""
    from bidding.auctions import services as auctions
    from tests.bidding.auctions.conftest import ISSUE, LISTING_FROM, STARTING_PRICE
    from trading.trades import services as trades

    clock.freeze(ISSUE)
    orgs = {"smarker": _org(f"{MARKER} 置业有限公司", "91330100MQ7000011"),
            "smarker_r": _org(f"{MARKER} 被拒投资有限公司", "91330100MQ7000012")}
    for who, org in orgs.items():
        users[who] = create_user(who, PASSWORD, f"{MARKER} {who} 联系人", org, [(Role.BIDDER, None)],
                                 email=f"{who}@test.invalid")
    db.session.commit()
    markers = [MARKER] + [org.credit_code for org in orgs.values()]
    scene = {"trade": land_sale, "markers": markers, "document": 1, "social": 1, "card": 1}
    names = (*SALE_OUTSIDERS, *sorted(SALE_INSIDERS))
    before = walk(app, scene, names)

    reg = auctions.register(users["smarker"], land_sale)
    doc = auctions.add_document(users["smarker"], reg, f"{MARKER} 营业执照.pdf", "application/pdf",
                                io.BytesIO(f"%PDF-1.4 {MARKER}".encode()))
    auctions.confirm_and_qualify(land["staff"], reg, f"{MARKER}-PAY-1", f"{MARKER} 6222 0000 0001")
    refused = auctions.register(users["smarker_r"], land_sale)
    auctions.refuse(land["staff"], refused, f"{MARKER} 被拒投资有限公司 营业执照过期")
    from tests.bidding.auctions.conftest import qualify_buyer

    qualify_buyer(land, land_sale, "buyer1")
    db.session.commit()
    platform_clock.freeze(LISTING_FROM)
    trades.advance_due()
    auctions.quote(users["smarker"], land_sale, STARTING_PRICE)
    auctions.quote(land["buyer1"], land_sale, STARTING_PRICE - 1)  # refused, kept
    db.session.commit()
    scene |= {"registration": reg.id, "registration_document": doc.id}

    after = walk(app, scene, names)
    leaks = sorted(f"{who} {url} (+{after[(who, url)] - before.get((who, url), 0)})" for who, url in after
                   if who not in SALE_INSIDERS and after[(who, url)] > before.get((who, url), 0))
    assert not leaks, "before the deal, who registered is shown to:\n" + "\n".join(leaks)
    # not vacuous: the staff read the company on their page and its document; the company reads its own
    seen = {who: sum(n for (w, _url), n in after.items() if w == who) for who in SALE_INSIDERS}
    assert all(seen.values()), seen
    board = Viewer(app, "anonymous").read(f"/api/v1/trades/{land_sale.id}/sale")[1]
    assert f'"paddle": {reg.paddle}' in board and '"qualified": 2' in board


PROPERTY_INSIDERS = {"prop_staff", "pmarker", "pmarker_r"}  # the exchange's staff; each company reads its own
PROPERTY_OUTSIDERS = ("anonymous", "buyer1", "tenderer", "prop_decider", "prop_supervisor", "land_staff", "staff",
                      "supervisor", "expert", "public")


def test_who_registered_for_a_property_transfer_stays_with_the_exchange_staff(app, db, property_sale, prop, users,
                                                                              clock):
    """The same for a property transfer (O32): a marker company registers during the disclosure and is
    qualified, a second is refused with a reason naming it, buyer1 qualifies too; at the disclosure's end the
    two transferees go to the live round. Every page, API answer, PDF and stream, and every notification and
    mail, names the marker only to the exchange's staff and the company itself."""
    from bidding.auctions import services as auctions
    from bidding.auctions.property import closing
    from bidding.deposits.services import record_deposit
    from tests.bidding.auctions.conftest import ISSUE, PROP_CLOSE
    from trading.trades import services as trades

    clock.freeze(ISSUE + timedelta(hours=1))
    orgs = {"pmarker": _org(f"{MARKER} 受让投资有限公司", "91330100MQ7000021"),
            "pmarker_r": _org(f"{MARKER} 被拒受让有限公司", "91330100MQ7000022")}
    for who, org in orgs.items():
        users[who] = create_user(who, PASSWORD, f"{MARKER} {who} 联系人", org, [(Role.BIDDER, None)],
                                 email=f"{who}@test.invalid")
    db.session.commit()
    markers = [MARKER] + [org.credit_code for org in orgs.values()]
    scene = {"trade": property_sale, "markers": markers, "document": 1, "social": 1, "card": 1}
    names = (*PROPERTY_OUTSIDERS, *sorted(PROPERTY_INSIDERS))
    before = walk(app, scene, names)

    reg = auctions.register(users["pmarker"], property_sale)
    doc = auctions.add_document(users["pmarker"], reg, f"{MARKER} 营业执照.pdf", "application/pdf",
                                io.BytesIO(f"%PDF-1.4 {MARKER}".encode()))
    auctions.confirm_and_qualify(prop["staff"], reg, f"{MARKER}-PAY-2", f"{MARKER} 6222 0000 0002")
    refused = auctions.register(users["pmarker_r"], property_sale)
    auctions.refuse(prop["staff"], refused, f"{MARKER} 被拒受让有限公司 资格证明不全")
    other = auctions.register(prop["buyer1"], property_sale)
    auctions.qualify(prop["staff"], other, record_deposit(prop["staff"], property_sale,
                                                          prop["buyer1"].organisation_id, property_sale.bid_security,
                                                          payer_account="6222 1111 0001"))
    db.session.commit()
    platform_clock.freeze(PROP_CLOSE)
    trades.advance_due()
    assert closing.path_of(property_sale) == closing.COMPETITIVE
    closing.start_competition(prop["staff"], property_sale)
    db.session.commit()
    assert property_sale.state is TradeState.TIMED_BIDDING
    scene |= {"registration": reg.id, "registration_document": doc.id}

    after = walk(app, scene, names)
    leaks = sorted(f"{who} {url} (+{after[(who, url)] - before.get((who, url), 0)})" for who, url in after
                   if who not in PROPERTY_INSIDERS and after[(who, url)] > before.get((who, url), 0))
    assert not leaks, "before the deal, who registered is shown to:\n" + "\n".join(leaks)
    seen = {who: sum(n for (w, _url), n in after.items() if w == who) for who in ("prop_staff", "pmarker")}
    assert all(seen.values()), seen  # not vacuous: the staff and the company read the name somewhere
    told = {who: texts for who, texts in _mail_and_notices(db, scene).items()
            if any(_count(text, markers) for text in texts)}
    assert set(told) <= PROPERTY_INSIDERS | {f"{who}@test.invalid" for who in PROPERTY_INSIDERS}, told
    assert "pmarker_r" in told  # the refused company reads its own reason
