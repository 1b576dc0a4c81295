"""The platform's signing keys come from configuration: production refuses to start without them, the
forms a secret store can give are read, and `flask signing-keys` shows and publishes them."""
from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.conftest import write_key
from trading import create_app
from trading.config import SIGNING_KEY_SETTINGS, ConfigError
from trading.extensions import db
from trading.platform_keys import services as platform_keys

STRONG_SECRET = "x" * 48


@pytest.fixture
def production_env(monkeypatch, tmp_path):
    monkeypatch.setenv("PLATFORM_ENV", "production")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite'}")
    monkeypatch.setenv("BLOB_DIR", str(tmp_path / "blobs"))
    monkeypatch.setenv("SCHEDULER_SECONDS", "0")
    monkeypatch.setenv("SECRET_KEY", STRONG_SECRET)
    for name in ("SANDBOX_ENABLED", *SIGNING_KEY_SETTINGS):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def test_production_refuses_to_start_without_each_signing_key(production_env, tmp_path):
    with pytest.raises(ConfigError, match="RECEIPT_SIGNING_KEY_FILE") as refused:
        create_app()
    assert "RECEIPT_SIGNING_KEY" in str(refused.value) and "same one" in str(refused.value)
    production_env.setenv("RECEIPT_SIGNING_KEY_FILE", str(write_key(tmp_path / "receipt.pem")))
    with pytest.raises(ConfigError, match="AUDIT_SIGNING_KEY_FILE"):
        create_app()
    production_env.setenv("AUDIT_SIGNING_KEY_FILE", str(write_key(tmp_path / "audit.pem")))
    app = create_app()
    assert app.config["PRODUCTION"] is True
    assert not (tmp_path / "instance" / "receipt-key.pem").exists()  # production never makes a key of its own
    assert not (tmp_path / "instance" / "audit-key.pem").exists()


def test_production_refuses_a_missing_or_broken_key_file(production_env, tmp_path):
    production_env.setenv("AUDIT_SIGNING_KEY_FILE", str(write_key(tmp_path / "audit.pem")))
    production_env.setenv("RECEIPT_SIGNING_KEY_FILE", str(tmp_path / "typo.pem"))
    with pytest.raises(ConfigError, match="typo.pem: no such file"):
        create_app()
    assert not (tmp_path / "typo.pem").exists()  # a typo must not mint a second key
    (tmp_path / "rsa.pem").write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    production_env.setenv("RECEIPT_SIGNING_KEY_FILE", str(tmp_path / "rsa.pem"))
    with pytest.raises(ConfigError, match="RECEIPT_SIGNING_KEY_FILE=.*not an unencrypted PEM private key"):
        create_app()
    production_env.setenv("RECEIPT_SIGNING_KEY", base64.b64encode(b"x" * 32).decode())
    with pytest.raises(ConfigError, match="not both"):
        create_app()


@pytest.mark.parametrize("form", ["pem", "raw"])
def test_a_key_given_as_a_base64_secret(production_env, tmp_path, form):
    key = Ed25519PrivateKey.generate()
    if form == "pem":
        data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())
    else:
        data = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                 serialization.NoEncryption())
    production_env.setenv("RECEIPT_SIGNING_KEY", base64.b64encode(data).decode())
    production_env.setenv("AUDIT_SIGNING_KEY_FILE", str(write_key(tmp_path / "audit.pem")))
    app = create_app()
    with app.app_context():
        assert _raw(platform_keys.configured_key("receipt")) == _raw(key)
    production_env.setenv("RECEIPT_SIGNING_KEY", base64.b64encode(b"too short").decode())
    with pytest.raises(ConfigError, match="RECEIPT_SIGNING_KEY: base64 of a PEM Ed25519 private key or of its 32"):
        create_app()
    production_env.setenv("RECEIPT_SIGNING_KEY", "not base64 at all!")
    with pytest.raises(ConfigError, match="RECEIPT_SIGNING_KEY: not base64"):
        create_app()


def test_development_makes_each_key_once_in_instance(make_app, tmp_path):
    instance = tmp_path / "dev-instance"
    first = make_app(RECEIPT_KEY_PATH=str(instance / "receipt-key.pem"), AUDIT_KEY_PATH=str(instance / "audit-key.pem"))
    with first.app_context():
        made = _raw(platform_keys.configured_key("receipt"))
        assert _raw(platform_keys.configured_key("receipt")) == made  # kept, not remade
        assert _raw(platform_keys.configured_key("audit")) != made
    assert (instance / "receipt-key.pem").stat().st_mode & 0o077 == 0  # readable by the owner only


def test_cli_publishes_and_shows_the_keys(make_app, tmp_path):
    receipt, audit = write_key(tmp_path / "r.pem"), write_key(tmp_path / "a.pem")
    app = make_app(RECEIPT_SIGNING_KEY_FILE=str(receipt), AUDIT_SIGNING_KEY_FILE=str(audit))
    runner = app.test_cli_runner()
    shown = runner.invoke(args=["signing-keys", "show"])
    assert shown.exit_code == 0 and "none published yet" in shown.output
    done = runner.invoke(args=["signing-keys", "publish"])
    assert done.exit_code == 0, done.output
    with app.app_context():
        ids = {p: platform_keys.published(p).key_id for p in platform_keys.PURPOSES}
    assert f"receipt: published {ids['receipt']}" in done.output and f"audit: published {ids['audit']}" in done.output
    assert "(same)" in runner.invoke(args=["signing-keys", "show"]).output

    # another host on the same database with its own receipt key: publish fails, show says why
    other = make_app(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                     RECEIPT_SIGNING_KEY_FILE=str(write_key(tmp_path / "other.pem")), AUDIT_SIGNING_KEY_FILE=str(audit))
    refused = other.test_cli_runner().invoke(args=["signing-keys", "publish"])
    assert refused.exit_code == 1 and "拒绝签名" in refused.output  # the CLI speaks the platform's first language
    assert "DIFFERENT" in other.test_cli_runner().invoke(args=["signing-keys", "show"]).output
    with other.app_context():
        assert platform_keys.published("receipt").key_id == ids["receipt"]  # unchanged
        db.session.remove()
