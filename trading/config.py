"""Configuration: safe embedded defaults, read from the environment, and a strict production mode."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

DEFAULT_SECRET = "dev-only-secret-change-me"


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the app refuses to start."""


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


#: the platform's signing keys (trading/platform_keys/services.py): a PEM file, or the key itself in base64
SIGNING_KEY_SETTINGS = ("RECEIPT_SIGNING_KEY_FILE", "RECEIPT_SIGNING_KEY", "AUDIT_SIGNING_KEY_FILE", "AUDIT_SIGNING_KEY")


class Config:
    """Embedded default: SQLite under instance/, sandbox trades allowed, scheduler on."""

    SECRET_KEY = DEFAULT_SECRET
    SQLALCHEMY_DATABASE_URI: str | None = None  # filled from instance path when unset
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    BLOB_DIR: str | None = None
    TIMEZONE = "Asia/Shanghai"
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_CN", "en")
    SANDBOX_ENABLED = True
    SANDBOX_MAX_ACCELERATOR = 10_000
    SCHEDULER_SECONDS = 30.0  # 0 disables the in-process tick
    LOGIN_MAX_FAILURES = 5  # per account and address
    LOGIN_MAX_FAILURES_PER_ADDRESS = 30
    TRUSTED_PROXIES = 0  # reverse proxies in front of the app whose X-Forwarded-For to trust
    LOGIN_WINDOW_SECONDS = 900
    # anonymous writes (document downloads, e-mail subscriptions): per client address and window
    ANON_RATE_LIMIT = 60
    ANON_RATE_WINDOW_SECONDS = 600
    DOWNLOAD_DEDUP_SECONDS = 86_400  # one recorded download per downloader and document in this window
    SUBSCRIPTION_CONFIRM_HOURS = 72  # how long an e-mail subscription's confirmation link stays valid
    API_TOKEN_HOURS = 12
    # an opening whose bids are not opened this long after it started (or restarted) times out: the
    # tick erases the held shares; staff restart it, or the decision branch fails or postpones it
    CEREMONY_TIMEOUT_MINUTES = 120
    MAX_CONTENT_LENGTH = 64 * 1024 * 1024
    # Leftovers of killed uploads (.incoming-* files, blobs no row names) are removed once older
    # than the grace period, by the tick (at most every BLOB_SWEEP_EVERY_SECONDS) or `flask blobs sweep`.
    BLOB_SWEEP_GRACE_SECONDS = 6 * 3600.0
    BLOB_SWEEP_EVERY_SECONDS = 3600.0
    # PBKDF2-HMAC-SHA256 iterations a keyholder's machine wraps a personal key with, and the fewest
    # the platform accepts (docs/key-custody.md)
    PERSONAL_KEY_ITERATIONS = 600_000
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None
    TESTING = False
    PRODUCTION = False
    # e-mail (trading/mail): unset SMTP_HOST keeps mail queued in the outbox
    SMTP_HOST: str | None = None
    SMTP_PORT = 587
    SMTP_USER: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_TLS = "starttls"  # none | starttls | ssl
    SMTP_TIMEOUT = 10.0
    MAIL_FROM = "platform@localhost"
    MAIL_SEND_AFTER_COMMIT = True  # besides the tick, send at once on a short-lived thread after commit
    MAIL_BATCH = 50
    PUBLIC_BASE_URL: str | None = None  # for links in e-mails, e.g. https://trading.example.gov.cn
    # signing keys: unset in development makes each once under instance/; production needs them set
    RECEIPT_SIGNING_KEY_FILE: str | None = None
    RECEIPT_SIGNING_KEY: str | None = None
    AUDIT_SIGNING_KEY_FILE: str | None = None
    AUDIT_SIGNING_KEY: str | None = None

    @classmethod
    def from_env(cls) -> dict:
        """Overrides read from the environment (names match the settings)."""
        env = os.environ
        out: dict = {}
        if env.get("SECRET_KEY"):
            out["SECRET_KEY"] = env["SECRET_KEY"]
        if env.get("DATABASE_URL"):
            url = env["DATABASE_URL"]
            # psycopg 3 is the PostgreSQL driver we ship; plain postgres URLs mean it.
            for prefix in ("postgres://", "postgresql://"):
                if url.startswith(prefix):
                    url = "postgresql+psycopg://" + url[len(prefix):]
            out["SQLALCHEMY_DATABASE_URI"] = url
        if env.get("BLOB_DIR"):
            out["BLOB_DIR"] = env["BLOB_DIR"]
        if env.get("TIMEZONE"):
            out["TIMEZONE"] = env["TIMEZONE"]
        if "SANDBOX_ENABLED" in env:
            out["SANDBOX_ENABLED"] = _bool(env["SANDBOX_ENABLED"], cls.SANDBOX_ENABLED)
        if env.get("TRUSTED_PROXIES"):
            out["TRUSTED_PROXIES"] = int(env["TRUSTED_PROXIES"])
        for name in ("ANON_RATE_LIMIT", "ANON_RATE_WINDOW_SECONDS", "DOWNLOAD_DEDUP_SECONDS",
                     "SUBSCRIPTION_CONFIRM_HOURS", "CEREMONY_TIMEOUT_MINUTES"):
            if env.get(name):
                out[name] = int(env[name])
        for name in ("SCHEDULER_SECONDS", "BLOB_SWEEP_GRACE_SECONDS", "BLOB_SWEEP_EVERY_SECONDS"):
            if env.get(name):
                out[name] = float(env[name])
        for name in ("SMTP_HOST", "SMTP_USER", "SMTP_PASSWORD", "SMTP_TLS", "MAIL_FROM", "PUBLIC_BASE_URL",
                     *SIGNING_KEY_SETTINGS):
            if env.get(name):
                out[name] = env[name]
        if env.get("SMTP_PORT"):
            out["SMTP_PORT"] = int(env["SMTP_PORT"])
        if env.get("SMTP_TIMEOUT"):
            out["SMTP_TIMEOUT"] = float(env["SMTP_TIMEOUT"])
        if "MAIL_SEND_AFTER_COMMIT" in env:
            out["MAIL_SEND_AFTER_COMMIT"] = _bool(env["MAIL_SEND_AFTER_COMMIT"], cls.MAIL_SEND_AFTER_COMMIT)
        return out


class ProductionConfig(Config):
    """Production: refuses the default secret, sandbox trades, and signing keys left to chance."""

    PRODUCTION = True
    SANDBOX_ENABLED = False
    SESSION_COOKIE_SECURE = True


class TestConfig(Config):
    """Tests: in-memory or per-test database, no background thread, CSRF still on."""

    TESTING = True
    SECRET_KEY = "test-secret"
    SCHEDULER_SECONDS = 0
    SERVER_NAME = None
    # Real Argon2id, at a cost that keeps a suite creating hundreds of users fast.
    PASSWORD_HASH_PARAMS = {"time_cost": 1, "memory_cost": 8 * 1024, "parallelism": 1}
    # Real PBKDF2 for personal keys, cheap enough for a suite that enrols keyholders in most tests
    PERSONAL_KEY_ITERATIONS = 1_000


def check_config(config: dict) -> None:
    """Refuse to start with settings that are unsafe for production."""
    if config.get("PRODUCTION"):
        if not config.get("SECRET_KEY") or config["SECRET_KEY"] == DEFAULT_SECRET:
            raise ConfigError("production config needs SECRET_KEY set to a private random value")
        if len(config["SECRET_KEY"]) < 32:
            raise ConfigError("production SECRET_KEY must be at least 32 characters")
        if config.get("SANDBOX_ENABLED"):
            raise ConfigError("production config refuses sandbox trades (SANDBOX_ENABLED)")
        if int(config.get("PERSONAL_KEY_ITERATIONS", 600_000)) < 600_000:
            raise ConfigError("production PERSONAL_KEY_ITERATIONS must be at least 600000 (PBKDF2-HMAC-SHA256)")
        from trading.platform_keys.services import check_configured

        check_configured(config)


def resolve_paths(config: dict, instance_path: str) -> None:
    """Fill the embedded database and blob directory under instance/ when not configured, and replace
    the published development secret by a random one kept in instance/secret_key."""
    inst = Path(instance_path)
    if config.get("SECRET_KEY") == DEFAULT_SECRET and not config.get("TESTING"):
        inst.mkdir(parents=True, exist_ok=True)
        key_file = inst / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        config["SECRET_KEY"] = key_file.read_text().strip()
    if not config.get("SQLALCHEMY_DATABASE_URI"):
        inst.mkdir(parents=True, exist_ok=True)
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{inst / 'trading.sqlite'}"
    if not config.get("BLOB_DIR"):
        config["BLOB_DIR"] = str(inst / "blobs")
