"""A supervisor's signing key in real headless Chromium, with CSRF on: made in one browser (WebCrypto), its
backup file saved, loaded into a second browser that had no key, and used there to countersign a
checkpoint on /monitor/audit; the stored countersignature verifies with the published key."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from monitor.audit import log as audit
from monitor.audit.models import Countersignature
from tests.conftest import PASSWORD
from tests.e2e.conftest import shot
from tests.e2e.test_bid_page import sign_in
from tests.e2e.test_ceremony_page import _watch_errors
from trading.accounts.roles import Role
from trading.accounts.services import create_user
from trading.centres.models import Centre
from trading.extensions import db
from trading.signing import statements as st
from trading.signing.models import SigningKey

pytestmark = pytest.mark.e2e


def test_key_made_backed_up_restored_and_used_to_countersign(live_app, new_page, tmp_path):
    base = live_app.base_url
    with live_app.app_context():
        works = db.session.scalar(sa.select(Centre).where(Centre.code == "WORKS"))
        user_id = create_user("watcher", PASSWORD, "钱监督", None, [(Role.ADMIN_SUPERVISOR, works.id)]).id
        db.session.commit()
        cp_id = audit.sign_checkpoint("manual").id
        db.session.commit()
    problems: list[str] = []

    # the first browser makes the key; only the public half is published
    first = new_page()
    _watch_errors(first, problems)
    sign_in(first, base, "watcher", "/signing/keys")
    first.click("#make-key")
    first.wait_for_selector("#browser-fp")
    fingerprint = first.inner_text("#browser-fp")
    assert first.inner_text("#published-fp") == fingerprint
    with first.expect_download() as download:
        first.click("#backup-link")
    backup = tmp_path / "backup.pem"
    download.value.save_as(backup)
    first.reload()
    assert fingerprint in first.inner_text("#signing-keys")  # in the public list
    first.wait_for_selector("#browser-fp")  # the key stays in this browser
    assert backup.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert st.fingerprint(st.public_of(st.load_private(backup.read_bytes()))) == fingerprint  # the CLI reads it
    shot(first, "signing-key")

    # a second browser holds no key: countersigning says so and sends nothing
    second = new_page()
    _watch_errors(second, problems)
    sign_in(second, base, "watcher", "/monitor/audit/")
    row = f'tr[data-checkpoint="{cp_id}"]'
    second.click(f"{row} button[type=submit]")
    second.wait_for_selector("#signer-message:not([hidden])")
    with live_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Countersignature)) == 0
    # the backup file restores the key there, and the countersignature is made with it
    second.goto(f"{base}/signing/keys")
    second.set_input_files("#load-key", str(backup))
    second.wait_for_selector("#browser-fp")
    assert second.inner_text("#browser-fp") == fingerprint
    second.goto(f"{base}/monitor/audit/")
    second.click(f"{row} button[type=submit]")
    second.wait_for_selector(".flash.success")
    assert "watcher" in second.inner_text(row) and fingerprint[:16] in second.inner_text(row)

    with live_app.app_context():
        cs = db.session.scalar(sa.select(Countersignature))
        key = db.session.scalar(sa.select(SigningKey).where(SigningKey.fingerprint == fingerprint))
        assert (cs.user_id, cs.key_fingerprint, key.user_id) == (user_id, fingerprint, user_id)
        assert st.verify(bytes(key.public_key), cs.statement.encode(), bytes(cs.signature))
        assert json.loads(cs.statement)["subject"]["checkpoint_id"] == cp_id
    assert not problems, problems
