"""Separation of duties as a matrix: one branch per centre, disjoint duties per trade, no ties to bidders."""
from __future__ import annotations

import io
import itertools

import pytest
import sqlalchemy as sa

from tests.conftest import START, tender_timeline
from trading.accounts import policy
from trading.accounts.models import DeclaredRelation, OrgKind, RoleGrant
from trading.accounts.roles import Branch, Role
from trading.errors import PolicyViolation
from trading.notices import services as notices
from trading.trades import services
from trading.trades.flows import TradeState
from trading.trades.models import TradeParticipant

BRANCH_ROLES = [Role.DECISION_MAKER, Role.CENTRE_STAFF, Role.ADMIN_SUPERVISOR, Role.SOCIAL_SUPERVISOR]
OUTSIDE_ROLES = [Role.TENDERER, Role.BIDDER, Role.EXPERT, Role.PUBLIC]
#: the role (and where it is held) that qualifies a person for each duty on a WORKS trade
DUTY_GRANT = {
    "decider": (Role.DECISION_MAKER, "WORKS"),
    "executor": (Role.CENTRE_STAFF, "WORKS"),
    "supervisor": (Role.ADMIN_SUPERVISOR, "WORKS"),
    "executing_keyholder": (Role.CENTRE_STAFF, "WORKS"),
    "supervising_keyholder": (Role.SOCIAL_SUPERVISOR, "WORKS"),
    "expert": (Role.EXPERT, None),
}
ALL_DUTIES = sorted(DUTY_GRANT)
CONFLICT = sorted(policy.CONFLICT_DUTIES)


def test_the_tables_agree():
    assert set(DUTY_GRANT) == set(policy.DUTY_BRANCH) == set(policy.DUTY_ROLES)
    for duty, (role, _c) in DUTY_GRANT.items():
        assert role in policy.DUTY_ROLES[duty]
        assert role.branch is policy.DUTY_BRANCH[duty]
    assert set(CONFLICT) == {"expert", "supervisor", "executing_keyholder", "supervising_keyholder"}


def grants_of(db, user) -> set[tuple[Role, int | None]]:
    return set(db.session.execute(sa.select(RoleGrant.role, RoleGrant.centre_id).where(RoleGrant.user_id == user.id)))


def switch_role(db, user, role: Role, centre_id: int | None):
    """The person's grants change over time (legal at each moment): drop them all, grant `role`."""
    user.grants.clear()
    db.session.flush()
    policy.grant(user, role, centre_id)
    db.session.flush()


# --- rule 1: one branch per centre at grant time ---------------------------------------------------

@pytest.mark.parametrize("first, second", list(itertools.permutations(BRANCH_ROLES, 2)),
                         ids=lambda r: r.value)
def test_two_branch_roles_at_one_centre(db, make_user, centres, first, second):
    user = make_user("person", (first, "WORKS"))
    works = centres["WORKS"].id
    if first.branch is second.branch:  # administrative and social supervisor: one branch
        policy.grant(user, second, works)
        db.session.commit()
        assert grants_of(db, user) == {(first, works), (second, works)}
    else:
        with pytest.raises(PolicyViolation) as exc:
            policy.check_grant(user, second, works)
        assert exc.value.field == "role"
        with pytest.raises(PolicyViolation):
            policy.grant(user, second, works)
        db.session.commit()
        assert grants_of(db, user) == {(first, works)}


@pytest.mark.parametrize("first, second", list(itertools.product(BRANCH_ROLES, repeat=2)),
                         ids=lambda r: r.value)
def test_branch_roles_at_different_centres_allowed(db, make_user, centres, first, second):
    user = make_user("person", (first, "WORKS"))
    policy.grant(user, second, centres["PROC"].id)
    db.session.commit()
    assert grants_of(db, user) == {(first, centres["WORKS"].id), (second, centres["PROC"].id)}


@pytest.mark.parametrize("outside", OUTSIDE_ROLES, ids=lambda r: r.value)
@pytest.mark.parametrize("branch_role", BRANCH_ROLES, ids=lambda r: r.value)
def test_outside_roles_are_never_centre_bound(db, make_user, centres, outside, branch_role):
    user = make_user("person", (branch_role, "WORKS"))
    with pytest.raises(PolicyViolation) as exc:
        policy.grant(user, outside, centres["WORKS"].id)
    assert exc.value.field == "centre"
    policy.grant(user, outside, None)  # platform-wide: no clash with a branch role
    db.session.commit()
    assert grants_of(db, user) == {(branch_role, centres["WORKS"].id), (outside, None)}


@pytest.mark.parametrize("role", BRANCH_ROLES, ids=lambda r: r.value)
def test_branch_roles_need_a_centre(db, make_user, role):
    user = make_user("person")
    with pytest.raises(PolicyViolation) as exc:
        policy.grant(user, role, None)
    assert exc.value.field == "centre"
    assert user.grants == []


def test_grant_is_idempotent(db, make_user, centres):
    user = make_user("person", (Role.CENTRE_STAFF, "WORKS"))
    again = policy.grant(user, Role.CENTRE_STAFF, centres["WORKS"].id)
    db.session.commit()
    assert again in user.grants and len(grants_of(db, user)) == 1


# --- rule 2: disjoint duties on one trade -----------------------------------------------------------

@pytest.fixture
def trade(db, make_trade):
    return make_trade(**tender_timeline(START))


def participants(db, trade) -> list[tuple[int, str]]:
    return sorted(db.session.execute(sa.select(TradeParticipant.user_id, TradeParticipant.duty)
                                     .where(TradeParticipant.trade_id == trade.id)).all())


def qualified(make_user, name, duty, org=None):
    role, centre = DUTY_GRANT[duty]
    return make_user(name, (role, centre), org=org)


DUTY_PAIRS = [(a, b) for a, b in itertools.permutations(ALL_DUTIES, 2)
              if policy.DUTY_BRANCH[a] is not policy.DUTY_BRANCH[b]]
SAME_BRANCH_PAIRS = [(a, b) for a, b in itertools.permutations(ALL_DUTIES, 2)
                     if policy.DUTY_BRANCH[a] is policy.DUTY_BRANCH[b]]


def test_pairs_cover_the_three_branches():
    names = {frozenset(p) for p in DUTY_PAIRS}
    assert {frozenset({"decider", "executor"}), frozenset({"decider", "supervisor"}),
            frozenset({"executor", "supervisor"})} <= names
    assert {frozenset({"executor", "executing_keyholder"}),
            frozenset({"supervisor", "supervising_keyholder"})} == {frozenset(p) for p in SAME_BRANCH_PAIRS}


@pytest.mark.parametrize("first, second", DUTY_PAIRS, ids=lambda d: d)
def test_one_person_one_branch_per_trade(db, make_user, centres, trade, first, second):
    person = qualified(make_user, "person", first)
    policy.join(person, trade, first)
    role, centre = DUTY_GRANT[second]
    switch_role(db, person, role, centres[centre].id if centre else None)
    policy.check_participation(person, make_other_trade(db, trade), second)  # elsewhere: fine
    with pytest.raises(PolicyViolation) as exc:
        policy.join(person, trade, second)
    assert exc.value.code == "separation_of_duties"
    assert participants(db, trade) == [(person.id, first)]


def make_other_trade(db, trade):
    """A second WORKS trade with the same tenderer, created through the service."""
    from decimal import Decimal

    other = services.create_trade(trade.created_by, {
        "centre_id": trade.centre_id, "method": trade.method, "tenderer_id": trade.tenderer_id,
        "title": "Another trade", "estimated_price": Decimal("1000000.00"), **tender_timeline(START)})
    db.session.flush()
    return other


@pytest.mark.parametrize("first, second", SAME_BRANCH_PAIRS, ids=lambda d: d)
def test_same_branch_duties_combine(db, make_user, trade, first, second):
    person = qualified(make_user, "person", first)
    policy.join(person, trade, first)
    policy.join(person, trade, second)
    policy.join(person, trade, second)  # idempotent
    assert participants(db, trade) == sorted([(person.id, first), (person.id, second)])


def test_join_needs_the_role_at_this_centre(db, make_user, trade):
    proc_supervisor = make_user("proc_sup", (Role.ADMIN_SUPERVISOR, "PROC"))
    with pytest.raises(PolicyViolation) as exc:
        policy.join(proc_supervisor, trade, "supervisor")
    assert exc.value.code == "role_required"
    bidder = make_user("someone", (Role.BIDDER, None))
    with pytest.raises(PolicyViolation):
        policy.join(bidder, trade, "expert")
    assert participants(db, trade) == []


# --- rule 3: ties to bidders and to the tenderer -----------------------------------------------------

@pytest.fixture
def bidding(db, make_trade, users, clock):
    """A published trade whose documents the bidder company has downloaded."""
    trade = make_trade(**tender_timeline(START))
    doc = notices.upload_document(users["staff"], trade, "tender.pdf", "application/pdf", io.BytesIO(b"%PDF-1 x"))
    services.move(trade, "submit", users["staff"])
    services.move(trade, "approve", users["decider"])
    services.move(trade, "publish", users["staff"])
    assert trade.state is TradeState.BIDDING
    notices.record_download(trade, doc, users["bidder"])
    notices.record_download(trade, doc, None)  # anonymous: no organisation to count
    db.session.commit()
    return trade


def test_downloaders_are_bidder_organisations(db, bidding, users):
    assert policy.bidder_organisations(bidding) == {users["bidder"].organisation_id}


@pytest.mark.parametrize("tie", ["member", "relation"])
@pytest.mark.parametrize("duty", CONFLICT)
def test_tie_to_a_bidder_refused(db, make_user, bidding, users, duty, tie):
    bidder_org = users["bidder"].organisation
    if tie == "member":
        person = qualified(make_user, "tied", duty, org=bidder_org)
    else:
        person = qualified(make_user, "tied", duty)
        db.session.add(DeclaredRelation(user_id=person.id, organisation_id=bidder_org.id,
                                        nature="spouse of the managing director"))
        db.session.commit()
    with pytest.raises(PolicyViolation) as exc:
        policy.join(person, bidding, duty)
    # refused, without telling the person which of their ties bid or took the documents (confidential)
    assert exc.value.code == "recusal_required"
    assert bidder_org.name not in exc.value.message
    assert all(uid != person.id for uid, _d in participants(db, bidding))


@pytest.mark.parametrize("duty", CONFLICT)
def test_unrelated_person_accepted(db, make_user, make_org, bidding, duty):
    stranger_org = make_org(OrgKind.BIDDER, "Did not download Ltd.")
    person = qualified(make_user, "clean", duty, org=stranger_org if duty == "expert" else None)
    db.session.add(DeclaredRelation(user_id=person.id, organisation_id=stranger_org.id, nature="former employee"))
    db.session.commit()
    policy.check_participation(person, bidding, duty)
    policy.join(person, bidding, duty)
    assert (person.id, duty) in participants(db, bidding)


def test_tie_matters_only_once_the_company_downloads(db, make_user, make_org, bidding, users):
    later = make_org(OrgKind.BIDDER, "Late Bidder Ltd.")
    expert = make_user("expert2", (Role.EXPERT, None), org=later)
    policy.check_participation(expert, bidding, "expert")
    employee = make_user("late_employee", (Role.BIDDER, None), org=later)
    doc = bidding_doc(db, bidding)
    notices.record_download(bidding, doc, employee)
    with pytest.raises(PolicyViolation):
        policy.check_participation(expert, bidding, "expert")


def bidding_doc(db, trade):
    from trading.notices.models import Document

    return db.session.scalar(sa.select(Document).where(Document.trade_id == trade.id))


@pytest.mark.parametrize("tie", ["member", "relation"])
@pytest.mark.parametrize("duty", ALL_DUTIES)
def test_tenderers_people_take_no_duty_on_their_own_trade(db, make_user, trade, users, duty, tie):
    tenderer_org = users["tenderer"].organisation
    if tie == "member":
        person = qualified(make_user, "insider", duty, org=tenderer_org)
    else:
        person = qualified(make_user, "insider", duty)
        db.session.add(DeclaredRelation(user_id=person.id, organisation_id=tenderer_org.id, nature="shareholder"))
        db.session.commit()
    with pytest.raises(PolicyViolation) as exc:
        policy.join(person, trade, duty)
    assert exc.value.code == "conflict_of_interest"
    assert participants(db, trade) == []


# --- through the lifecycle ---------------------------------------------------------------------------

def test_decider_who_approved_cannot_then_execute(db, make_user, make_trade, centres, users):
    """The decider later moves to the centre's staff (a legal grant at that time): still not on this trade."""
    decider = make_user("dual", (Role.DECISION_MAKER, "WORKS"))
    trade = make_trade()
    services.move(trade, "submit", users["staff"])
    services.move(trade, "approve", decider)
    db.session.commit()
    assert participants(db, trade) == sorted([(users["staff"].id, "executor"), (decider.id, "decider")])
    switch_role(db, decider, Role.CENTRE_STAFF, centres["WORKS"].id)
    db.session.commit()
    with pytest.raises(PolicyViolation) as exc:
        services.move(trade, "publish", decider)
    assert exc.value.code == "separation_of_duties"
    assert trade.state is TradeState.APPROVED and trade.published_at is None
    db.session.rollback()
    # someone else from the staff may publish
    services.move(trade, "publish", users["staff"])
    assert trade.state is not TradeState.APPROVED


def test_executor_cannot_later_supervise_the_same_trade(db, make_user, make_trade, centres, users):
    staff = make_user("mover", (Role.CENTRE_STAFF, "WORKS"))
    trade = make_trade(staff)
    services.move(trade, "submit", staff)
    services.move(trade, "approve", users["decider"])
    services.move(trade, "publish", staff)
    switch_role(db, staff, Role.ADMIN_SUPERVISOR, centres["WORKS"].id)
    db.session.commit()
    with pytest.raises(PolicyViolation):
        services.move(trade, "suspend", staff, reason="I see a problem")
    assert trade.state is not TradeState.SUSPENDED
    db.session.rollback()
    services.move(trade, "suspend", users["supervisor"], reason="a problem")
    assert trade.state is TradeState.SUSPENDED


def test_tenderers_staff_member_cannot_move_own_trade(db, make_user, make_trade, users):
    insider = make_user("insider", (Role.CENTRE_STAFF, "WORKS"), org=users["tenderer"].organisation)
    trade = make_trade()
    with pytest.raises(PolicyViolation) as exc:
        services.move(trade, "submit", insider)
    assert exc.value.code == "conflict_of_interest"
    assert trade.state is TradeState.DRAFT
    assert participants(db, trade) == []


def test_branch_of_recorded_participants(db, make_trade, users):
    trade = make_trade()
    services.move(trade, "submit", users["staff"])
    services.move(trade, "approve", users["decider"])
    db.session.commit()
    rows = db.session.execute(sa.select(TradeParticipant.user_id, TradeParticipant.branch)
                              .where(TradeParticipant.trade_id == trade.id)).all()
    assert sorted(rows) == sorted([(users["staff"].id, Branch.EXECUTE), (users["decider"].id, Branch.DECIDE)])
