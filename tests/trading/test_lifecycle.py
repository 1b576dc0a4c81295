"""The tender and listing flows through the one transition function: legal moves, refusals, timed moves."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.conftest import CST, START, tender_timeline
from trading.accounts.models import OrgKind
from trading.accounts.roles import Role
from trading.errors import IllegalMove, InvalidInput, NotAllowed
from trading.notices.models import Notice, NoticeKind
from trading.signals import trade_moved
from trading.trades import lifecycle, services
from trading.trades.flows import FLOWS, SYSTEM, TradeState as S
from trading.trades.models import Trade, TradeTransition
from trading.trades.reserved import ReservedMove

ISSUE = START + timedelta(days=1)  # Tuesday 3 March 09:00
DEADLINE = ISSUE + timedelta(days=25)  # Saturday 28 March 09:00 (make_trade's default timeline)


@contextmanager
def moves_signalled():
    """Collect every trade_moved signal sent inside the block."""
    seen = []

    def receiver(sender, **kw):
        seen.append((sender, kw))

    with trade_moved.connected_to(receiver):
        yield seen


def history(db, trade) -> list[tuple[str, S, S]]:
    rows = db.session.scalars(sa.select(TradeTransition).where(TradeTransition.trade_id == trade.id)
                              .order_by(TradeTransition.id)).all()
    return [(r.move, r.from_state, r.to_state) for r in rows]


def do(db, trade, name, actor, reason=None, *, expect_from, expect_to, by=None):
    """Make one move through the service and check its record and its signal (`by`: a reserved move's
    procedure)."""
    before = len(history(db, trade))
    with moves_signalled() as seen:
        record = services.move(trade, name, actor, reason=reason, by=by)
    db.session.commit()
    assert (record.move, record.from_state, record.to_state) == (name, expect_from, expect_to)
    assert record.actor_id == actor.id
    assert record.reason == reason
    assert trade.state is expect_to or seen[0][1]["new_state"] is expect_to
    rows = history(db, trade)
    assert rows[before] == (name, expect_from, expect_to)
    sender, kw = seen[0]
    assert sender is trade
    assert (kw["move"], kw["old_state"], kw["new_state"], kw["actor"]) == (name, expect_from, expect_to, actor)
    assert kw["reason"] == reason
    assert len(seen) == len(rows) - before  # every recorded move was signalled, nothing else
    return record


@contextmanager
def nothing_changes(db, trade):
    """The block must raise and leave the trade, its history and the signal untouched."""
    db.session.commit()
    state, hist, issue = trade.state, history(db, trade), trade.issue_at
    participants = len(trade.participants)
    with moves_signalled() as seen:
        yield
    assert seen == []
    assert trade.state is state
    assert history(db, trade) == hist
    assert trade.issue_at == issue
    db.session.expire_all()
    assert len(trade.participants) == participants
    db.session.rollback()
    assert db.session.get(Trade, trade.id).state is state
    assert history(db, trade) == hist


@pytest.fixture
def approved(db, make_trade, users):
    trade = make_trade()  # issue tomorrow, deadline 25 days later
    services.move(trade, "submit", users["staff"])
    services.move(trade, "approve", users["decider"])
    db.session.commit()
    return trade


# --- the tender flow, move by move -----------------------------------------------------------------

def test_tender_flow_happy_path(db, make_trade, users, clock):
    staff, decider = users["staff"], users["decider"]
    trade = make_trade()
    assert history(db, trade) == [("create", S.DRAFT, S.DRAFT)]
    do(db, trade, "submit", staff, expect_from=S.DRAFT, expect_to=S.SUBMITTED)
    do(db, trade, "return", decider, "fix the bill of quantities", expect_from=S.SUBMITTED, expect_to=S.DRAFT)
    do(db, trade, "submit", staff, expect_from=S.DRAFT, expect_to=S.SUBMITTED)
    do(db, trade, "approve", decider, expect_from=S.SUBMITTED, expect_to=S.APPROVED)
    do(db, trade, "publish", staff, expect_from=S.APPROVED, expect_to=S.ANNOUNCED)
    assert trade.state is S.ANNOUNCED  # issue time not reached yet
    clock.freeze(ISSUE)
    do(db, trade, "open_bidding", staff, expect_from=S.ANNOUNCED, expect_to=S.BIDDING)
    clock.freeze(DEADLINE)
    do(db, trade, "close", staff, expect_from=S.BIDDING, expect_to=S.CLOSED)
    do(db, trade, "start_opening", staff, expect_from=S.CLOSED, expect_to=S.OPENING)
    do(db, trade, "finish_opening", staff, expect_from=S.OPENING, expect_to=S.OPENED)
    do(db, trade, "start_evaluation", staff, expect_from=S.OPENED, expect_to=S.EVALUATING)
    do(db, trade, "publicize", staff, expect_from=S.EVALUATING, expect_to=S.PUBLICITY)
    do(db, trade, "award", staff, expect_from=S.PUBLICITY, expect_to=S.AWARDED)
    do(db, trade, "contract", staff, expect_from=S.AWARDED, expect_to=S.CONTRACTED)
    do(db, trade, "archive", staff, expect_from=S.CONTRACTED, expect_to=S.ARCHIVED)
    assert [m for m, _f, _t in history(db, trade)] == [
        "create", "submit", "return", "submit", "approve", "publish", "open_bidding", "close", "start_opening",
        "finish_opening", "start_evaluation", "publicize", "award", "contract", "archive"]
    roles = db.session.scalars(sa.select(TradeTransition.actor_role).where(TradeTransition.trade_id == trade.id)
                               .order_by(TradeTransition.id)).all()
    assert roles[4] == Role.DECISION_MAKER.value and roles[5] == Role.CENTRE_STAFF.value


@pytest.mark.parametrize("stage_moves, source", [
    ((), S.DRAFT),
    (("submit",), S.SUBMITTED),
    (("submit", "approve"), S.APPROVED),
])
def test_cancel_before_publication(db, make_trade, users, stage_moves, source):
    trade = make_trade()
    for name in stage_moves:
        services.move(trade, name, users["decider"] if name == "approve" else users["staff"])
    do(db, trade, "cancel", users["decider"], "project withdrawn", expect_from=source, expect_to=S.CANCELLED)
    do(db, trade, "archive", users["staff"], expect_from=S.CANCELLED, expect_to=S.ARCHIVED)


def _to_closed(db, approved, users, clock):
    services.move(approved, "publish", users["staff"])
    clock.freeze(DEADLINE)
    services.advance_due()
    assert approved.state is S.CLOSED
    return approved


def test_fail_when_too_few_bids(db, approved, users, clock):
    trade = _to_closed(db, approved, users, clock)
    do(db, trade, "fail", users["staff"], "only two bids (Law 28)", expect_from=S.CLOSED, expect_to=S.FAILED)
    do(db, trade, "archive", users["staff"], expect_from=S.FAILED, expect_to=S.ARCHIVED)


@pytest.mark.parametrize("suspender", ["supervisor", "staff"])
@pytest.mark.parametrize("stage", [S.ANNOUNCED, S.BIDDING, S.CLOSED])
def test_suspend_and_resume_return_to_previous_stage(db, approved, users, clock, suspender, stage):
    services.move(approved, "publish", users["staff"])
    if stage is not S.ANNOUNCED:
        clock.freeze(ISSUE)
        services.advance_due()
    if stage is S.CLOSED:
        clock.freeze(DEADLINE)
        services.advance_due()
    assert approved.state is stage
    actor = users[suspender]
    do(db, approved, "suspend", actor, "objection received", expect_from=stage, expect_to=S.SUSPENDED)
    assert approved.suspended_from is stage
    do(db, approved, "resume", actor, "objection answered", expect_from=S.SUSPENDED, expect_to=stage)
    assert approved.suspended_from is None


def test_suspended_trade_is_not_advanced_and_resume_catches_up(db, approved, users, clock):
    services.move(approved, "publish", users["staff"])
    clock.freeze(ISSUE)
    services.advance_due()
    services.move(approved, "suspend", users["supervisor"], reason="complaint")
    db.session.commit()
    clock.freeze(DEADLINE + timedelta(hours=1))
    assert services.advance_due() == {}
    assert approved.state is S.SUSPENDED
    with moves_signalled() as seen:
        services.move(approved, "resume", users["supervisor"], reason="complaint rejected")
    assert [(kw["move"], kw["old_state"], kw["new_state"]) for _s, kw in seen] == [
        ("resume", S.SUSPENDED, S.BIDDING), ("close", S.BIDDING, S.CLOSED)]


def test_cancel_from_live_stage_and_suspension(db, approved, users, clock):
    services.move(approved, "publish", users["staff"])
    services.move(approved, "suspend", users["supervisor"], reason="complaint")
    do(db, approved, "cancel", users["decider"], "complaint upheld", expect_from=S.SUSPENDED, expect_to=S.CANCELLED)


# --- publication ------------------------------------------------------------------------------------

def test_publish_creates_announcement_and_sets_published_at(db, approved, users, clock):
    clock.advance(timedelta(hours=2))
    assert approved.published_at is None
    services.move(approved, "publish", users["staff"])
    db.session.commit()
    assert approved.published_at == START + timedelta(hours=2)
    notices = db.session.scalars(sa.select(Notice).where(Notice.trade_id == approved.id)).all()
    assert len(notices) == 1
    assert notices[0].kind is NoticeKind.ANNOUNCEMENT
    assert notices[0].title == approved.title
    assert notices[0].published_at == approved.published_at
    assert approved.issue_at == ISSUE  # planned issue time still ahead: unchanged
    assert approved.is_public


def test_publish_after_planned_issue_time_reissues_now_and_opens(db, approved, users, clock):
    late = ISSUE + timedelta(hours=3)
    clock.freeze(late)
    with moves_signalled() as seen:
        services.move(approved, "publish", users["staff"])
    db.session.commit()
    assert approved.issue_at == late
    assert approved.published_at == late
    assert approved.state is S.BIDDING  # issued now, so bidding opens at once
    assert [(kw["move"], kw["actor"]) for _s, kw in seen] == [("publish", users["staff"]), ("open_bidding", None)]


def test_publish_too_late_for_the_deadline_is_refused(db, make_trade, users, clock):
    # issue Tue 3 March, deadline Mon 23 March: exactly 20 days, legal
    trade = make_trade(issue_at=ISSUE, docs_until=ISSUE + timedelta(days=6),
                       bid_deadline=datetime(2026, 3, 23, 9, 0, tzinfo=CST),
                       opening_at=datetime(2026, 3, 23, 9, 0, tzinfo=CST))
    services.move(trade, "submit", users["staff"])
    services.move(trade, "approve", users["decider"])
    clock.freeze(ISSUE + timedelta(days=1))  # issuing on the 4th leaves only 19 days
    with nothing_changes(db, trade):
        with pytest.raises(InvalidInput) as exc:
            services.move(trade, "publish", users["staff"])
    assert "bid_deadline" in exc.value.errors
    assert trade.published_at is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 0


# --- refusals ---------------------------------------------------------------------------------------

def test_wrong_source_state(db, make_trade, users):
    trade = make_trade()
    for name, actor in (("approve", "decider"), ("publish", "staff"), ("close", "staff"), ("resume", "staff"),
                        ("archive", "staff"), ("award", "staff")):
        with nothing_changes(db, trade):
            with pytest.raises(IllegalMove) as exc:
                services.move(trade, name, users[actor], reason="because")
        assert exc.value.code == "illegal_move"


@pytest.mark.parametrize("name, actor, reason", [
    ("submit", "decider", None),
    ("submit", "supervisor", None),
    ("submit", "tenderer", None),
    ("submit", "social", None),
    ("cancel", "staff", "no"),
    ("cancel", "supervisor", "no"),
])
def test_wrong_role_on_draft(db, make_trade, users, name, actor, reason):
    trade = make_trade()
    with nothing_changes(db, trade):
        with pytest.raises(NotAllowed):
            lifecycle.transition(trade, name, users[actor], reason=reason)


@pytest.mark.parametrize("name, actor", [
    ("suspend", "social"), ("suspend", "tenderer"), ("suspend", "decider"), ("suspend", "bidder"),
    ("cancel", "staff"), ("cancel", "supervisor"), ("open_bidding", "decider"), ("open_bidding", "tenderer"),
])
def test_wrong_role_on_live_trade(db, approved, users, name, actor):
    services.move(approved, "publish", users["staff"])
    with nothing_changes(db, approved):
        with pytest.raises(NotAllowed):
            lifecycle.transition(approved, name, users[actor], reason="because")


def test_wrong_role_to_approve(db, make_trade, users):
    trade = make_trade()
    services.move(trade, "submit", users["staff"])
    for actor in ("staff", "supervisor", "tenderer", "expert"):
        with nothing_changes(db, trade):
            with pytest.raises(NotAllowed):
                lifecycle.transition(trade, "approve", users[actor])


def test_person_needed_for_person_moves(db, make_trade, users):
    trade = make_trade()
    with nothing_changes(db, trade):
        with pytest.raises(NotAllowed):
            lifecycle.transition(trade, "submit", None)


def test_wrong_centre(db, make_trade, make_user, users):
    proc_decider = make_user("proc_decider", (Role.DECISION_MAKER, "PROC"))
    land_staff = make_user("land_staff", (Role.CENTRE_STAFF, "LAND"))
    trade = make_trade()
    with nothing_changes(db, trade):
        with pytest.raises(NotAllowed):
            services.move(trade, "submit", land_staff)
    with nothing_changes(db, trade):
        with pytest.raises(NotAllowed):
            lifecycle.transition(trade, "submit", users["staff_proc"])
    services.move(trade, "submit", users["staff"])
    with nothing_changes(db, trade):
        with pytest.raises(NotAllowed):
            lifecycle.transition(trade, "approve", proc_decider)


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_missing_reason(db, make_trade, users, reason):
    trade = make_trade()
    services.move(trade, "submit", users["staff"])
    with nothing_changes(db, trade):
        with pytest.raises(InvalidInput) as exc:
            services.move(trade, "return", users["decider"], reason=reason)
    assert exc.value.field == "reason"
    with nothing_changes(db, trade):
        with pytest.raises(InvalidInput):
            services.move(trade, "cancel", users["decider"], reason=reason)


def test_too_early_for_timed_moves(db, approved, users, clock):
    services.move(approved, "publish", users["staff"])
    clock.freeze(ISSUE - timedelta(seconds=1))
    with nothing_changes(db, approved):
        with pytest.raises(IllegalMove) as exc:
            services.move(approved, "open_bidding", users["staff"])
    assert exc.value.code == "too_early"
    clock.freeze(ISSUE)
    services.advance_due()
    clock.freeze(DEADLINE - timedelta(seconds=1))
    with nothing_changes(db, approved):
        with pytest.raises(IllegalMove) as exc:
            services.move(approved, "close", users["staff"])
    assert exc.value.code == "too_early"


def test_opening_not_before_opening_time(db, make_trade, users, clock):
    trade = make_trade()
    trade.opening_at = DEADLINE  # same as deadline; opening is guarded by opening_at
    services.move(trade, "submit", users["staff"])
    services.move(trade, "approve", users["decider"])
    services.move(trade, "publish", users["staff"])
    clock.freeze(DEADLINE)
    services.advance_due()
    assert trade.state is S.CLOSED
    trade.opening_at = DEADLINE + timedelta(minutes=30)  # e.g. a supervisor-approved delay
    db.session.commit()
    clock.freeze(DEADLINE + timedelta(minutes=29, seconds=59))
    with nothing_changes(db, trade):
        with pytest.raises(IllegalMove) as exc:
            services.move(trade, "start_opening", users["staff"])
    assert exc.value.code == "too_early"
    clock.freeze(DEADLINE + timedelta(minutes=30))
    do(db, trade, "start_opening", users["staff"], expect_from=S.CLOSED, expect_to=S.OPENING)


def test_unknown_move(db, make_trade, users):
    trade = make_trade()
    with nothing_changes(db, trade):
        with pytest.raises(IllegalMove) as exc:
            services.move(trade, "teleport", users["staff"])
    assert exc.value.code == "unknown_move"
    with nothing_changes(db, trade):
        with pytest.raises(IllegalMove):
            services.move(trade, "start_listing", users["staff"])  # a listing move, not in the tender flow


def test_submit_requires_complete_timeline(db, make_trade, users):
    trade = make_trade(docs_until=None)
    with nothing_changes(db, trade):
        with pytest.raises(InvalidInput) as exc:
            services.move(trade, "submit", users["staff"])
    assert "docs_until" in exc.value.errors


def test_every_flow_move_has_a_role_and_known_guards():
    for flow in FLOWS.values():
        for move in flow.moves:
            assert move.roles, move.name
            for g in move.guards:
                assert lifecycle.guard(g) is not None
            for source in move.sources:
                assert isinstance(source, S)


# --- timed moves ------------------------------------------------------------------------------------

def test_advance_due_opens_and_closes_exactly_on_time(db, approved, users, clock):
    services.move(approved, "publish", users["staff"])
    db.session.commit()
    clock.freeze(ISSUE - timedelta(seconds=1))
    assert services.advance_due() == {}
    assert approved.state is S.ANNOUNCED
    clock.freeze(ISSUE)
    with moves_signalled() as seen:
        assert services.advance_due() == {approved.ref: ["open_bidding"]}
    assert approved.state is S.BIDDING
    assert seen[0][1]["actor"] is None and seen[0][1]["at"] == ISSUE
    clock.freeze(DEADLINE - timedelta(seconds=1))
    assert services.advance_due() == {}
    assert approved.state is S.BIDDING
    clock.freeze(DEADLINE)
    assert services.advance_due() == {approved.ref: ["close"]}
    assert approved.state is S.CLOSED
    rows = db.session.scalars(sa.select(TradeTransition).where(TradeTransition.trade_id == approved.id)
                              .order_by(TradeTransition.id)).all()
    assert [(r.move, r.actor_role, r.actor_id, r.at) for r in rows[-2:]] == [
        ("open_bidding", SYSTEM, None, ISSUE), ("close", SYSTEM, None, DEADLINE)]
    assert services.advance_due() == {}  # nothing more to do


def test_advance_due_makes_several_moves_in_one_tick(db, approved, users, clock):
    services.move(approved, "publish", users["staff"])
    clock.freeze(DEADLINE + timedelta(days=1))
    assert services.advance_due() == {approved.ref: ["open_bidding", "close"]}
    assert approved.state is S.CLOSED


def test_advance_due_uses_explicit_time(db, approved, users, clock):
    services.move(approved, "publish", users["staff"])
    assert services.advance_due(at=ISSUE) == {approved.ref: ["open_bidding"]}


# --- sandbox ----------------------------------------------------------------------------------------

@pytest.fixture
def sandbox_trade(db, make_trade):
    issue = ISSUE
    return make_trade(sandbox=True, accelerator=10, issue_at=issue, docs_until=issue + timedelta(days=1),
                      bid_deadline=issue + timedelta(days=3), opening_at=issue + timedelta(days=3))


def test_sandbox_trade_runs_when_enabled(db, app, sandbox_trade, users, clock):
    assert app.config["SANDBOX_ENABLED"]
    services.move(sandbox_trade, "submit", users["staff"])
    services.move(sandbox_trade, "approve", users["decider"])
    services.move(sandbox_trade, "publish", users["staff"])
    clock.freeze(ISSUE + timedelta(days=3))
    services.advance_due()
    assert sandbox_trade.state is S.CLOSED


def test_sandbox_refused_at_approve_when_disabled(db, app, sandbox_trade, users):
    services.move(sandbox_trade, "submit", users["staff"])
    db.session.commit()
    app.config["SANDBOX_ENABLED"] = False
    with nothing_changes(db, sandbox_trade):
        with pytest.raises(IllegalMove) as exc:
            services.move(sandbox_trade, "approve", users["decider"])
    assert exc.value.code == "sandbox_disabled"


def test_sandbox_refused_at_publish_when_disabled(db, app, sandbox_trade, users):
    services.move(sandbox_trade, "submit", users["staff"])
    services.move(sandbox_trade, "approve", users["decider"])
    db.session.commit()
    app.config["SANDBOX_ENABLED"] = False
    with nothing_changes(db, sandbox_trade):
        with pytest.raises(IllegalMove) as exc:
            services.move(sandbox_trade, "publish", users["staff"])
    assert exc.value.code == "sandbox_disabled"
    assert sandbox_trade.published_at is None


def test_sandbox_creation_refused_when_disabled(make_app, clock):
    from trading.extensions import db as _db

    app = make_app(SANDBOX_ENABLED=False)
    with app.app_context():
        from trading.accounts.services import create_organisation, create_user
        from trading.accounts.uscc import make_uscc
        from trading.centres.models import Centre

        works = _db.session.scalar(sa.select(Centre).where(Centre.code == "WORKS"))
        org = create_organisation("T", OrgKind.TENDERER, make_uscc("91330100MA0000001"))
        staff = create_user("s", "password-1", "S", None, [(Role.CENTRE_STAFF, works.id)])
        with pytest.raises(InvalidInput) as exc:
            services.create_trade(staff, {
                "centre_id": works.id, "method": "works_open_tender", "tenderer_id": org.id, "title": "x",
                "estimated_price": Decimal("1000000.00"), "sandbox": True, "accelerator": 10,
                **tender_timeline(ISSUE)})
        assert exc.value.field == "sandbox"
        _db.session.rollback()


# --- the listing flow (land, property) --------------------------------------------------------------

@pytest.fixture
def land(db, make_user, users):
    return {
        "staff": make_user("land_staff", (Role.CENTRE_STAFF, "LAND")),
        "decider": make_user("land_decider", (Role.DECISION_MAKER, "LAND")),
        "supervisor": make_user("land_supervisor", (Role.ADMIN_SUPERVISOR, "LAND")),
    }


LISTING_FROM = ISSUE + timedelta(days=20)  # Mon 23 March
LISTING_CLOSE = LISTING_FROM + timedelta(days=10)  # Thu 2 April


@pytest.fixture
def land_listing(db, make_trade, centres, land):
    trade = make_trade(land["staff"], centre_id=centres["LAND"].id, method="land_listing", title="Plot 7",
                       bid_security=None, issue_at=ISSUE, docs_until=None, listing_from=LISTING_FROM,
                       bid_deadline=LISTING_CLOSE, opening_at=None)
    services.move(trade, "submit", land["staff"])
    services.move(trade, "approve", land["decider"])
    db.session.commit()
    return trade


def test_listing_flow_to_conclusion(db, land_listing, land, clock):
    trade = land_listing
    do(db, trade, "publish", land["staff"], expect_from=S.APPROVED, expect_to=S.ANNOUNCED)
    clock.freeze(LISTING_FROM - timedelta(seconds=1))
    assert services.advance_due() == {}
    clock.freeze(LISTING_FROM)
    assert services.advance_due() == {trade.ref: ["start_listing"]}
    assert trade.state is S.LISTING
    clock.freeze(LISTING_CLOSE - timedelta(seconds=1))
    # the move belongs to the live round (bidding.auctions.live creates the round with it)
    with nothing_changes(db, trade):
        with pytest.raises(IllegalMove) as exc:
            services.move(trade, "start_timed_bidding", land["staff"])
    assert exc.value.code == "reserved_move"
    with nothing_changes(db, trade):
        with pytest.raises(IllegalMove) as exc:
            services.move(trade, "start_timed_bidding", land["staff"], by="live_round")
    assert exc.value.code == "too_early"
    clock.freeze(LISTING_CLOSE)
    assert services.advance_due() == {}  # a listing is not closed by the clock: staff decide at the close
    do(db, trade, "start_timed_bidding", land["staff"], expect_from=S.LISTING, expect_to=S.TIMED_BIDDING,
       by="live_round")
    # the deal or no deal is the deal procedure's, decided by the offers and the reserve (bidding/auctions/deal,
    # tested there): not a move staff pick by hand
    with nothing_changes(db, trade):
        with pytest.raises(ReservedMove):
            services.move(trade, "conclude", land["staff"])
    from bidding.auctions.deal.services import conclude

    conclude(land["staff"], trade)  # nobody quoted: no deal
    assert trade.state is S.NO_DEAL
    do(db, trade, "archive", land["staff"], expect_from=S.NO_DEAL, expect_to=S.ARCHIVED)


def test_listing_no_deal_carries_its_reason(db, land_listing, land, clock):
    trade = land_listing
    services.move(trade, "publish", land["staff"])
    clock.freeze(LISTING_CLOSE)
    services.advance_due()
    with nothing_changes(db, trade):
        with pytest.raises(ReservedMove):
            services.move(trade, "no_deal", land["staff"], "all bids below reserve")
    from bidding.auctions.deal.services import conclude

    conclude(land["staff"], trade)
    db.session.commit()
    assert trade.state is S.NO_DEAL and trade.history[-1].move == "no_deal" and trade.history[-1].reason
    do(db, trade, "archive", land["staff"], expect_from=S.NO_DEAL, expect_to=S.ARCHIVED)


def test_listing_suspend_resume_and_roles(db, land_listing, land, users, clock):
    trade = land_listing
    services.move(trade, "publish", land["staff"])
    clock.freeze(LISTING_FROM)
    services.advance_due()
    with nothing_changes(db, trade):
        with pytest.raises(NotAllowed):
            lifecycle.transition(trade, "suspend", users["supervisor"], reason="x")  # a WORKS supervisor
    do(db, trade, "suspend", land["supervisor"], "complaint", expect_from=S.LISTING, expect_to=S.SUSPENDED)
    do(db, trade, "resume", land["supervisor"], "dismissed", expect_from=S.SUSPENDED, expect_to=S.LISTING)
    with nothing_changes(db, trade):
        with pytest.raises(IllegalMove):
            services.move(trade, "close", land["staff"])  # a tender move


def test_land_auction_does_not_start_listing_before_issue(db, make_trade, centres, land, clock):
    """Without a listing_from the listing starts when documents are issued, not at publication."""
    trade = make_trade(land["staff"], centre_id=centres["LAND"].id, method="land_auction", title="Plot 8",
                       bid_security=None, issue_at=ISSUE, docs_until=None, bid_deadline=ISSUE + timedelta(days=21),
                       opening_at=None)
    services.move(trade, "submit", land["staff"])
    services.move(trade, "approve", land["decider"])
    services.move(trade, "publish", land["staff"])
    assert trade.state is S.ANNOUNCED
    clock.freeze(ISSUE)
    assert services.advance_due() == {trade.ref: ["start_listing"]}
