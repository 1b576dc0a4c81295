"""The public resource trading platform: the app factory is the composition root."""
from __future__ import annotations

import os
import threading
from pathlib import Path

import flask_babel
from flask import Flask, g, has_request_context, request, session

from trading.config import Config, ProductionConfig, check_config, resolve_paths
from trading.extensions import babel, csrf, db, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: type | dict | None = None) -> Flask:
    """Build the app: config, extensions, rule sets, blueprints, listeners, CLI commands."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("INSTANCE_PATH") or str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    base = ProductionConfig if os.environ.get("PLATFORM_ENV") == "production" else Config
    if isinstance(config, type):
        base = config
    app.config.from_object(base)
    app.config.update(base.from_env())
    if isinstance(config, dict):
        app.config.update(config)
    check_config(app.config)
    resolve_paths(app.config, app.instance_path)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}, **app.config["SQLALCHEMY_ENGINE_OPTIONS"]}

    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    _register_models()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, default_translation_directories=str(ROOT / "trading" / "translations"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None

    _register_rule_sets()
    _register_listeners()
    _register_blueprints(app)
    _register_cli(app)
    _register_sqlite_pragmas(app)
    _register_scheduler(app)

    @app.before_request
    def _fresh_request_state():
        # A request never inherits the language or user of an earlier one sharing its app context.
        flask_babel.refresh()
        g.pop("_login_user", None)

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
        )
        return response

    @app.context_processor
    def inject():
        from trading.views_common import template_globals

        return template_globals()

    return app


def _register_models() -> None:
    # Importing the model modules registers their tables on the shared metadata.
    import trading.accounts.models  # noqa: F401
    import trading.centres.models  # noqa: F401
    import trading.notices.models  # noqa: F401
    import trading.notices.services  # noqa: F401  (registers the publish hook and bidder source)
    import trading.rules.days  # noqa: F401
    import trading.trades.models  # noqa: F401
    import trading.trades.permissions  # noqa: F401
    import bidding.models  # noqa: F401
    import bidding.permissions  # noqa: F401
    import bidding.ceremony_models  # noqa: F401
    from monitor.plane import register_models

    register_models()


def _register_rule_sets() -> None:
    from procurement.rulesets import RULE_SETS as PROCUREMENT
    from trading.rules.model import registry
    from trading.rules.sets import RULE_SETS

    registry.register(*RULE_SETS, *PROCUREMENT)


_LISTENERS_CONNECTED = False


def _register_listeners() -> None:
    """Packages react to trading's signals; connected once per process (signals are module-level)."""
    global _LISTENERS_CONNECTED
    if _LISTENERS_CONNECTED:
        return
    from bidding.ceremony import on_trade_moved as ceremony_on_trade_moved
    from bidding.services import on_trade_moved, publish_fingerprint
    from trading.signals import trade_moved
    from trading.trades.lifecycle import after_move

    trade_moved.connect(on_trade_moved)
    trade_moved.connect(ceremony_on_trade_moved)
    after_move("publish")(publish_fingerprint)
    _LISTENERS_CONNECTED = True


def _register_blueprints(app: Flask) -> None:
    from trading.accounts.views import bp as auth_bp
    from trading.api import bp as api_bp
    from trading.portal.views import bp as portal_bp
    from trading.workspace.views import bp as workspace_bp

    app.register_blueprint(portal_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(workspace_bp)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)  # the API authenticates with bearer tokens, never cookies

    from bidding.api import bp as bidding_api_bp
    from bidding.views import bp as bidding_bp

    app.register_blueprint(bidding_api_bp)
    csrf.exempt(bidding_api_bp)
    app.register_blueprint(bidding_bp)

    _register_blob_references(app)

    from monitor.plane import register as register_monitor

    register_monitor(app)  # the supervision plane: audit log, live streams, cards, supervisors

    from trading.views_common import register_error_handlers

    register_error_handlers(app)


def _register_blob_references(app: Flask) -> None:
    """Every package that keeps blobs names the ones in use, so the sweep spares them; the tick sweeps."""
    from bidding.services import stored_envelopes
    from trading.blobs import register_references, sweep_tick
    from trading.notices.services import stored_documents

    register_references(app, stored_documents)
    register_references(app, stored_envelopes)
    app.extensions.setdefault("ticks", []).append(sweep_tick)


def _register_cli(app: Flask) -> None:
    from trading.cli import blobs_group, centres_command, create_user_command, demo_command, tick_command

    for command in (demo_command, tick_command, centres_command, create_user_command, blobs_group):
        app.cli.add_command(command)


def _register_sqlite_pragmas(app: Flask) -> None:
    """WAL and foreign keys for the embedded database."""
    from sqlalchemy import event

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    with app.app_context():
        engine = db.engine

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in app.config["SQLALCHEMY_DATABASE_URI"]:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.close()


def _register_scheduler(app: Flask) -> None:
    """A daemon thread ticks timed moves and the packages' periodic work (`app.extensions["ticks"]`);
    cron can use `flask tick` and `flask monitor tick` instead."""
    seconds = float(app.config.get("SCHEDULER_SECONDS") or 0)
    if seconds <= 0:
        return
    started = threading.Event()

    def loop():
        from trading.trades.services import advance_due

        while True:
            for task in (advance_due, *app.extensions.get("ticks", ())):
                with app.app_context():
                    try:
                        task()
                    except Exception:  # keep ticking; the next tick retries
                        app.logger.exception("scheduled tick failed")
                        db.session.rollback()
                    finally:
                        db.session.remove()
            threading.Event().wait(seconds)

    @app.before_request
    def _start_once():
        if not started.is_set():
            started.set()
            threading.Thread(target=loop, name="trade-ticker", daemon=True).start()


def _select_locale() -> str:
    supported = ("zh_CN", "en")
    if not has_request_context():
        return "zh_CN"  # CLI and background work speak the platform's first language
    choice = request.args.get("lang") or session.get("lang")
    if choice in supported:
        return choice
    user = getattr(g, "_login_user", None)
    if user is not None and getattr(user, "locale", None) in supported:
        return user.locale
    if request.path.startswith("/api/"):
        return "en" if request.accept_languages.best_match(["zh-CN", "zh", "en"], "zh") == "en" else "zh_CN"
    return "zh_CN"
