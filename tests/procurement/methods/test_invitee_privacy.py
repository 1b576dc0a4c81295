"""Who is invited stays with the purchaser and the centre's executing staff until the opening (Tendering Law
Art 22: the potential bidders' names and number are not disclosed; O87 14). An invitation tender's invitees
are its potential bidders, so they are kept as its bidders are (tests/bidding/test_bidder_privacy.py, whose
walk this reuses): a marker company is invited to one tender by the purchaser's published list and to another
by the verifiable draw, both tenders open for bids, and every viewer kind walks every GET route of the app
(pages, /api/v1 JSON, PDFs, zips, live streams: the audit log and the draw's entries among them) plus their
notifications and mail. The marker's name, its credit code and its id (made distinctive, so that a bare id in
a log entry or a link counts too) may appear only to the purchaser, the executing staff and the marker itself.

The draw stays verifiable: its entries name the candidates by the trade's pseudonyms (the ones the log gives
the trade's bids) and its seed takes a secret committed to when the round was fixed (so that the candidates
rebuilt from the registry do not give the draw away); the offline replay says it is withheld until the opening,
and with the candidates and secret the trade publishes then it recomputes the seed, order and selection the
log holds.
"""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from monitor.ticks import run_ticks
from monitor.verify import draw as offline
from procurement.methods import services
from procurement.methods.models import PURPOSE
from tests.bidding.test_bidder_privacy import MARKER, _count, _mail_and_notices, _org, walk
from tests.bidding.test_bidder_privacy import app  # noqa: F401  (fixture: streams answer their backlog and end)
from tests.conftest import PASSWORD, START, api_headers, tender_timeline
from tests.monitor.supervisors.supervisor_helpers import entries
from tests.procurement.methods.test_invitees import to_bidding
from trading.accounts.models import Organisation, RoleGrant
from trading.accounts.roles import Role
from trading.accounts.services import create_user
from trading.draws import services as draws

#: the marker company's id: a number found nowhere else, so that any reference by id is counted
MARKER_ID = 73157319
#: who may know who is invited before the opening: the purchaser, the centre's executing staff, and the
#: invited company itself (its bid page says it may bid)
INSIDERS = {"tenderer", "staff_proc", "imarker"}
#: everyone else who looks, the centre's deciders and supervisors (who add randomness to the draw) among them,
#: and another invitee, which learns of its own invitation only
OUTSIDERS = ("anonymous", "bidder", "supplier_b", "other_tenderer", "staff", "decider", "supervisor", "social",
             "expert", "public")


@pytest.fixture
def scene(db, users, suppliers, centres, gp_trade):
    """Two invitation tender drafts at PROC, the marker company, and the cast's supervisors at PROC."""
    proc = centres["PROC"].id
    for who, role in (("supervisor", Role.ADMIN_SUPERVISOR), ("social", Role.SOCIAL_SUPERVISOR)):
        db.session.add(RoleGrant(user_id=users[who].id, role=role, centre_id=proc))
    org = _org(f"{MARKER} 受邀科技有限公司", "91330100MQ7000031")
    db.session.flush()
    db.session.execute(sa.update(Organisation).where(Organisation.id == org.id).values(id=MARKER_ID))
    db.session.expire_all()
    org = db.session.get(Organisation, MARKER_ID)
    users["imarker"] = create_user("imarker", PASSWORD, f"{MARKER} 联系人", org, [(Role.BIDDER, None)],
                                   email="imarker@test.invalid")
    db.session.commit()
    timeline = tender_timeline(START + timedelta(days=1))
    listed = gp_trade("gp_invited_tender", "900000.00", **timeline)
    drawn = gp_trade("gp_invited_tender", "800000.00", **timeline)
    db.session.commit()
    return {"listed": listed, "drawn": drawn, "org": org, "users": users,
            "three": [MARKER_ID, suppliers["supplier_b"].organisation_id, suppliers["supplier_c"].organisation_id],
            "markers": [MARKER, org.credit_code, str(MARKER_ID)]}


def _scene_of(scene, trade) -> dict:
    """What the walk fills routes with: the trade; the rest as the bidder walk's sale scenes fill it."""
    return {"trade": trade, "markers": scene["markers"], "document": 1, "social": 1, "card": 1}


def _choose(db, client, scene, clock) -> dict:
    """The purchaser publishes its list with the marker on one tender, and has three of the marker and two
    others drawn on the other; both open for bids. Returns the drawn round's draw entry."""
    users = scene["users"]
    made = client.post(f"/api/v1/trades/{scene['listed'].id}/invitees", headers=api_headers(client, "tenderer"),
                       json={"organisation_ids": scene["three"], "reason": f"书面推荐：{MARKER} 受邀科技有限公司等三家"})
    assert made.status_code == 201, made.get_json()
    fixed = client.post(f"/api/v1/trades/{scene['drawn'].id}/invitees/draws", headers=api_headers(client, "staff_proc"),
                        json={"count": 3, "candidates": scene["three"]})
    assert fixed.status_code == 201, fixed.get_json()
    row = draws.pending(PURPOSE, scene["drawn"])
    clock.freeze(row.commit_until + timedelta(seconds=1))
    run_ticks()  # nobody committed: the beacon is signed and the round drawn at once
    db.session.expire_all()
    assert MARKER_ID in {i.organisation_id for i in services.invitees(scene["drawn"])}
    for trade in (scene["listed"], scene["drawn"]):
        clock.freeze(START)
        to_bidding(db, trade, users, clock)
    (drawn,) = entries(db, "invitees.draw", scene["drawn"])
    return drawn


def test_who_is_invited_stays_with_the_purchaser_and_executing_staff_until_the_opening(app, db, client, scene,
                                                                                        clock):
    names = (*OUTSIDERS, *sorted(INSIDERS))
    before = walk(app, _scene_of(scene, scene["listed"]), names)
    drawn = _choose(db, client, scene, clock)
    after = {**walk(app, _scene_of(scene, scene["listed"]), names),
             **walk(app, _scene_of(scene, scene["drawn"]), names)}
    leaks = sorted(f"{who} {url} (+{after[(who, url)] - before.get((who, url), 0)})" for who, url in after
                   if who not in INSIDERS and after[(who, url)] > before.get((who, url), 0))
    assert not leaks, "before the opening, who is invited is shown to:\n" + "\n".join(leaks)
    # not vacuous: the purchaser and the staff read the invitees (both tenders), the marker its own bid page
    for who in ("tenderer", "staff_proc"):
        for trade in (scene["listed"], scene["drawn"]):
            assert after[(who, f"/api/v1/trades/{trade.id}/invitees")] > 0, (who, trade.ref)
    told = {who: texts for who, texts in _mail_and_notices(db, scene).items()
            if any(_count(text, scene["markers"]) for text in texts)}
    assert set(told) <= INSIDERS | {f"{who}@test.invalid" for who in INSIDERS}, told

    # the log names the candidates by the trade's pseudonyms: the same alias for the same company throughout
    (fixing,) = entries(db, "invitees.draw_fixed", scene["drawn"])
    assert fixing["after"]["candidates"] == drawn["after"]["candidates"]
    assert all(c.startswith("anon:") for c in drawn["after"]["candidates"]) and len(drawn["after"]["selected"]) == 3
    listed = entries(db, "procurement_invitees.insert", scene["listed"])
    assert len(listed) == 3 and all(e["after"]["organisation_id"].startswith("anon:") for e in listed)
    assert MARKER not in json.dumps([e["after"] for e in listed], ensure_ascii=False)  # the reason names it too

    # the draw stays verifiable: withheld before the opening, replayed with the candidates published then
    replay = offline.replay(drawn)
    assert replay["matches"] is None and "opening" in replay["withheld"]
    published = client.get(f"/api/v1/trades/{scene['drawn'].id}/invitees",
                           headers=api_headers(client, "staff_proc")).get_json()["rounds"][0]
    replay = offline.replay(drawn, published["candidates"], published["salt"])
    assert replay["matches"] and replay["selected"] == published["selected"], replay
    assert MARKER_ID in replay["selected"]
    wrong = offline.replay(drawn, [*published["candidates"][:-1], published["candidates"][-1] + 1], published["salt"])
    assert not wrong["matches"] and "seed" in wrong["failed"]
    # the secret in the seed is the one committed to before the beacon: readers who rebuild the candidates
    # cannot compute the draw without it, and the platform cannot choose another afterwards
    assert published["salt"] not in json.dumps([fixing, drawn]) and "salt" not in json.dumps(
        [e["after"] for e in entries(db, "draw_rounds.insert", scene["drawn"])])
    # (three candidates drawn three: another seed may still give the same order by chance, one time in six)
    unsalted = offline.replay(drawn, published["candidates"])
    assert not unsalted["matches"] and {"seed", "salt"} <= set(unsalted["failed"])
    other = "00" * 32
    assert "salt" in offline.replay(drawn, published["candidates"], other)["failed"]
