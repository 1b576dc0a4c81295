"""The pages and the API read in one language each (Chinese first, English second), and who challenged stays
with the purchaser and the executing staff: the public, other suppliers and the other branches never read the
company before the opening (O20 Art 20-21)."""
from __future__ import annotations

import pytest

from procurement.challenges.models import Filing
from tests.bidding.test_both_languages import Reader, _typed, offences
from tests.bidding.test_bidder_privacy import Viewer
from tests.conftest import api_headers
from tests.procurement.challenges.conftest import local
from trading.accounts.models import OrgKind
from trading.accounts.roles import Role

MARKER = "MARKER-C9 标记科技有限公司"
VIEWERS = ("anonymous", "bidder2", "other_tenderer", "decider", "finance", "expert", "public", "tenderer",
           "staff_proc", "marker")
#: who may know who challenged before the opening: the purchaser, the executing staff, the company itself
INSIDERS = {"tenderer", "staff_proc", "marker"}


@pytest.fixture
def filed(db, client, tender, cast, make_user, make_org, clock):
    """A marker company downloads and challenges; a question is answered; a complaint follows an
    unanswered challenge and one challenge has suspended the procurement."""
    from trading.notices.models import Document
    from trading.notices import services as notices
    import sqlalchemy as sa

    cast["marker"] = make_user("marker", (Role.BIDDER, None), org=make_org(OrgKind.BIDDER, MARKER))
    document = db.session.scalar(sa.select(Document).where(Document.trade_id == tender.id))
    notices.record_download(tender, document, cast["marker"])
    db.session.commit()
    clock.freeze(local(2026, 3, 5, 10, 0))

    def post(who, url, body):
        response = client.post(url, json=body, headers=api_headers(client, who))
        assert response.status_code in (200, 201), response.get_json()
        return response.get_json()["id"]

    base = f"/api/v1/trades/{tender.id}/challenges"
    question = post("bidder2", base, {"kind": "question", "text": "交货期是否可以分批？"})
    post("staff_proc", f"{base}/{question}/answer", {"answer": "可以分两批交货。"})
    challenge = post("marker", base, {"kind": "challenge", "about": "documents", "text": "评分办法设置不合理"})
    second = post("bidder", base, {"kind": "challenge", "about": "documents", "text": "参数指向特定品牌"})
    post("tenderer", f"{base}/{second}/suspension", {"suspend": True})
    clock.freeze(local(2026, 3, 17, 9, 0))
    post("marker", base, {"kind": "complaint", "challenge_id": challenge, "text": "质疑逾期未答复"})
    return tender


def _urls(trade) -> list[str]:
    return ["/procurement/challenges", f"/procurement/trades/{trade.id}/challenges",
            "/api/v1/procurement/challenges", f"/api/v1/trades/{trade.id}/challenges"]


def test_pages_read_in_one_language(app, db, filed):
    typed = _typed(db) + [t for f in db.session.query(Filing) for t in (f.text, f.answer) if t]
    typed = sorted(set(typed), key=len, reverse=True)
    found = []
    for lang in ("en", "zh_CN"):
        for name in ("anonymous", "bidder", "marker", "tenderer", "staff_proc", "finance"):
            reader = Reader(app, name, lang)
            for url in _urls(filed):
                if lang == "zh_CN" and url.startswith("/api/"):
                    continue
                status, kind, text = reader.read(url)
                assert status == 200, (name, url, status)
                bad = offences(text, lang, typed)
                if bad:
                    found.append(f"{lang} {name} {url}: {bad}")
    assert not found, "\n".join(found)


def test_who_challenged_stays_with_the_purchaser_and_staff_before_the_opening(app, db, filed):
    seen = {}
    for name in VIEWERS:
        viewer = Viewer(app, name)
        seen[name] = sum(viewer.read(url)[1].count("MARKER-C9") for url in _urls(filed))
    leaks = {name: n for name, n in seen.items() if n and name not in INSIDERS}
    assert not leaks, leaks
    assert all(seen[name] for name in INSIDERS), seen  # not vacuous: they read the company


def test_the_answer_forms_show_to_whom_may_answer(app, db, filed):
    from tests.conftest import login

    page = {}
    for name in ("tenderer", "finance", "bidder2"):
        c = app.test_client()
        login(c, name)
        page[name] = c.get(f"/procurement/trades/{filed.id}/challenges").get_data(as_text=True)
    complaint = db.session.query(Filing).filter_by(kind="complaint").one()
    assert f'data-form="answer-{complaint.id}"' in page["finance"]
    assert f'data-form="answer-{complaint.id}"' not in page["tenderer"]
    assert 'data-form="file"' in page["bidder2"] and "data-form=\"answer-" not in page["bidder2"]
    assert "可以分两批交货" in page["bidder2"]  # the published answer


def test_the_page_refuses_bad_and_late_filings_in_the_readers_language(app, db, tender, clock):
    from tests.conftest import login

    page = app.test_client()
    login(page, "bidder")
    url = f"/procurement/trades/{tender.id}/challenges"
    empty = page.post(url, data={"action": "file", "kind": "question", "text": " "})
    assert empty.status_code == 422 and 'id="text-error"' in empty.get_data(as_text=True)
    clock.freeze(local(2026, 3, 24, 0, 0))
    late = page.post(url, data={"action": "file", "kind": "challenge", "about": "documents", "text": "迟到的质疑"})
    body = late.get_data(as_text=True)
    assert late.status_code == 409 and "2026-03-23" in body and "政府采购法 第52条" in body
    assert "迟到的质疑" in body  # what was typed stays in the form
    page.get("/lang/en")
    late = page.post(url, data={"action": "file", "kind": "challenge", "about": "documents", "text": "x"})
    assert late.status_code == 409 and "7 working days" in late.get_data(as_text=True)
    assert db.session.query(Filing).count() == 0


def test_those_who_answer_are_told_and_so_is_the_filer_in_their_language(app, db, filed):
    """The purchaser learns of questions and challenges, the finance department of complaints, the filer of
    the answer; no notification names the company that filed."""
    import sqlalchemy as sa

    from trading.accounts.models import User
    from trading.notices.models import Notification

    told = {}
    for n in db.session.scalars(sa.select(Notification).where(Notification.kind == "procurement_filing")):
        told.setdefault(db.session.get(User, n.user_id).username, []).append(f"{n.subject}\n{n.body}")
    assert {"tenderer", "finance", "bidder2"} <= set(told), told
    assert not any("MARKER" in t for texts in told.values() for t in texts)
    typed = _typed(db)
    for name in ("tenderer", "finance", "bidder2"):
        for lang in ("en", "zh_CN"):
            status, _kind, text = Reader(app, name, lang).read("/workspace/notifications")
            assert status == 200 and offences(text, lang, typed) is None, (name, lang, offences(text, lang, typed))
