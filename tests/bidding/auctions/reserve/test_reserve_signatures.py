"""The supervisors sign the reserve's opening record with their own keys (kind "reserve-record"): only a drawn,
serving supervisor or the supervising keyholder, not tied to a bidder, once each, with an optional dissent;
never before the opening; the deal does not wait for it, but a yellow card does after a day without one."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from bidding.auctions.reserve import services as reserve, signatures
from bidding.auctions.reserve.models import ReserveSignature
from monitor.audit.models import AuditEntry
from tests.bidding.auctions.conftest import LISTING_CLOSE, open_reserve, seal_reserve
from tests.conftest import api_headers, login
from tests.monitor.cards.cards_fixtures import go, levels, tick
from tests.signing_helpers import api_signed, give_key, page_signed, signed, sign_text
from trading.accounts.models import DeclaredRelation
from trading.errors import IllegalMove, InvalidInput, NotAllowed, PolicyViolation
from trading.signing import statements as st

NORM = "land.reserve_record_signed"


@pytest.fixture
def opened(db, listing, land, clock):
    """The listing closed without a live round, the reserve opened by the supervisor (the supervising keyholder)."""
    trade, _regs = listing
    seal_reserve(land, trade)
    clock.freeze(LISTING_CLOSE)
    row = open_reserve(land, trade)
    db.session.commit()
    return trade, row


def sign(user, trade, dissent=None):
    return signatures.sign_reserve_record(user, trade, dissent,
                                          **signed(user, "reserve-record", trade_id=trade.id, dissent=dissent))


def test_the_supervising_keyholder_signs_the_records_hash_with_their_own_key(db, opened, land):
    trade, opening = opened
    row = sign(land["supervisor"], trade)
    db.session.commit()
    statement = json.loads(row.statement)
    assert statement["kind"] == "reserve-record" and statement["decision"] == "signed"
    assert statement["subject"] == {"trade": trade.ref, "trade_id": trade.id, "record_sha256": opening.record_sha256}
    assert row.record_sha256 == opening.record_sha256 and row.dissent is None
    key = give_key(land["supervisor"])
    assert st.verify(st.public_of(key), row.statement.encode(), bytes(row.signature))
    view = reserve.reserve_view(land["staff"], trade)["opened"]["signatures"]
    assert [(s["user_id"], s["decision"], s["key"]) for s in view] == [(land["supervisor"].id, "signed",
                                                                        row.key_fingerprint)]
    # the audit log recorded the row with its statement and signature
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "auction_reserve_signatures.insert"))
    assert entry.trade_id == trade.id
    assert json.loads(entry.body)["after"]["signature"] == bytes(row.signature).hex()


def test_a_dissent_is_signed_with_the_record(db, opened, land):
    trade, _ = opened
    row = sign(land["supervisor"], trade, "宣读底价时未展示信封哈希。")
    assert row.dissent == "宣读底价时未展示信封哈希。"
    assert json.loads(row.statement)["decision"] == "dissent"


def test_nothing_to_sign_before_the_opening(db, listing, land, clock):
    trade, _ = listing
    seal_reserve(land, trade)
    clock.freeze(LISTING_CLOSE)
    give_key(land["supervisor"])
    with pytest.raises(IllegalMove) as refused:
        signed(land["supervisor"], "reserve-record", trade_id=trade.id)
    assert refused.value.code == "no_record" and refused.value.status == 409


def test_only_a_supervisor_who_counts_signs(db, opened, land):
    trade, _ = opened
    # a social supervisor of the centre who was neither drawn nor appointed keyholder: 403 not_a_signer
    give_key(land["social"])
    with pytest.raises(NotAllowed) as refused:
        signed(land["social"], "reserve-record", trade_id=trade.id)
    assert refused.value.code == "not_a_signer"
    # the executing staff may not sign at all (permission reserve.sign)
    with pytest.raises(NotAllowed):
        signatures.sign_reserve_record(land["staff"], trade, None, "{}", "AA==")
    assert not signatures.signatures_of(trade)


def test_once_each_and_only_over_this_records_statement(db, opened, land):
    trade, _ = opened
    sup = land["supervisor"]
    first = signed(sup, "reserve-record", trade_id=trade.id)
    # a statement of another kind over the same subject, or with another dissent: 422, nothing stored
    other = services_issue(sup, "opening-record-like", trade)
    with pytest.raises(InvalidInput) as bad:
        signatures.sign_reserve_record(sup, trade, None, other, sign_text(sup, other))
    assert "statement" in bad.value.errors
    with pytest.raises(InvalidInput) as bad:
        signatures.sign_reserve_record(sup, trade, "a dissent not in the statement", **first)
    assert "statement" in bad.value.errors
    forged = dict(first, signature=sign_text(land["social"], first["statement"]))
    with pytest.raises(InvalidInput) as bad:
        signatures.sign_reserve_record(sup, trade, None, **forged)
    assert "signature" in bad.value.errors
    assert not signatures.signatures_of(trade)
    signatures.sign_reserve_record(sup, trade, None, **first)
    db.session.commit()
    with pytest.raises(IllegalMove) as again:
        signatures.sign_reserve_record(sup, trade, None, **signed(sup, "reserve-record", trade_id=trade.id))
    assert again.value.code == "already_signed" and again.value.status == 409


def services_issue(user, kind, trade) -> str:
    """A statement the platform never issues for this act: the record's subject under another kind."""
    from trading.clock import now
    from trading.signing import services

    opening = reserve.opening_of(trade)
    return st.encode(st.statement(kind, {"trade": trade.ref, "trade_id": trade.id,
                                         "record_sha256": opening.record_sha256}, "signed", None, user.id,
                                  services.key_in_force(user.id).fingerprint, now())).decode()


def test_a_supervisor_tied_to_a_bidder_may_not_sign(db, opened, land):
    """A tie declared since the appointment (here to a registrant with a deposit): refused as at a tender's record."""
    trade, _ = opened
    sup = land["supervisor"]
    give_key(sup)
    db.session.add(DeclaredRelation(user_id=sup.id, organisation_id=land["buyer1"].organisation_id,
                                    nature="配偶任该公司法定代表人"))
    db.session.commit()
    with pytest.raises(PolicyViolation) as refused:
        signed(sup, "reserve-record", trade_id=trade.id)
    assert refused.value.code == "recusal_required"
    assert not signatures.signatures_of(trade)


def test_the_deal_does_not_wait_for_the_signatures(db, opened):
    trade, _ = opened
    reserve.check_reserve_opened(trade)  # no refusal: the sale can end without them


def test_through_the_api_and_the_page_and_a_double_submit_is_409(db, client, opened, land):
    trade, opening = opened
    headers = api_headers(client, "land_supervisor")
    body = api_signed(client, headers, "reserve-record", trade_id=trade.id)
    answer = client.post(f"/api/v1/trades/{trade.id}/reserve/signatures", json=body, headers=headers)
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["record_sha256"] == opening.record_sha256 and answer.get_json()["decision"] == "signed"
    again = client.post(f"/api/v1/trades/{trade.id}/reserve/signatures", json=body, headers=headers)
    assert again.status_code == 409 and again.get_json()["code"] == "already_signed"
    missing = client.post(f"/api/v1/trades/{trade.id}/reserve/signatures", json={"statement": "x"}, headers=headers)
    assert missing.status_code == 422 and "signature" in missing.get_json()["errors"]
    state = client.get(f"/api/v1/trades/{trade.id}/reserve", headers=headers).get_json()
    assert [s["user_id"] for s in state["opened"]["signatures"]] == [land["supervisor"].id]
    # the page shows the signature and no longer offers the form
    login(client, "land_supervisor")
    html = client.get(f"/bidding/trades/{trade.id}/reserve").get_data(as_text=True)
    assert 'id="reserve-signatures"' in html and 'id="signed"' in html and 'data-sign-kind' not in html


def test_the_page_offers_the_browser_signer_and_takes_its_signature(db, client, opened, land):
    trade, _ = opened
    login(client, "land_supervisor")
    html = client.get(f"/bidding/trades/{trade.id}/reserve").get_data(as_text=True)
    assert 'data-sign-kind="reserve-record"' in html and 'id="signer"' in html and "js/signer.js" in html
    body = page_signed(client, "reserve-record", trade_id=trade.id, dissent="有异议")
    done = client.post(f"/bidding/trades/{trade.id}/reserve/signatures", data={**body, "dissent": "有异议"})
    assert done.status_code == 302
    row = db.session.scalar(sa.select(ReserveSignature))
    assert row.user_id == land["supervisor"].id and row.dissent == "有异议"
    # the staff see the page without a signing form
    login(client, "land_staff")
    html = client.get(f"/bidding/trades/{trade.id}/reserve").get_data(as_text=True)
    assert "data-sign-kind" not in html and 'id="reserve-signatures"' in html


def test_a_yellow_card_a_day_after_the_opening_without_a_signature(db, opened):
    trade, opening = opened
    go(opening.opened_at + timedelta(hours=24) - timedelta(seconds=1))
    tick()
    assert levels(db, trade, NORM) == []
    go(opening.opened_at + timedelta(hours=24))
    tick()
    assert levels(db, trade, NORM) == ["yellow"]


def test_the_card_reads_in_one_language(app, db, opened):
    from monitor.cards.models import Card
    from tests.bidding.auctions.test_sale_languages import _read
    from tests.bidding.test_both_languages import _typed, offences

    trade, opening = opened
    go(opening.opened_at + timedelta(hours=24))
    tick()
    card = db.session.scalar(sa.select(Card).where(Card.trade_id == trade.id, Card.norm == NORM))
    typed = _typed(db) + ["Plot C-07 land use rights"]
    for lang in ("en", "zh_CN"):
        for url in (f"/monitor/cards/{card.id}", f"/monitor/trades/{trade.id}/cards"):
            status, text = _read(app, "land_supervisor", lang, url)
            assert status == 200, (url, status)
            assert offences(text, lang, typed) is None, (lang, url, offences(text, lang, typed))
    status, text = _read(app, "land_supervisor", "en", f"/monitor/cards/{card.id}")
    assert "a supervisor's signature on the record of the reserve's opening" in text


def test_a_signature_within_the_day_keeps_the_card_away_and_a_late_one_resolves_it(db, opened, land):
    trade, opening = opened
    go(opening.opened_at + timedelta(hours=25))
    tick()
    assert levels(db, trade, NORM) == ["yellow"]
    sign(land["supervisor"], trade)
    db.session.commit()
    tick()
    assert levels(db, trade, NORM) == []


def test_the_reserve_page_with_its_signatures_reads_in_one_language(app, db, opened, land):
    """The signing form, then the opened reserve with a signature and its dissent, read in one language each, as
    tests/bidding/test_both_languages.py checks every other page (its scene has no opened land sale)."""
    from tests.bidding.auctions.test_sale_languages import _read
    from tests.bidding.test_both_languages import _typed, offences

    trade, _ = opened
    dissent = "开启时未宣读信封哈希"
    page, api = f"/bidding/trades/{trade.id}/reserve", f"/api/v1/trades/{trade.id}/reserve"
    found = []

    def read_all(reads, typed):
        for lang in ("en", "zh_CN"):
            for who, url in reads:
                if lang == "zh_CN" and url.startswith("/api/"):
                    continue
                status, text = _read(app, who, lang, url)
                assert status == 200, (who, url, status)
                if url == page and who == "land_supervisor" and lang == "en":
                    assert ("Sign the record" in text) is not signed_by_now
                bad = offences(text, lang, typed)
                if bad:
                    found.append(f"{lang} {who} {url}: {bad}")

    signed_by_now = False
    read_all((("land_supervisor", page),), _typed(db) + ["Plot C-07 land use rights"])
    sign(land["supervisor"], trade, dissent)
    db.session.commit()
    signed_by_now = True
    read_all((("land_supervisor", page), ("land_staff", page), ("land_social", page), ("land_staff", api)),
             _typed(db) + [dissent, "Plot C-07 land use rights"])
    assert not found, "\n".join(found)


def test_two_identical_signatures_at_once_give_one_row_and_a_409(app, db, client, opened, land):
    """A double click or two tabs: both requests pass the "already signed?" check and are held just before the
    signature's INSERT until both are there; one is stored, the other is a 409 naming the conflict, never a 500."""
    from tests.trading.test_numbering import at_once, meet_before
    from trading.accounts import policy

    trade, _ = opened
    good = api_signed(client, api_headers(client, "land_supervisor"), "reserve-record", trade_id=trade.id)
    policy.join(land["supervisor"], trade, "supervisor")
    db.session.commit()
    clients = [app.test_client(), app.test_client()]
    headers = [api_headers(c, "land_supervisor") for c in clients]
    url = f"/api/v1/trades/{trade.id}/reserve/signatures"
    with meet_before(app, "INSERT INTO AUCTION_RESERVE_SIGNATURES") as barrier:
        responses = at_once(*[(lambda c=c, h=h: c.post(url, json=good, headers=h)) for c, h in zip(clients, headers)])
    assert not barrier.broken  # both requests did reach the INSERT together
    assert sorted(r.status_code for r in responses) == [201, 409], [r.get_data(as_text=True)[:300] for r in responses]
    assert next(r for r in responses if r.status_code == 409).get_json()["code"] == "already_signed"
    db.session.rollback()
    assert len(db.session.scalars(sa.select(ReserveSignature)).all()) == 1
