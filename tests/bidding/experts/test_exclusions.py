"""Who the draw leaves out (Reg 46; 七部委12号令 Art 12; the rule set's repeat window): each exclusion is
planted on one expert of the pool, and the round's fixed candidates must lack exactly those, with the count
per reason logged (never who). A sanction or tie arising after the draw sets the seat aside at confirmation
and takes the next of the order."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from bidding.deposits import services as deposits
from bidding.experts import exclusions, pool as experts_pool, services as experts
from bidding.experts.models import PURPOSE, ExpertSeat, SeatStatus
from tests.bidding.experts.helpers import entries, plan, pool, run_draw  # noqa: F401  (pool: fixture)
from tests.conftest import START, tender_timeline
from trading.accounts.models import DeclaredRelation, OrgKind
from trading.accounts.roles import Role
from trading.clock import now
from trading.draws import services as draws
from trading.rules.days import local_date
from trading.trades import services as trades


def _relate(db, expert, org_id: int) -> None:
    db.session.add(DeclaredRelation(user_id=expert.user_id, organisation_id=org_id, nature="亲属任职"))
    db.session.commit()


def _publish(db, users, make_trade, **kw):
    trade = make_trade(**{**tender_timeline(START), **kw})
    for move, who in (("submit", "staff"), ("approve", "decider"), ("publish", "staff")):
        trades.move(trade, move, users[who])
    db.session.commit()
    return trade


def test_every_exclusion_leaves_out_exactly_its_expert(db, users, make_trade, make_org, published_trade, pool,
                                                       clock):  # noqa: F811
    trade = published_trade
    today = local_date(now())
    opening = local_date(trade.opening_at)
    staff, sup = users["staff"], users["supervisor"]
    # 0: tied to a bidder (a company that paid a deposit on the trade)
    _relate(db, pool[0], users["bidder"].organisation_id)
    deposits.record_deposit(staff, trade, users["bidder"].organisation_id, Decimal("10000.00"))
    # 1: tied to the tenderer
    _relate(db, pool[1], trade.tenderer_id)
    # 2: works for the supervising department
    pool[2].organisation_id = make_org(OrgKind.SUPERVISORY_BODY, "市住建局").id
    # 3: suspended over the sitting days; 4: a suspension that ended yesterday; 5: a warning only
    experts_pool.sanction(sup, pool[3], {"kind": "suspension", "reason": "评标打分明显偏颇", "starts_on": today,
                                         "ends_on": today + timedelta(days=180)})
    experts_pool.sanction(sup, pool[4], {"kind": "suspension", "reason": "迟到", "starts_on": today - timedelta(days=90),
                                         "ends_on": today - timedelta(days=1)})
    experts_pool.sanction(sup, pool[5], {"kind": "warning", "reason": "提醒", "starts_on": today, "ends_on": today})
    # 6: away on the day of the opening
    experts_pool.add_absence(staff, pool[6], {"starts_on": opening, "ends_on": opening, "reason": "出国"})
    # 7: drawn for another trade of the same tenderer within the window (90 days: the rule set's limit)
    other = _publish(db, users, make_trade, title="Same tenderer, earlier lot")
    row = draws.fix(PURPOSE, other, [pool[7].id], 1, actor=staff, params={"specialty": "A01"})
    db.session.commit()
    run_draw(db, clock, other)
    assert [s.expert_id for s in experts.seats(other)] == [pool[7].id]
    db.session.commit()
    plan(db, users, trade)
    (fixed,) = experts.draw(staff, trade)
    db.session.commit()
    assert fixed.candidates == sorted(pool[i].id for i in (4, 5, 8, 9))
    (entry,) = entries(db, "experts.draw_fixed", trade)
    assert entry["after"]["left_out"] == {"tied to a bidder": 1, "tied to the tenderer": 1,
                                          "staff of the supervising department": 1, "sanctioned": 1,
                                          "unavailable": 1, "drawn for this tenderer recently": 1}
    assert str(pool[0].user.display_name) not in str(entry)  # the reason is counted, never who
    assert row.trade_id == other.id


def test_the_repeat_window_ends(db, users, make_trade, pool, clock):  # noqa: F811
    first = _publish(db, users, make_trade, title="Lot A")
    draws.fix(PURPOSE, first, [pool[0].id], 1, actor=users["staff"], params={"specialty": "A01"})
    db.session.commit()
    run_draw(db, clock, first)
    clock.freeze(clock.now() + timedelta(days=91))
    later = _publish(db, users, make_trade, **tender_timeline(clock.now()))
    ok, left_out = exclusions.pool(later, "A01")
    assert pool[0].id in ok and left_out == {}
    clock.freeze(clock.now() - timedelta(days=2))  # inside the window again
    assert pool[0].id not in exclusions.pool(later, "A01")[0]


def test_staff_of_the_supervising_branch_and_other_specialties_are_left_out(db, users, published_trade, pool,
                                                                            centres):  # noqa: F811
    from trading.accounts import policy

    user = pool[8].user
    policy.grant(user, Role.ADMIN_SUPERVISOR, centres["WORKS"].id)
    db.session.commit()
    ok, left_out = exclusions.pool(published_trade, "A01")
    assert pool[8].id not in ok and left_out == {"staff of the supervising department": 1}
    assert pool[10].id not in ok  # C04: another specialty
    assert exclusions.pool(published_trade, "C")[0] == sorted([pool[10].id, pool[11].id])  # a class covers its codes


def test_a_sanction_after_the_draw_sets_the_seat_aside_at_confirmation(db, users, published_trade, pool,
                                                                       clock):  # noqa: F811
    trade = published_trade
    plan(db, users, trade)
    experts.draw(users["staff"], trade)
    db.session.commit()
    run_draw(db, clock, trade)
    (row,) = draws.rounds(PURPOSE, trade)
    seat = experts.seats(trade)[0]
    experts_pool.sanction(users["supervisor"], seat.expert, {"kind": "disqualification", "reason": "受贿",
                                                            "starts_on": date(2026, 1, 1), "ends_on": None})
    db.session.commit()
    done = experts.confirm(seat.expert.user, trade, seat.id)
    db.session.commit()
    assert done.status is SeatStatus.INELIGIBLE and done.reason == "sanctioned"
    assert row.order[5] in [s.expert_id for s in experts.sitting(trade)]
    (replacement,) = entries(db, "experts.replacement", trade)
    assert replacement["after"]["replaces"] == seat.expert_id
    assert db.session.get(ExpertSeat, seat.id).status is SeatStatus.INELIGIBLE
