"""Social supervisor certificate numbers come from the centre's per-year counter: they widen past 9999."""
from __future__ import annotations

from tests.monitor.supervisors.supervisor_helpers import register
from trading.accounts.roles import Role
from trading.numbering import services as numbering


def test_certificate_numbers_widen_past_9999(db, users, make_user, centres):
    numbering.advance_to(numbering.certificate_scope(centres["WORKS"].ref_prefix), 2026, 9999)
    db.session.commit()
    first = register(db, users["decider"], users["social"], centres["WORKS"])
    other = make_user("social2", (Role.SOCIAL_SUPERVISOR, "WORKS"))
    second = register(db, users["decider"], other, centres["WORKS"])
    assert (first.certificate_no, second.certificate_no) == ("SS-GC-2026-10000", "SS-GC-2026-10001")
