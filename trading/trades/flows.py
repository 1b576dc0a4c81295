"""Lifecycles as data: the stages of each flow, who may make each move, and what guards it."""
from __future__ import annotations

import enum
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from trading.accounts.roles import Role


class TradeState(str, enum.Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    ANNOUNCED = "announced"
    BIDDING = "bidding"
    CLOSED = "closed"
    OPENING = "opening"
    OPENED = "opened"
    EVALUATING = "evaluating"
    PUBLICITY = "publicity"
    AWARDED = "awarded"
    CONTRACTED = "contracted"
    LISTING = "listing"
    TIMED_BIDDING = "timed_bidding"
    CONCLUDED = "concluded"
    NO_DEAL = "no_deal"
    SUSPENDED = "suspended"
    FAILED = "failed"
    CANCELLED = "cancelled"
    ARCHIVED = "archived"

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self])

    @property
    def public(self) -> bool:
        """Stages the public portal shows (a trade is public once its notice is out)."""
        return self not in (TradeState.DRAFT, TradeState.SUBMITTED, TradeState.APPROVED)


STATE_LABELS = {
    TradeState.DRAFT: _l("Draft"),
    TradeState.SUBMITTED: _l("Submitted for approval"),
    TradeState.APPROVED: _l("Approved"),
    TradeState.ANNOUNCED: _l("Announced"),
    TradeState.BIDDING: _l("Open for bids"),
    TradeState.CLOSED: _l("Closed at deadline"),
    TradeState.OPENING: _l("Opening"),
    TradeState.OPENED: _l("Opened"),
    TradeState.EVALUATING: _l("Evaluating"),
    TradeState.PUBLICITY: _l("Candidates in publicity"),
    TradeState.AWARDED: _l("Awarded"),
    TradeState.CONTRACTED: _l("Contracted"),
    TradeState.LISTING: _l("Listing"),
    TradeState.TIMED_BIDDING: _l("Timed bidding"),
    TradeState.CONCLUDED: _l("Concluded"),
    TradeState.NO_DEAL: _l("No deal"),
    TradeState.SUSPENDED: _l("Suspended"),
    TradeState.FAILED: _l("Tender failed"),
    TradeState.CANCELLED: _l("Cancelled"),
    TradeState.ARCHIVED: _l("Archived"),
}

SYSTEM = "system"  # moves the platform makes itself when their time comes


@dataclass(frozen=True)
class Move:
    """One allowed move: from which stages, to which, by whom, with which guards.

    `roles` are checked at the trade's centre (tenderer: a member of the trade's tenderer
    organisation). `guards` name checks in trading.trades.lifecycle.GUARDS ("signed_off:<stage>":
    the supervisors drawn for the trade signed that stage, registered by monitor.supervisors.signoffs).
    `to=None` means "back to the stage the trade was suspended from".
    """

    name: str
    sources: tuple[TradeState, ...]
    to: TradeState | None
    roles: frozenset[Role | str]
    label: object
    guards: tuple[str, ...] = ()
    needs_reason: bool = False


@dataclass(frozen=True)
class Flow:
    key: str
    stages: tuple[TradeState, ...]
    moves: tuple[Move, ...]

    def move(self, name: str) -> Move | None:
        return next((m for m in self.moves if m.name == name), None)

    def moves_from(self, state: TradeState) -> list[Move]:
        return [m for m in self.moves if state in m.sources]


S = TradeState
STAFF = frozenset({Role.CENTRE_STAFF})
DECIDE = frozenset({Role.DECISION_MAKER})
SUPERVISE_OR_STAFF = frozenset({Role.ADMIN_SUPERVISOR, Role.CENTRE_STAFF})
AUTO = frozenset({SYSTEM, Role.CENTRE_STAFF})


def _common(live: tuple[TradeState, ...], approve_guards: tuple[str, ...] = ()) -> tuple[Move, ...]:
    """Moves every flow shares: entering the market, approval, pausing and cancelling."""
    return (
        Move("submit", (S.DRAFT,), S.SUBMITTED, STAFF, _l("Submit for approval"), ("timeline_valid",)),
        Move("return", (S.SUBMITTED,), S.DRAFT, DECIDE, _l("Return for changes"), needs_reason=True),
        Move("approve", (S.SUBMITTED,), S.APPROVED, DECIDE, _l("Approve"),
             ("timeline_valid", "sandbox_allowed", *approve_guards)),
        Move("publish", (S.APPROVED,), S.ANNOUNCED, STAFF, _l("Publish notice"),
             ("issue_now_or_later", "timeline_valid", "sandbox_allowed")),
        Move("suspend", live, S.SUSPENDED, SUPERVISE_OR_STAFF, _l("Suspend"), needs_reason=True),
        Move("resume", (S.SUSPENDED,), None, SUPERVISE_OR_STAFF, _l("Resume"), needs_reason=True),
        Move("cancel", (S.DRAFT, S.SUBMITTED, S.APPROVED, *live, S.SUSPENDED), S.CANCELLED, DECIDE,
             _l("Cancel trade"), needs_reason=True),
    )


TENDER_LIVE = (S.ANNOUNCED, S.BIDDING, S.CLOSED, S.OPENING, S.OPENED, S.EVALUATING, S.PUBLICITY, S.AWARDED)
TENDER = Flow(
    "tender",
    (S.DRAFT, S.SUBMITTED, S.APPROVED, S.ANNOUNCED, S.BIDDING, S.CLOSED, S.OPENING, S.OPENED, S.EVALUATING,
     S.PUBLICITY, S.AWARDED, S.CONTRACTED, S.ARCHIVED),
    # "keyholders_ready": a method that takes sealed bids needs its keyholders, enrolled, before approval
    # (the guard is registered by bidding.keyholders, which makes the opening key at approval)
    _common(TENDER_LIVE, ("keyholders_ready",)) + (
        Move("open_bidding", (S.ANNOUNCED,), S.BIDDING, AUTO, _l("Open for bids"), ("after:issue_at",)),
        Move("close", (S.BIDDING,), S.CLOSED, AUTO, _l("Close at deadline"), ("after:bid_deadline",)),
        Move("start_opening", (S.CLOSED,), S.OPENING, STAFF, _l("Start opening"), ("after:opening_at",)),
        Move("finish_opening", (S.OPENING,), S.OPENED, STAFF, _l("Finish opening")),
        Move("fail", (S.CLOSED, S.OPENING, S.OPENED, S.EVALUATING), S.FAILED, STAFF, _l("Declare the trade failed"),
             needs_reason=True),
        # a stalled opening (keyholders absent): the decision branch fails it (O20 Art 31: bids left
        # undecrypted through no fault of their bidders count as withdrawn, too few remain: Law 28) or
        # postpones it to a new opening time announced publicly; sealed trades make both through the ceremony
        Move("fail_opening", (S.OPENING,), S.FAILED, DECIDE, _l("Declare the opening failed"), needs_reason=True),
        Move("postpone_opening", (S.OPENING,), S.CLOSED, DECIDE, _l("Postpone the opening"), needs_reason=True),
        Move("start_evaluation", (S.OPENED,), S.EVALUATING, STAFF, _l("Start evaluation"),
             ("signed_off:opening_record",)),
        Move("publicize", (S.EVALUATING,), S.PUBLICITY, STAFF, _l("Publish candidates"),
             ("signed_off:evaluation_report",)),
        # an objection to the candidates pauses the tender until the tenderer answers it (Reg 54): the
        # platform makes both moves (bidding.award), as the objection and its answer are recorded
        Move("pause_for_objection", (S.PUBLICITY,), S.SUSPENDED, frozenset({SYSTEM}),
             _l("Suspend for an objection"), needs_reason=True),
        Move("resume_after_objection", (S.SUSPENDED,), None, frozenset({SYSTEM}), _l("Resume after the answer"),
             needs_reason=True),
        # a procurement challenge (质疑) or complaint (投诉) may suspend the procurement (GPL 54, 57): the platform
        # makes both moves (procurement.challenges) as the suspension is ordered and lifted
        Move("pause_for_challenge", TENDER_LIVE, S.SUSPENDED, frozenset({SYSTEM}),
             _l("Suspend for a challenge or complaint"), needs_reason=True),
        Move("resume_after_challenge", (S.SUSPENDED,), None, frozenset({SYSTEM}),
             _l("Resume after the challenge or complaint"), needs_reason=True),
        # the platform awards too: a procurement purchaser silent past its decision period gets rank one (O87 68)
        Move("award", (S.PUBLICITY,), S.AWARDED, AUTO, _l("Award")),
        Move("contract", (S.AWARDED,), S.CONTRACTED, STAFF, _l("Record contract"), ("signed_off:award",)),
        Move("archive", (S.CONTRACTED, S.FAILED, S.CANCELLED), S.ARCHIVED, STAFF, _l("Archive")),
    ),
)

LISTING_LIVE = (S.ANNOUNCED, S.LISTING, S.TIMED_BIDDING)
LISTING = Flow(
    "listing",
    (S.DRAFT, S.SUBMITTED, S.APPROVED, S.ANNOUNCED, S.LISTING, S.TIMED_BIDDING, S.CONCLUDED, S.ARCHIVED),
    # "keyholders_ready": a land sale's reserve is sealed to an opening key made at approval (bidding.keyholders)
    _common(LISTING_LIVE, ("keyholders_ready",)) + (
        Move("start_listing", (S.ANNOUNCED,), S.LISTING, AUTO, _l("Start listing"),
             ("after:issue_at", "after:listing_from")),
        # staff start it at a listing's close; the platform at an auction's round time (bidding.auctions.live)
        # "reserve_not_opened": once the sealed reserve was opened the last bid is in (bidding.auctions.reserve)
        Move("start_timed_bidding", (S.LISTING,), S.TIMED_BIDDING, AUTO, _l("Start timed bidding"),
             ("after:bid_deadline", "reserve_not_opened")),
        Move("conclude", (S.LISTING, S.TIMED_BIDDING), S.CONCLUDED, STAFF, _l("Conclude deal"),
             ("after:bid_deadline",)),
        Move("no_deal", (S.LISTING, S.TIMED_BIDDING), S.NO_DEAL, STAFF, _l("Record no deal"),
             ("after:bid_deadline",), needs_reason=True),
        Move("archive", (S.CONCLUDED, S.NO_DEAL, S.CANCELLED), S.ARCHIVED, STAFF, _l("Archive")),
    ),
)

FLOWS = {f.key: f for f in (TENDER, LISTING)}
