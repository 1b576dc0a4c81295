"""The methods' pages read in one language: the invitees with a drawn round and the change of method with a
refused and an approved request, in Chinese and in English, as tests/bidding/test_both_languages.py judges."""
from __future__ import annotations

from datetime import timedelta

from monitor.ticks import run_ticks
from procurement.methods import changes, services
from tests.bidding.test_both_languages import Reader, _typed, offences
from tests.procurement.methods.test_changes import _failed
from tests.procurement.methods.test_invitees import to_bidding


def test_the_methods_pages_read_in_one_language(app, db, plan, gp_trade, invited, suppliers, users, clock):
    row = services.fix_draw(users["staff_proc"], invited, 3)
    db.session.commit()
    clock.freeze(row.commit_until + timedelta(seconds=1))
    run_ticks()
    clock.freeze(invited.issue_at - timedelta(days=1))
    to_bidding(db, invited, users, clock)
    clock.freeze(invited.issue_at - timedelta(days=1))
    failed = _failed(db, gp_trade, plan, users, clock)
    changes.request(users["tenderer"], failed, "gp_competitive_negotiation", "两家供应商")
    changes.decide(users["decider"], failed, False, "重新招标")
    changes.request(users["staff_proc"], failed, "gp_single_source", "只有一家")
    changes.decide(users["decider"], failed, True, "唯一供应商")
    clock.freeze(invited.issue_at - timedelta(days=1))
    waiting = _failed(db, gp_trade, plan, users, clock, method="gp_invited_tender", price="1000.00")
    changes.request(users["tenderer"], waiting, "gp_competitive_consultation", "两家供应商")
    fresh = gp_trade("gp_invited_tender", "1000.00")  # its forms: the draw and the list
    db.session.commit()
    typed = _typed(db) + ["两家供应商", "重新招标", "只有一家", "唯一供应商"]
    pages = [f"/procurement/trades/{invited.id}/invitees", f"/procurement/trades/{failed.id}/method-change",
             f"/procurement/trades/{fresh.id}/invitees", f"/procurement/trades/{waiting.id}/method-change"]
    found = []
    for who in ("tenderer", "decider", "staff_proc"):
        for lang in ("en", "zh_CN"):
            reader = Reader(app, who, lang)
            for url in pages:
                if who == "decider" and url.endswith("/invitees"):
                    continue  # who is invited stays with the purchaser and the staff until the opening
                status, _kind, text = reader.read(url)
                assert status == 200, (who, url)
                bad = offences(text, lang, typed)
                if bad:
                    found.append((who, lang, url, bad))
    assert found == []
