"""Signing in and out, login throttling, CSRF on forms, the language switch, and the production config guard."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import PASSWORD, api_headers, csrf_token, login, write_key
from trading import create_app
from trading.config import DEFAULT_SECRET, SIGNING_KEY_SETTINGS, ConfigError, ProductionConfig, check_config

STRONG_SECRET = "k3J9s-very-long-random-production-secret-0123456789"


# ------------------------------------------------------------------ login and logout


def test_login_success_redirects_to_workspace(client, users):
    response = client.post("/login", data={"username": "staff", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/workspace/")
    assert client.get("/workspace/").status_code == 200


def test_login_is_case_insensitive_on_the_username(client, users):
    assert client.post("/login", data={"username": "  STAFF ", "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize("nxt,expected", [
    ("/workspace/calendar", "/workspace/calendar"),
    ("https://evil.example/phish", "/workspace/"),
    ("//evil.example/phish", "/workspace/"),
])
def test_login_follows_only_local_next(client, users, nxt, expected):
    response = client.post(f"/login?next={nxt}", data={"username": "decider", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == expected or response.headers["Location"].endswith(expected)
    assert "evil.example" not in response.headers["Location"]


@pytest.mark.parametrize("username,password", [("staff", "wrong-password"), ("nobody", PASSWORD), ("staff", "")])
def test_login_failure(client, users, username, password):
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code in (400, 401)
    assert response.status_code == (400 if not password else 401)
    assert client.get("/workspace/").status_code == 302  # still not signed in


def test_login_page_and_inactive_user(client, db, users):
    assert client.get("/login").status_code == 200
    users["staff"].active = False
    db.session.commit()
    assert client.post("/login", data={"username": "staff", "password": PASSWORD}).status_code == 401


def test_logout_is_post_only(client, users):
    login(client, "staff")
    assert client.get("/logout").status_code == 405
    assert client.get("/workspace/").status_code == 200  # the GET did not sign anyone out
    response = client.post("/logout")
    assert response.status_code == 302
    response = client.get("/workspace/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_logout_needs_a_session(client, users):
    response = client.post("/logout")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# ------------------------------------------------------------------ throttling


def _fail(client, username="staff"):
    return client.post("/login", data={"username": username, "password": "wrong-password"})


def test_throttled_after_max_failures_even_with_the_right_password(app, client, clock, users):
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        assert _fail(client).status_code == 401
    response = client.post("/login", data={"username": "staff", "password": PASSWORD})
    assert response.status_code == 429
    assert client.get("/workspace/").status_code == 302

    # the API token exchange is behind the same throttle
    response = client.post("/api/v1/tokens", json={"username": "staff", "password": PASSWORD})
    assert response.status_code == 429 and response.get_json()["code"] == "throttled"

    # failures on one account do not lock other accounts out ...
    assert client.post("/login", data={"username": "decider", "password": PASSWORD}).status_code == 302
    client.post("/logout")
    # ... nor the same account from another address (nobody can lock a user out from elsewhere)
    other = {"REMOTE_ADDR": "127.0.0.99"}
    assert client.post("/login", data={"username": "staff", "password": PASSWORD}, environ_base=other).status_code == 302
    client.post("/logout", environ_base=other)

    window = timedelta(seconds=app.config["LOGIN_WINDOW_SECONDS"])
    clock.advance(window - timedelta(seconds=1))
    assert client.post("/login", data={"username": "staff", "password": PASSWORD}).status_code == 429
    clock.advance(timedelta(seconds=2))
    login(client, "staff")
    assert client.get("/workspace/").status_code == 200


def test_one_failure_short_of_the_limit_still_lets_in(app, client, users):
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        _fail(client)
    login(client, "staff")


def test_success_clears_the_accounts_failures(app, client, users):
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit - 1):
        _fail(client)
    login(client, "staff")
    client.post("/logout")
    for _ in range(limit - 1):
        assert _fail(client).status_code == 401
    login(client, "staff")


def test_throttle_limit_is_configurable(make_app):
    app = make_app(LOGIN_MAX_FAILURES=2)
    with app.app_context():
        from trading.accounts.services import create_user
        from trading.extensions import db

        create_user("solo", PASSWORD, "Solo")
        db.session.commit()
    client = app.test_client()
    for _ in range(2):
        assert _fail(client, "solo").status_code == 401
    assert client.post("/login", data={"username": "solo", "password": PASSWORD}).status_code == 429


# ------------------------------------------------------------------ CSRF


def _app_with_staff(make_app, **config):
    """An app with one staff user, created in a context that is closed again: unlike the `users` fixture,
    which keeps an app context (and so one `g`) open across requests, each request here starts afresh."""
    app = make_app(**config)
    with app.app_context():
        import sqlalchemy as sa

        from trading.accounts.roles import Role
        from trading.accounts.services import create_user
        from trading.centres.models import Centre
        from trading.extensions import db

        works = db.session.scalar(sa.select(Centre).where(Centre.code == "WORKS"))
        create_user("staff", PASSWORD, "Staff", roles=[(Role.CENTRE_STAFF, works.id)])
        db.session.commit()
    return app


@pytest.fixture
def csrf_app(make_app):
    return _app_with_staff(make_app, WTF_CSRF_ENABLED=True)


@pytest.fixture
def fresh_client(make_app):
    return _app_with_staff(make_app).test_client()


def test_csrf_login_without_token_is_400(csrf_app):
    client = csrf_app.test_client()
    response = client.post("/login", data={"username": "staff", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/workspace/").status_code == 302


def test_csrf_login_with_token_works(csrf_app):
    client = csrf_app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": "staff", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert client.get("/workspace/").status_code == 200


def test_csrf_forged_token_is_400(csrf_app):
    client = csrf_app.test_client()
    client.get("/login")
    response = client.post("/login", data={"username": "staff", "password": PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 400


def test_csrf_protects_logout_and_workspace_forms(csrf_app):
    client = csrf_app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": "staff", "password": PASSWORD, "csrf_token": token})
    page = client.get("/workspace/")
    assert page.status_code == 200
    # a cross-site form cannot sign the user out or create a trade
    assert client.post("/logout").status_code == 400
    assert client.post("/workspace/trades/new", data={"title": "Forged"}).status_code == 400
    assert client.get("/workspace/").status_code == 200
    # the page's own form can
    response = client.post("/logout", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert response.status_code == 302
    assert client.get("/workspace/").status_code == 302


def test_api_needs_no_csrf_token(csrf_app):
    """The API authenticates with bearer tokens only, so it is exempt from CSRF (and ignores cookies)."""
    client = csrf_app.test_client()
    headers = api_headers(client, "staff")
    assert client.get("/api/v1/trades?scope=mine", headers=headers).status_code == 200
    assert client.delete("/api/v1/tokens", headers=headers).status_code == 204


# ------------------------------------------------------------------ language switch


def test_language_switch(client):
    zh = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in zh
    response = client.get("/lang/en")
    assert response.status_code == 302
    en = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in en
    assert en != zh
    with client.session_transaction() as session:
        assert session["lang"] == "en"
    client.get("/lang/zh_CN")
    assert '<html lang="zh-CN">' in client.get("/").get_data(as_text=True)


def test_language_switch_ignores_unknown_codes_and_foreign_next(client):
    client.get("/lang/en")
    response = client.get("/lang/xx")
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert session["lang"] == "en"
    response = client.get("/lang/zh_CN?next=https://evil.example/")
    assert "evil.example" not in response.headers["Location"]
    response = client.get("/lang/zh_CN?next=/centres")
    assert response.headers["Location"].endswith("/centres")


def test_language_follows_into_the_workspace_after_login(fresh_client):
    fresh_client.get("/lang/en")
    login(fresh_client, "staff")
    assert '<html lang="en">' in fresh_client.get("/workspace/").get_data(as_text=True)
    fresh_client.post("/logout")
    assert '<html lang="en">' in fresh_client.get("/").get_data(as_text=True)  # the choice outlives the login


def test_logout_really_ends_the_session(fresh_client):
    """Checked on an app where every request loads the user from the session cookie afresh."""
    login(fresh_client, "staff")
    assert fresh_client.get("/workspace/").status_code == 200
    assert fresh_client.get("/logout").status_code == 405
    assert fresh_client.get("/workspace/").status_code == 200
    assert fresh_client.post("/logout").status_code == 302
    assert fresh_client.get("/workspace/").status_code == 302


def test_query_language_overrides_for_one_page(client):
    assert '<html lang="en">' in client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="zh-CN">' in client.get("/").get_data(as_text=True)


# ------------------------------------------------------------------ production configuration guard


@pytest.fixture
def production_env(monkeypatch, tmp_path):
    monkeypatch.setenv("PLATFORM_ENV", "production")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite'}")
    monkeypatch.setenv("BLOB_DIR", str(tmp_path / "blobs"))
    monkeypatch.setenv("SCHEDULER_SECONDS", "0")
    for name in ("SECRET_KEY", "SANDBOX_ENABLED", *SIGNING_KEY_SETTINGS):
        monkeypatch.delenv(name, raising=False)
    for purpose in ("RECEIPT", "AUDIT"):  # production needs its signing keys (tests/trading/test_platform_keys.py)
        monkeypatch.setenv(f"{purpose}_SIGNING_KEY_FILE", str(write_key(tmp_path / f"{purpose.lower()}.pem")))
    return monkeypatch


def test_production_refuses_the_default_secret(production_env):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()
    production_env.setenv("SECRET_KEY", DEFAULT_SECRET)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


def test_production_refuses_a_short_secret(production_env):
    production_env.setenv("SECRET_KEY", "short-but-not-default")
    with pytest.raises(ConfigError, match="32"):
        create_app()


def test_production_refuses_sandbox(production_env):
    production_env.setenv("SECRET_KEY", STRONG_SECRET)
    production_env.setenv("SANDBOX_ENABLED", "1")
    with pytest.raises(ConfigError, match="SANDBOX_ENABLED"):
        create_app()


def test_production_starts_with_a_strong_secret(production_env):
    production_env.setenv("SECRET_KEY", STRONG_SECRET)
    app = create_app()
    assert app.config["PRODUCTION"] is True
    assert app.config["SANDBOX_ENABLED"] is False
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SECRET_KEY"] == STRONG_SECRET
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("prod.sqlite")
    production_env.setenv("SANDBOX_ENABLED", "0")
    assert create_app().config["SANDBOX_ENABLED"] is False


def test_development_default_still_starts(monkeypatch, tmp_path):
    monkeypatch.delenv("PLATFORM_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'dev.sqlite'}")
    app = create_app()
    assert app.config["PRODUCTION"] is False
    # the published development secret is replaced by a random one kept under instance/
    secret = app.config["SECRET_KEY"]
    assert secret != DEFAULT_SECRET and len(secret) >= 32
    assert (tmp_path / "instance" / "secret_key").read_text().strip() == secret
    assert create_app().config["SECRET_KEY"] == secret  # stable across restarts: sessions survive


def test_one_address_guessing_many_accounts_is_throttled(app, client, clock, users):
    per_address = app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    for i in range(per_address):
        client.post("/login", data={"username": f"nobody{i}", "password": "wrong-password"})
    assert client.post("/login", data={"username": "staff", "password": PASSWORD}).status_code == 429


def test_check_config_directly():
    base = {"PRODUCTION": True, "SECRET_KEY": STRONG_SECRET, "SANDBOX_ENABLED": False,
            "RECEIPT_SIGNING_KEY_FILE": "/etc/platform/receipt.pem", "AUDIT_SIGNING_KEY": "c2VjcmV0"}
    check_config(base)  # fine (the files are read when the app starts)
    for bad in ({"SECRET_KEY": DEFAULT_SECRET}, {"SECRET_KEY": ""}, {"SECRET_KEY": None},
                {"SECRET_KEY": "x" * 31}, {"SANDBOX_ENABLED": True}, {"RECEIPT_SIGNING_KEY_FILE": None},
                {"AUDIT_SIGNING_KEY": ""}, {"PERSONAL_KEY_ITERATIONS": 1_000}):
        with pytest.raises(ConfigError):
            check_config({**base, **bad})
    check_config({"PRODUCTION": False, "SECRET_KEY": DEFAULT_SECRET, "SANDBOX_ENABLED": True})
    assert ProductionConfig.SANDBOX_ENABLED is False and ProductionConfig.PRODUCTION is True


def test_production_class_passed_explicitly_is_checked_too(monkeypatch, tmp_path):
    monkeypatch.delenv("PLATFORM_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    with pytest.raises(ConfigError):
        create_app(ProductionConfig)
    with pytest.raises(ConfigError):
        create_app({"PRODUCTION": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"})
